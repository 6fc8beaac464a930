"""What every reader yields: a block of records as text, their record numbers, and the records
that could not be read at all (with a reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..schema import REJECT_COLUMNS


@dataclass
class RawChunk:
    """`frame` holds text under the file's own column names (empty fields as "" or missing);
    `rows` the 1-based record number of each row of `frame`; `rejects` one dict per unreadable
    record: `source_row`, `reason`, `detail` and the raw values that could be recovered."""

    frame: pd.DataFrame
    rows: np.ndarray
    rejects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.frame) + len(self.rejects)


def raw_record(header: list[str], values: list[Any]) -> dict[str, Any]:
    """Raw values by column name; fields beyond the header become `field_<n>`."""
    names = [f"{n} (raw)" if n in REJECT_COLUMNS else n for n in header]
    out = dict(zip(names, values, strict=False))
    for i in range(len(header), len(values)):
        out[f"field_{i + 1}"] = values[i]
    return out
