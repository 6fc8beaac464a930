"""Human decisions (`decisions.csv`): must-link and cannot-link pairs, applied on every run.

Keys are source keys, so a decision survives reruns and new exports as long as the legacy ids do.
A row without a key is named by the identity `xref.csv` gives it (`source_id`, from its values:
it survives reordered exports) or by `#<source_row>` (which holds only while the rows keep their
places).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..tables import read_table

DECISION_COLUMNS = ("left_source", "left_key", "right_source", "right_key", "decision")
MUST_LINK = "must_link"
CANNOT_LINK = "cannot_link"


def check_decisions(frame: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    missing = [c for c in DECISION_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"decisions file lacks column(s) {', '.join(missing)}",
            file=file,
            hint="columns: " + ",".join(DECISION_COLUMNS),
        )
    out = frame[list(DECISION_COLUMNS)].astype(object).copy()
    out["decision"] = out["decision"].map(lambda v: str(v).strip().lower().replace("-", "_"))
    bad = ~out["decision"].isin([MUST_LINK, CANNOT_LINK])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError(
            f"unknown decision {frame['decision'].iloc[row - 2]!r}",
            file=file,
            row=row,
            column="decision",
            hint="use must_link or cannot_link",
        )
    for column in DECISION_COLUMNS[:4]:
        out[column] = out[column].map(lambda v: str(v).strip())
    return out


def load_decisions(path: str | Path) -> pd.DataFrame:
    """Read and check a decisions file (CSV or Parquet)."""
    return check_decisions(read_table(path), file=str(path))


def resolve(
    decisions: pd.DataFrame | None, member_ids: pd.Series, aliases: pd.Series | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Must-link and cannot-link pairs as row positions (i, j); decisions naming no row are ignored.
    A row is named by its identity (`ids.identities`) or, without a legacy key, by its alias
    `#<source_row>` (`ids.row_aliases`)."""
    from .ids import positions

    empty = pd.DataFrame({"i": np.empty(0, dtype=np.int64), "j": np.empty(0, dtype=np.int64)})
    if decisions is None or decisions.empty:
        return empty, empty
    decisions = check_decisions(decisions)
    position = positions(member_ids, aliases)
    left = (decisions["left_source"] + "|" + decisions["left_key"]).map(position)
    right = (decisions["right_source"] + "|" + decisions["right_key"]).map(position)
    ok = left.notna() & right.notna() & (left != right)
    frame = pd.DataFrame(
        {
            "i": left[ok].astype(np.int64),
            "j": right[ok].astype(np.int64),
            "decision": decisions.loc[ok, "decision"],
        }
    )
    lo, hi = np.minimum(frame["i"], frame["j"]), np.maximum(frame["i"], frame["j"])
    frame = frame.assign(i=lo, j=hi)
    must = frame[frame["decision"] == MUST_LINK][["i", "j"]].reset_index(drop=True)
    cannot = frame[frame["decision"] == CANNOT_LINK][["i", "j"]].reset_index(drop=True)
    return must, cannot
