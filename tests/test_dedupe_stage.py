"""The dedupe stage end to end: outputs, accuracy on synthetic data, robustness."""

import numpy as np
import pandas as pd

from crmmigrate import schema
from crmmigrate.accuracy import pairwise_scores
from crmmigrate.dedupe import DedupeSettings, dedupe
from crmmigrate.dedupe.synthetic import clean_frame


def test_outputs_follow_the_contract() -> None:
    frame = clean_frame(150, seed=11)
    result = dedupe(frame.drop(columns=["person_id"]))
    assert list(result.xref.columns) == list(schema.XREF_COLUMNS)
    assert len(result.xref) == len(frame)
    assert list(result.golden.columns[: len(schema.GOLDEN_COLUMNS)]) == list(schema.GOLDEN_COLUMNS)
    assert result.golden.columns[len(schema.GOLDEN_COLUMNS)] == "member_count"
    assert result.golden["member_count"].sum() == len(frame)
    assert result.golden["customer_id"].is_monotonic_increasing and result.golden["customer_id"].is_unique
    assert set(result.xref["customer_id"]) == set(result.golden["customer_id"])
    singletons = result.xref.groupby("customer_id")["source"].transform("size") == 1
    assert result.xref.loc[singletons, "match_score"].isna().all()
    assert result.xref.loc[~singletons, "match_score"].between(0, 1).all()
    assert {"customer_id", "field", "source", "source_row"} <= set(result.lineage.columns)
    assert {"candidate_pairs", "clusters", "clusters_split", "blocks_capped", "em"} <= set(result.stats)


def test_finds_duplicates_without_merging_people() -> None:
    frame = clean_frame(400, seed=3)
    result = dedupe(frame.drop(columns=["person_id"]))
    truth = frame.set_index(["source", "source_row"])["person_id"]
    predicted = result.xref.set_index(["source", "source_row"])["customer_id"]
    scores = pairwise_scores(predicted, truth.reindex(predicted.index))
    assert scores.precision >= 0.95 and scores.recall >= 0.95


def test_review_holds_uncertain_pairs_side_by_side() -> None:
    frame = clean_frame(200, seed=6).drop(columns=["person_id"])
    result = dedupe(frame, DedupeSettings(threshold=0.99, review_band=(0.01, 0.99)))
    review = result.review
    assert {
        "left_source",
        "left_source_key",
        "right_customer_id",
        "match_probability",
        "left_first_name",
        "right_first_name",
    } <= set(review.columns)
    assert review["match_probability"].between(0.01, 0.99).all()


def test_tiny_and_sparse_inputs() -> None:
    empty = pd.DataFrame({"source": pd.Series([], dtype=str), "source_row": pd.Series([], dtype=int)})
    assert dedupe(empty).golden.empty
    one = pd.DataFrame({"source": ["crm"], "source_row": [1], "source_key": [None], "email": [np.nan]})
    result = dedupe(one)
    assert len(result.golden) == 1 and result.golden["member_count"].iloc[0] == 1
    all_empty = pd.DataFrame(
        {
            "source": ["a", "b"],
            "source_row": [1, 1],
            "first_name": [None, None],
            "last_name": [np.nan, np.nan],
        }
    )
    assert len(dedupe(all_empty).golden) == 2


def test_pandas_string_dtype_input() -> None:
    frame = clean_frame(60, seed=9).drop(columns=["person_id"])
    typed = frame.astype({c: "string" for c in frame.columns if c != "source_row"})
    assert dedupe(typed).xref["customer_id"].tolist() == dedupe(frame).xref["customer_id"].tolist()
