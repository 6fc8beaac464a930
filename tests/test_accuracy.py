"""Pairwise precision/recall, the measure every dedupe figure in this project uses."""

from __future__ import annotations

import pandas as pd
import pytest

from crmmigrate.accuracy import pairwise_scores, score_xref


def test_a_perfect_clustering_scores_one() -> None:
    s = pairwise_scores(pd.Series(["a", "a", "b"]), pd.Series([1, 1, 2]))
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


def test_an_over_merge_costs_precision_only() -> None:
    # predicted: one cluster of 3 (3 pairs); truth: {0,1} and {2} (1 pair)
    s = pairwise_scores(pd.Series(["a", "a", "a"]), pd.Series([1, 1, 2]))
    assert s.true_positives == 1 and s.predicted_pairs == 3 and s.true_pairs == 1
    assert s.precision == pytest.approx(1 / 3)
    assert s.recall == 1.0


def test_a_missed_duplicate_costs_recall_only() -> None:
    s = pairwise_scores(pd.Series(["a", "b", "c"]), pd.Series([1, 1, 2]))
    assert s.precision == 1.0 and s.recall == 0.0 and s.f1 == 0.0


def test_xref_is_joined_to_truth_by_lineage() -> None:
    xref = pd.DataFrame(
        {"source": ["s", "s", "t"], "source_row": [1, 2, 1], "customer_id": ["C1", "C1", "C2"]}
    )
    truth = pd.DataFrame({"source": ["s", "s", "t"], "source_row": [1, 2, 1], "person_id": [7, 7, 8]})
    assert score_xref(xref, truth).f1 == 1.0
    with pytest.raises(ValueError, match="no cross-reference row"):
        score_xref(xref.iloc[:2], truth)
