"""Explanations: a pair or a cluster re-scored field by field with the saved model."""

import pytest

from crmmigrate.dedupe import dedupe, explain_cluster, explain_pair, save_model
from crmmigrate.dedupe.model import MatchModel
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.errors import InputError


def test_explain_a_cluster_and_a_pair(tmp_path) -> None:
    clean = clean_frame(120, seed=12).drop(columns=["person_id"])
    result = dedupe(clean)
    model = MatchModel.load(save_model(result, tmp_path / "match_model.json"))
    biggest = result.golden.sort_values("member_count").iloc[-1]["customer_id"]
    explanation = explain_cluster(clean, model, biggest, result.xref)
    assert len(explanation.members) >= 2 and explanation.pairs
    pair = explanation.pairs[0]
    assert list(pair.rows.columns) == ["comparison", "left", "right", "level", "weight"]
    assert pair.total == pytest.approx(pair.prior_weight + pair.rows["weight"].sum(), abs=1e-3)
    assert pair.probability >= 0.5
    left, right = pair.left.split("|")[1], pair.right.split("|")[1]
    again = explain_pair(clean, model, left, right)
    assert again.total == pytest.approx(pair.total)


def test_unknown_records_and_customers_are_input_errors(tmp_path) -> None:
    clean = clean_frame(30, seed=1).drop(columns=["person_id"])
    result = dedupe(clean)
    with pytest.raises(InputError):
        explain_pair(clean, result.model, "nope", "K00001")
    with pytest.raises(InputError):
        explain_cluster(clean, result.model, "C0000", result.xref)
