"""The Fellegi-Sunter model: u from random pairs, m by EM without labels, term frequencies."""

import numpy as np
import pandas as pd

from crmmigrate.dedupe.blocking import automatic_keys, candidate_pairs
from crmmigrate.dedupe.comparisons import compare, default_comparisons
from crmmigrate.dedupe.model import (
    MatchModel,
    PairGroup,
    expectation_maximisation,
    fit,
    monotone,
    score,
    term_frequencies,
)
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.synthetic import clean_frame


def fitted(people: int = 300, seed: int = 4):
    frame = clean_frame(people, seed=seed)
    mf = prepare(frame)
    comparisons = default_comparisons(mf)
    found = candidate_pairs(automatic_keys(mf), len(frame), cap=1000)
    gamma = compare(mf, comparisons, found.left, found.right)
    groups = [PairGroup(k, m, found.uses[k]) for k, m in found.found_by.items()]
    model = fit(mf, comparisons, gamma, groups=groups, seed=1, u_sample=50_000)
    return frame, mf, model, found, gamma


def test_em_learns_that_agreement_is_evidence_for_a_match() -> None:
    _, _, model, _, _ = fitted()
    for comparison, weights in zip(model.comparisons, model.weights(), strict=False):
        if comparison.only_against:
            continue
        assert weights[0] > 3, comparison.name  # exact agreement is strong evidence
        assert weights[-1] < 0, comparison.name  # the worst level is evidence against
    assert 0 < model.prior < 0.05


def test_em_separates_two_classes_on_a_toy_matrix() -> None:
    from crmmigrate.dedupe.comparisons import ExactComparison

    comparisons = [ExactComparison(f"c{k}", (f"c{k}",)) for k in range(3)]
    rng = np.random.default_rng(0)
    matches = (rng.random((300, 3)) > 0.9).astype(np.int8)  # level 0 (agree) 90% of the time
    others = (rng.random((700, 3)) > 0.05).astype(np.int8)  # agree 5% of the time
    gamma = np.vstack([matches, others])
    em = expectation_maximisation(gamma, comparisons, [np.array([0.3, 0.7])] * 3)
    assert abs(em.match_share - 0.3) < 0.05
    assert all(abs(m[0] - 0.9) < 0.05 for m in em.m)
    assert all(abs(u[0] - 0.05) < 0.05 for u in em.u)


def test_matches_score_higher_than_non_matches() -> None:
    frame, mf, model, found, gamma = fitted()
    scores = score(mf, model, found.left, found.right, term_frequencies(mf, model), gamma=gamma)
    person = frame["person_id"].to_numpy()
    same = person[found.left] == person[found.right]
    assert np.median(scores.probability[same]) > 0.9
    assert np.median(scores.probability[~same]) < 0.1


def test_a_rare_surname_weighs_more_than_a_common_one() -> None:
    filler = ["Müller"] * 400 + [f"Name{k}" for k in range(1600)]  # large enough to trust frequencies
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Anna", "Jonas", "Jonas"] + [f"X{k}" for k in range(len(filler))],
            "last_name": ["Zbigniewska", "Zbigniewska", "Müller", "Müller"] + filler,
        }
    )
    _, mf, model, _, _ = fitted()
    toy = prepare(frame)
    model = MatchModel(
        comparisons=[c for c in model.comparisons if c.name == "last_name"],
        m=[model.m[1]],
        u=[model.u[1]],
        prior=1e-3,
    )
    tf = term_frequencies(toy, model)
    scores = score(toy, model, np.array([0, 2]), np.array([1, 3]), tf)
    assert scores.weights[0, 0] > scores.weights[1, 0] + 3


def test_a_phone_used_by_several_people_is_weak_evidence() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Anna", "Jonas", "Jonas", "Petra", "Felix"],
            "phone": [
                "+491711111111",
                "+491711111111",
                "+493022222222",
                "+493022222222",
                "+493022222222",
                "+493022222222",
            ],
        }
    )
    _, _, model, _, _ = fitted()
    toy = prepare(frame)
    phone = [c.name for c in model.comparisons].index("phone")
    model = MatchModel(
        comparisons=[model.comparisons[phone]], m=[model.m[phone]], u=[model.u[phone]], prior=1e-3
    )
    scores = score(toy, model, np.array([0, 2]), np.array([1, 3]), term_frequencies(toy, model))
    assert scores.weights[0, 0] > scores.weights[1, 0] + 1.5


def test_household_guard_different_first_name_outweighs_shared_contact_points() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Jonas"],
            "last_name": ["Weber", "Weber"],
            "phone": ["+493012345678"] * 2,
            "phone_type": ["fixed_line"] * 2,
            "address_line1": ["Hauptstraße 5"] * 2,
            "postal_code": ["10115"] * 2,
            "city": ["Berlin"] * 2,
            "email": ["familie.weber@web.de"] * 2,
        }
    )
    _, _, model, _, _ = fitted()
    toy = prepare(frame)
    scores = score(toy, model, np.array([0]), np.array([1]), term_frequencies(toy, model))
    assert scores.conflict[0]
    assert scores.probability[0] < 0.01


def test_weights_are_monotone_and_the_model_round_trips(tmp_path) -> None:
    assert list(monotone(np.array([1.0, 3.0, -2.0]))) == [3.0, 3.0, -2.0]
    _, _, model, _, _ = fitted(120)
    path = model.save(tmp_path / "match_model.json")
    again = MatchModel.load(path)
    assert [c.spec() for c in again.comparisons] == [c.spec() for c in model.comparisons]
    assert all(np.allclose(a, b) for a, b in zip(again.weights(), model.weights(), strict=False))
    assert again.prior_weight == model.prior_weight
