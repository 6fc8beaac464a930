"""The dedupe stage's result: a frozen object holding every output table and the fitted model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .model import MatchModel


@dataclass(frozen=True)
class DedupeResult:
    golden: pd.DataFrame  # schema.GOLDEN_COLUMNS, member_count, custom columns; one row per customer
    xref: pd.DataFrame  # schema.XREF_COLUMNS: every input row once
    review: pd.DataFrame  # pairs in the uncertain band, side by side
    lineage: pd.DataFrame  # customer_id, field, source, source_row
    pairs: pd.DataFrame  # scored pairs (positions, total, probability): every compared pair on the
    # pandas engine; on Spark those that can matter to an answer (links, review band, pairs in a cluster)
    stats: dict[str, Any] = field(default_factory=dict)
    model: MatchModel | None = None


def save_model(result: DedupeResult, path: str | Path) -> Path:
    """Write the fitted match model as JSON (read back by `explain`)."""
    if result.model is None:
        raise ValueError("this result carries no model")
    return result.model.save(path)
