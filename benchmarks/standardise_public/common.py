"""What the per-field measurements share: reading a corpus, running the real standardise stage on
staged rows, and the result line the driver prints."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from crmmigrate.cleanse import StandardiseOptions, standardise
from crmmigrate.schema import STAGED_COLUMNS


@dataclass(frozen=True)
class Result:
    """One line of the report: `right` of `cases` for one field and one slice of its corpus."""

    field: str  # address, phone, country, name, email
    slice: str  # what was measured: "all", a writing, a country, a language, a metric
    cases: int
    right: int
    ms_per_1000: float | None = None  # time of the standardise stage per 1,000 values
    note: str = ""

    @property
    def share(self) -> float:
        return self.right / self.cases if self.cases else float("nan")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def staged(rows: list[dict[str, Any]], source: str = "bench") -> pd.DataFrame:
    """Staged rows (every canonical column, `None` where a row does not say) from field dicts."""
    frame = pd.DataFrame({column: [None] * len(rows) for column in STAGED_COLUMNS}, dtype=object)
    for i, row in enumerate(rows):
        for field, value in row.items():
            frame.at[i, field] = value
    frame["source"] = source
    frame["source_row"] = range(2, len(rows) + 2)
    return frame


def run_stage(frame: pd.DataFrame, **options: Any) -> tuple[pd.DataFrame, float]:
    """The standardise stage on `frame` (one process), and its milliseconds per 1,000 rows."""
    start = time.perf_counter()
    clean = standardise(frame, StandardiseOptions(workers=1, **options))
    elapsed = time.perf_counter() - start
    return clean, 1000 * elapsed / max(len(frame), 1) * 1000
