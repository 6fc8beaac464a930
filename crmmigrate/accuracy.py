"""Pairwise precision and recall of a clustering against ground truth.

Counts pairs without listing them (sums of n*(n-1)/2 over group sizes), so it measures a
million rows as quickly as a hundred.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PairScores:
    true_positives: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(sizes: pd.Series) -> int:
    n = sizes.astype("int64")
    return int((n * (n - 1) // 2).sum())


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> PairScores:
    """`predicted` and `truth` give a cluster label per record, aligned by position."""
    if len(predicted) != len(truth):
        raise ValueError("predicted and truth must label the same records")
    frame = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    return PairScores(
        true_positives=_pairs(frame.groupby(["p", "t"]).size()),
        predicted_pairs=_pairs(frame.groupby("p").size()),
        true_pairs=_pairs(frame.groupby("t").size()),
    )


def score_xref(xref: pd.DataFrame, ground_truth: pd.DataFrame) -> PairScores:
    """Score an xref (source, source_row, customer_id) against a ground truth (…, person_id)."""
    keys = ["source", "source_row"]
    left = xref[keys + ["customer_id"]].astype({"source_row": "int64"})
    right = ground_truth[keys + ["person_id"]].astype({"source_row": "int64"})
    merged = left.merge(right, on=keys, how="inner", validate="one_to_one")
    if len(merged) != len(right):
        raise ValueError(f"{len(right) - len(merged)} ground-truth rows have no cross-reference row")
    return pairwise_scores(merged["customer_id"], merged["person_id"])
