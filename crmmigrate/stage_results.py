"""What the extract and dedupe stages hand on: the frames the orchestrator passes to the next
stage and `outputs` writes into, and reads back from, `out/`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Extracted:
    staged: pd.DataFrame
    rejects: pd.DataFrame
    counts: dict[str, Any]  # source name -> reconcile.SourceCounts


@dataclass(frozen=True)
class Golden:
    golden: pd.DataFrame
    xref: pd.DataFrame
    lineage: pd.DataFrame | None
