"""How good is the matching on this data: precision and recall by threshold from a labelled sample.

A user labels a few hundred pairs by hand (the review file, or any pairs) as match / no match, or
has a column of true ids for a test extract. Every labelled pair is re-scored with the run's
match model, so the figures hold for any threshold: pairwise precision, recall and F1 at each,
the threshold with the best F1 recommended, and the pairs the model gets most wrong with their
field-by-field weights. With the run's cross-reference, the clusters are scored too (two records
match when they share a customer_id), which is what the migration actually does.

Label files are read in three shapes:

- `left_source, left_key, right_source, right_key, match` (match: 1/0, yes/no, true/false);
- the decisions format (`decision`: must_link / cannot_link);
- Splink's labels (`unique_id_l, source_dataset_l, unique_id_r, source_dataset_r,
  clerical_match_score`).

A record is named by its source key (or `#ROW` for a source without keys); a source name the run
does not know is ignored and the key looked up across sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..tables import read_table
from .explain import PairExplanation, _explain_pairs
from .ids import identities, positions, row_aliases
from .model import MatchModel, score, term_frequencies
from .prepare import prepare

#: Thresholds the curve is drawn at (match probability).
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))
#: Pairs the model gets most wrong shown in the report, each way.
WORST = 10

_SHAPES = {
    "pairs": ("left_source", "left_key", "right_source", "right_key", "match"),
    "decisions": ("left_source", "left_key", "right_source", "right_key", "decision"),
    "splink": ("source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r", "clerical_match_score"),
}
_YES = {"1", "1.0", "yes", "y", "true", "t", "match", "must_link", "same"}
_NO = {"0", "0.0", "no", "n", "false", "f", "non_match", "nonmatch", "cannot_link", "different"}


def read_labels(path: str | Path) -> pd.DataFrame:
    """Labelled pairs from a file in any of the shapes above, as columns left_source, left_key,
    right_source, right_key, match (bool)."""
    frame = read_table(path)
    for columns in _SHAPES.values():
        if all(c in frame.columns for c in columns if not c.endswith("source") and "dataset" not in c):
            picked = {}
            for canonical, column in zip(_SHAPES["pairs"], columns, strict=True):
                picked[canonical] = (
                    frame[column] if column in frame.columns else pd.Series("", index=frame.index)
                )
            labels = pd.DataFrame(picked)
            labels["match"] = _label_values(labels["match"], str(path), columns[-1])
            for c in ("left_source", "left_key", "right_source", "right_key"):
                labels[c] = labels[c].map(lambda v: "" if pd.isna(v) else str(v).strip())
            return labels.reset_index(drop=True)
    raise InputError(
        "not a file of labelled pairs",
        file=str(path),
        hint="columns: left_source,left_key,right_source,right_key,match (or the decisions format, "
        "or Splink's unique_id_l,unique_id_r,clerical_match_score)",
    )


def _label_values(values: pd.Series, file: str, column: str) -> pd.Series:
    text = values.map(lambda v: str(v).strip().lower())
    bad = ~text.isin(_YES | _NO)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"label {values.iloc[row]!r} is neither a match nor a non-match",
            file=file,
            row=row + 2,
            column=column,
            hint="use 1/0, yes/no, true/false or must_link/cannot_link",
        )
    return text.isin(_YES)


def _positions(clean: pd.DataFrame, sources: pd.Series, keys: pd.Series) -> np.ndarray:
    """Row position of each (source, key); -1 where no row has it. An unknown source name is
    ignored and the key looked up across sources (when it is unique there)."""
    ids = identities(clean)
    by_id = positions(ids, row_aliases(clean))
    key_only = ids.map(lambda v: v.split("|", 1)[1])
    counts = key_only.value_counts()
    by_key = pd.Series(np.arange(len(ids)), index=key_only.to_numpy())
    by_key = by_key[~by_key.index.duplicated()]
    by_key = by_key[by_key.index.isin(counts[counts == 1].index)]
    direct = (sources + "|" + keys).map(by_id)
    fallback = keys.map(by_key)
    return direct.fillna(fallback).fillna(-1).to_numpy(dtype=np.int64)


def labels_from_truth(
    clean: pd.DataFrame, column: str, candidates: tuple[np.ndarray, np.ndarray]
) -> pd.DataFrame:
    """Labelled pairs from a column of true ids: every true pair, and every candidate pair."""
    if column not in clean.columns:
        raise InputError(f"the clean rows have no column {column!r}", column=column)
    truth = clean[column].astype(str).to_numpy()
    frame = pd.DataFrame({"t": truth, "r": np.arange(len(truth))})
    same = frame.merge(frame, on="t")
    same = same[same["r_x"] < same["r_y"]]
    i = np.concatenate([same["r_x"].to_numpy(), candidates[0]])
    j = np.concatenate([same["r_y"].to_numpy(), candidates[1]])
    codes = np.unique(np.minimum(i, j).astype(np.int64) * len(truth) + np.maximum(i, j))
    i, j = codes // max(len(truth), 1), codes % max(len(truth), 1)
    return pd.DataFrame({"i": i, "j": j, "match": truth[i] == truth[j]})


@dataclass(frozen=True)
class Evaluation:
    """Precision and recall by threshold, the recommended threshold and the worst mistakes."""

    curve: pd.DataFrame  # threshold, tp, fp, fn, precision, recall, f1
    recommended: float
    run_threshold: float
    labelled: int  # labelled pairs found among the rows
    not_found: int  # labelled pairs naming a record the rows do not hold
    matches: int  # labelled matches among `labelled`
    clusters: dict[str, float] | None  # precision/recall/f1 of the run's clusters on the labels
    worst_false_positives: tuple[PairExplanation, ...]
    worst_false_negatives: tuple[PairExplanation, ...]

    def at(self, threshold: float) -> pd.Series:
        return self.curve.iloc[int(np.argmin(np.abs(self.curve["threshold"].to_numpy() - threshold)))]


def _scores(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(
    clean: pd.DataFrame,
    model: MatchModel,
    pairs: pd.DataFrame,
    *,
    xref: pd.DataFrame | None = None,
    run_threshold: float = 0.6,
    not_found: int = 0,
) -> Evaluation:
    """Score labelled pairs (columns i, j: row positions; match: bool) with `model`."""
    clean = clean.reset_index(drop=True)
    if pairs.empty:
        raise InputError(
            "none of the labelled pairs names two records of this run",
            hint="label pairs by source key (as in review.csv), from the rows this run read",
        )
    mf = prepare(clean)
    i, j = pairs["i"].to_numpy(dtype=np.int64), pairs["j"].to_numpy(dtype=np.int64)
    scored = score(mf, model, i, j, term_frequencies(mf, model))
    probability = scored.probability
    label = pairs["match"].to_numpy(dtype=bool)
    rows = []
    for threshold in sorted({*THRESHOLDS, round(run_threshold, 4)}):
        predicted = probability >= threshold
        tp = int((predicted & label).sum())
        fp = int((predicted & ~label).sum())
        fn = int((~predicted & label).sum())
        rows.append((threshold, tp, fp, fn, *_scores(tp, fp, fn)))
    curve = pd.DataFrame(rows, columns=["threshold", "tp", "fp", "fn", "precision", "recall", "f1"])
    best = curve["f1"].max()
    recommended = float(curve.loc[curve["f1"] >= best - 1e-9, "threshold"].max())  # ties: the stricter
    clusters = None
    if xref is not None and "customer_id" in xref.columns:
        ids = identities(clean)
        customer = ids.map(
            pd.Series(xref["customer_id"].astype(str).to_numpy(), index=identities(xref).to_numpy())
        )
        together = customer.to_numpy()[i] == customer.to_numpy()[j]
        tp, fp, fn = (
            int((together & label).sum()),
            int((together & ~label).sum()),
            int((~together & label).sum()),
        )
        precision, recall, f1 = _scores(tp, fp, fn)
        clusters = {"precision": precision, "recall": recall, "f1": f1}
    ids = identities(clean)
    false_pos = np.flatnonzero(~label)[np.argsort(-probability[~label], kind="stable")][:WORST]
    false_pos = false_pos[probability[false_pos] >= recommended]
    false_neg = np.flatnonzero(label)[np.argsort(probability[label], kind="stable")][:WORST]
    false_neg = false_neg[probability[false_neg] < recommended]

    def explained(picked: np.ndarray) -> tuple[PairExplanation, ...]:
        return tuple(_explain_pairs(mf, model, ids, i[picked], j[picked])) if len(picked) else ()

    return Evaluation(
        curve=curve,
        recommended=recommended,
        run_threshold=run_threshold,
        labelled=len(pairs),
        not_found=not_found,
        matches=int(label.sum()),
        clusters=clusters,
        worst_false_positives=explained(false_pos),
        worst_false_negatives=explained(false_neg),
    )


def labelled_positions(clean: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Labelled pairs (read_labels) as row positions; and how many name a record not in `clean`."""
    left = _positions(clean, labels["left_source"], labels["left_key"])
    right = _positions(clean, labels["right_source"], labels["right_key"])
    found = (left >= 0) & (right >= 0) & (left != right)
    pairs = pd.DataFrame(
        {
            "i": np.minimum(left, right)[found],
            "j": np.maximum(left, right)[found],
            "match": labels["match"].to_numpy(dtype=bool)[found],
        }
    )
    return pairs.drop_duplicates(["i", "j"], keep="last").reset_index(drop=True), int((~found).sum())
