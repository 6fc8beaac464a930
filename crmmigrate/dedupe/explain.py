"""Why records were merged: each pair re-scored with the saved model, field by field.

Re-scoring from the clean set and `match_model.json` gives exactly the run's numbers (the term
frequencies are recomputed from the same clean set) without storing every pair's detail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..validate.masking import mask_value
from .comparisons import NULL
from .ids import identities
from .model import MatchModel, score, term_frequencies
from .prepare import MatchFrame, prepare

#: Above this many members, a cluster is explained through its strongest pairs only.
MAX_ALL_PAIRS = 12
MAX_PAIRS = 40


@dataclass(frozen=True)
class PairExplanation:
    left: str  # member identity, source|key
    right: str
    rows: pd.DataFrame  # comparison, left, right, level, weight
    prior_weight: float
    total: float
    probability: float
    household_conflict: bool


@dataclass(frozen=True)
class Explanation:
    customer_id: str
    members: pd.DataFrame  # source, source_row, source_key, match_score
    pairs: tuple[PairExplanation, ...]


#: Comparison -> the canonical column whose masking its displayed values get.
_SHOWN_AS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "address": "address_line1",
    "date_of_birth": "date_of_birth",
}


def shown(value: str, comparison: str, show_pii: bool = False) -> str:
    """A compared value as a person may see it: masked as terminal output is elsewhere (the
    shape kept, a first letter, an email's domain), unless `show_pii`."""
    if show_pii or not value or comparison not in _SHOWN_AS:
        return value
    column = _SHOWN_AS[comparison]
    return " / ".join(mask_value(part, column) or "" for part in value.split(" / "))


def _display(mf: MatchFrame, columns: tuple[str, ...], row: int) -> str:
    values = [mf.array(c)[row] for c in columns if c in mf.data.columns and c != "first"]
    shown = [str(v) for v in values if not pd.isna(v)]
    return " / ".join(shown) if shown else ""


def _explain_pairs(
    mf: MatchFrame,
    model: MatchModel,
    ids: pd.Series,
    i: np.ndarray,
    j: np.ndarray,
    tf_source: MatchFrame | None = None,
) -> list[PairExplanation]:
    tf = term_frequencies(tf_source or mf, model)
    scores = score(mf, model, i, j, tf)
    out = []
    for p, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=False)):
        rows = []
        for c, comparison in enumerate(model.comparisons):
            level = int(scores.gamma[p, c])
            rows.append(
                {
                    "comparison": comparison.name,
                    "left": _display(mf, comparison.columns, a),
                    "right": _display(mf, comparison.columns, b),
                    "level": "null" if level == NULL else comparison.levels_list[level],
                    "weight": float(scores.weights[p, c]),
                }
            )
        out.append(
            PairExplanation(
                left=str(ids.iloc[a]),
                right=str(ids.iloc[b]),
                rows=pd.DataFrame(rows),
                prior_weight=model.prior_weight,
                total=float(scores.total[p]),
                probability=float(scores.probability[p]),
                household_conflict=bool(scores.conflict[p]),
            )
        )
    return out


def find_row(clean: pd.DataFrame, ref: str) -> int:
    """Row position of a record named `source|key`, `source:key`, or a key unique across sources."""
    ids = identities(clean.reset_index(drop=True))
    for candidate in (ref, ref.replace(":", "|", 1)):
        hits = np.flatnonzero(ids.to_numpy(dtype=object) == candidate)
        if len(hits):
            return int(hits[0])
    keys = ids.map(lambda v: v.split("|", 1)[1])
    hits = np.flatnonzero(keys.to_numpy(dtype=object) == ref)
    if len(hits) == 1:
        return int(hits[0])
    if len(hits) > 1:
        raise InputError(f"record {ref!r} exists in several sources", hint="write it as SOURCE:KEY")
    raise InputError(f"no record {ref!r} in the clean set", hint="use a source key (or SOURCE:KEY, or #ROW)")


def explain_pair(clean: pd.DataFrame, model: MatchModel, left: str, right: str) -> PairExplanation:
    """Score one pair of records, named by source key (or SOURCE:KEY)."""
    clean = clean.reset_index(drop=True)
    a, b = find_row(clean, left), find_row(clean, right)
    mf = prepare(clean)
    return _explain_pairs(mf, model, identities(clean), np.array([a]), np.array([b]))[0]


def explain_cluster(
    clean: pd.DataFrame, model: MatchModel, customer_id: str, xref: pd.DataFrame
) -> Explanation:
    """Every member pair of a small cluster (the strongest pairs of a large one), re-scored."""
    clean = clean.reset_index(drop=True)
    ids = identities(clean)
    xref_ids = identities(xref)
    members = xref[(xref["customer_id"].astype(str) == customer_id).to_numpy()]
    if members.empty:
        raise InputError(
            f"no customer {customer_id!r} in the cross-reference", hint="copy an id from golden.csv"
        )
    position = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    rows = np.sort(position.reindex(xref_ids[members.index].to_numpy()).dropna().to_numpy().astype(np.int64))
    a, b = np.triu_indices(len(rows), k=1)
    i, j = rows[a], rows[b]
    mf = prepare(clean)
    pairs = _explain_pairs(mf, model, ids, i, j)
    pairs.sort(key=lambda p: -p.total)
    if len(rows) > MAX_ALL_PAIRS:
        pairs = pairs[:MAX_PAIRS]
    shown = members[
        [c for c in ("source", "source_row", "source_key", "match_score") if c in members.columns]
    ]
    return Explanation(customer_id=customer_id, members=shown.reset_index(drop=True), pairs=tuple(pairs))
