"""The dedupe stage end to end: outputs, accuracy on synthetic data, robustness."""

import numpy as np
import pandas as pd

from crmmigrate import schema
from crmmigrate.accuracy import pairwise_scores
from crmmigrate.dedupe import DedupeSettings, dedupe
from crmmigrate.dedupe.linking import STEPS
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
    reported = {"candidate_pairs", "pairs_per_row", "clusters", "clusters_split", "blocks_windowed", "em"}
    assert reported <= set(result.stats)


def test_a_watcher_hears_each_step_of_matching_in_order() -> None:
    heard = []
    dedupe(
        clean_frame(60, seed=5).drop(columns=["person_id"]),
        steps=lambda done, total, step, unit: heard.append((done, total, step, unit)),
    )
    assert heard == [(i, len(STEPS), step, "steps") for i, step in enumerate(STEPS)]
    assert STEPS[0] == "preparing" and STEPS[-1] == "golden records"


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
    assert (review["reason"] == "uncertain").all()


def test_review_shows_a_link_merged_although_the_first_names_differ() -> None:
    """Sabine and Jana Lang share a mobile, an e-mail and a birthday: merged on that evidence, yet
    the names alone would say two people (twins?), so a reviewer sees the pair."""
    frame = pd.DataFrame(
        {
            "source": ["crm", "shop", "crm"],
            "source_row": [1, 1, 2],
            "source_key": ["A1", "S1", "A2"],
            "first_name": ["Sabine", "Jana", "Jonas"],
            "last_name": ["Lang", "Lang", "Weber"],
            "email": ["s.lang@web.de", "s.lang@web.de", "jonas@weber.de"],
            "phone": ["+4917012345678", "+4917012345678", "+4917187654321"],
            "phone_type": ["mobile"] * 3,
            "date_of_birth": ["1975-04-02", "1975-04-02", "1980-01-01"],
        }
    )
    result = dedupe(frame)
    assert len(result.golden) == 2
    review = result.review.set_index("reason")
    assert review.loc["merged, first names differ", ["left_first_name", "right_first_name"]].tolist() == [
        "Sabine",
        "Jana",
    ]


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


def _labelled_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Decisions-format labels from the synthetic truth: every matching pair, and as many
    neighbouring non-matching ones."""
    rows = frame.reset_index(drop=True)
    key = "#" + rows["source_row"].astype(str)
    same = rows.groupby("person_id").filter(lambda g: len(g) > 1).groupby("person_id").head(2)
    pairs = same.sort_values("person_id", kind="stable").index.to_numpy().reshape(-1, 2)
    labels = [(a, b, "must_link") for a, b in pairs]
    labels += [
        (a, a + 1, "cannot_link")
        for a in range(0, len(rows) - 1, 7)
        if rows["person_id"][a] != rows["person_id"][a + 1]
    ]
    return pd.DataFrame(
        [
            {
                "left_source": rows["source"][a],
                "left_key": rows["source_key"][a] if pd.notna(rows["source_key"][a]) else key[a],
                "right_source": rows["source"][b],
                "right_key": rows["source_key"][b] if pd.notna(rows["source_key"][b]) else key[b],
                "decision": d,
            }
            for a, b, d in labels
        ]
    )


def test_m_can_be_learnt_from_labelled_pairs() -> None:
    frame = clean_frame(400, seed=3)
    labels = _labelled_pairs(frame)
    result = dedupe(frame.drop(columns=["person_id"]), training=labels)
    assert result.model is not None
    assert result.model.info["m_from_labels"]["matches"] >= 20
    truth = frame.set_index(["source", "source_row"])["person_id"]
    predicted = result.xref.set_index(["source", "source_row"])["customer_id"]
    scores = pairwise_scores(predicted, truth.reindex(predicted.index))
    assert scores.precision >= 0.95 and scores.recall >= 0.95


def test_too_few_labelled_matches_is_a_config_error() -> None:
    import pytest

    from crmmigrate.errors import ConfigError

    frame = clean_frame(100, seed=3)
    labels = _labelled_pairs(frame).head(3)
    with pytest.raises(ConfigError, match="matching pair"):
        dedupe(frame.drop(columns=["person_id"]), training=labels)


def test_a_saved_model_scores_a_rerun_the_same_way() -> None:
    frame = clean_frame(200, seed=5).drop(columns=["person_id"])
    first = dedupe(frame)
    again = dedupe(frame, model=first.model)
    assert again.xref["customer_id"].tolist() == first.xref["customer_id"].tolist()


def test_a_customer_written_in_cyrillic_in_one_export_and_in_latin_in_another_is_one_customer() -> None:
    from crmmigrate.cleanse import StandardiseOptions, standardise

    rows = pd.DataFrame(
        {
            "source": ["crm", "shop", "crm", "shop"],
            "source_row": [1, 1, 2, 2],
            "source_key": ["1", "2", "3", "4"],
            "first_name": ["Иван", "Ivan", "Olga", "Ольга"],
            "last_name": ["Петров", "Petrov", "Shevchenko", "Шевченко"],
            "date_of_birth": ["1980-05-04", "1980-05-04", "1975-01-02", "1975-01-02"],
            "city": ["Москва", "Moskva", "Kyiv", "Київ"],
        }
    )
    result = dedupe(standardise(rows, StandardiseOptions()))
    ids = result.xref.set_index("source_key")["customer_id"]
    assert ids["1"] == ids["2"] and ids["3"] == ids["4"] and ids["1"] != ids["3"]
