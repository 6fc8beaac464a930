"""The Fellegi-Sunter model: u from random pairs, m by EM without labels, term frequencies."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe import dedupe
from crmmigrate.dedupe import model as model_module
from crmmigrate.dedupe.blocking import automatic_keys, candidate_pairs
from crmmigrate.dedupe.comparisons import (
    NULL,
    ExactComparison,
    LastNameComparison,
    compare,
    default_comparisons,
)
from crmmigrate.dedupe.model import (
    ALIKE,
    DIFFERENT,
    MatchModel,
    PairGroup,
    calibrate_prior,
    expectation_maximisation,
    fit,
    household_guard,
    isotonic_m,
    pair_weights,
    score,
    term_frequencies,
)
from crmmigrate.dedupe.patterns import PatternCounts
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.synthetic import clean_frame


def fitted(people: int = 300, seed: int = 4):
    frame = clean_frame(people, seed=seed)
    mf = prepare(frame)
    comparisons = default_comparisons(mf)
    found = candidate_pairs(automatic_keys(mf), len(frame))
    gamma = compare(mf, comparisons, found.left, found.right)
    groups = [PairGroup(k, m, found.uses[k]) for k, m in found.found_by.items() if found.trains[k]]
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
    comparisons = [ExactComparison(f"c{k}", (f"c{k}",)) for k in range(3)]
    rng = np.random.default_rng(0)
    matches = (rng.random((300, 3)) > 0.9).astype(np.int8)  # level 0 (agree) 90% of the time
    others = (rng.random((700, 3)) > 0.05).astype(np.int8)  # agree 5% of the time
    gamma = np.vstack([matches, others])
    em = expectation_maximisation(gamma, comparisons, [np.array([0.3, 0.7])] * 3)
    assert em.converged
    assert abs(em.match_share - 0.3) < 0.05
    assert all(abs(m[0] - 0.9) < 0.05 for m in em.m)
    assert all(abs(u[0] - 0.05) < 0.05 for u in em.u)


def test_em_cannot_give_a_weak_level_the_match_mass_of_a_strong_one() -> None:
    """The collapse seen on public data: an unconstrained EM handed the surname's 'swapped' level
    all of the match mass, so that an exact surname weighed nothing. m is kept monotone in m/u."""
    last = LastNameComparison("last_name", ("last",))
    n_levels = len(last.levels_list)
    u = np.full(n_levels, 1e-4)
    u[0], u[-1] = 0.005, 1 - 0.005 - 1e-4 * (n_levels - 2)
    collapsed = np.full(n_levels, 1e-8)
    collapsed[1], collapsed[-1] = 0.7, 0.3  # the EM fixed point seen on fake_1000
    m = isotonic_m(collapsed / collapsed.sum(), u)
    ratio = m / u
    assert all(ratio[k] >= ratio[k + 1] - 1e-9 for k in range(n_levels - 1))
    weights = MatchModel([last], [collapsed], [u], prior=1e-3).weights()[0]
    assert weights[0] >= weights[1] > weights[-1]
    assert weights[0] > 0


def test_the_prior_is_the_share_of_pairs_the_evidence_says_match() -> None:
    """EM said one pair in a hundred matches; the evidence of the compared pairs says 100 sure
    matches and 10,000 strangers among a million pairs: the prior becomes 1e-4, whatever EM said."""
    _, _, model, _, _ = fitted()
    overcounted = MatchModel(model.comparisons, model.m, model.u, prior=0.01, info={})
    evidence = np.concatenate([np.full(100, 40.0), np.full(10_000, -10.0)])
    calibrated = calibrate_prior(overcounted, evidence, pair_space=1e6, rows=10_000)
    assert calibrated.prior == pytest.approx(1e-4, rel=0.01)
    assert calibrated.info["prior_from_em"] == 0.01
    assert calibrated.m is overcounted.m and calibrated.u is overcounted.u


def test_a_calibrated_prior_is_its_own_fixed_point() -> None:
    """Undecided pairs count by their probability under the prior itself."""
    _, _, model, _, _ = fitted()
    evidence = np.random.default_rng(3).normal(15.0, 8.0, size=5_000)
    calibrated = calibrate_prior(model, evidence, pair_space=2e6, rows=10_000)
    expected = (1 / (1 + np.exp2(-(evidence + calibrated.prior_weight)))).sum()
    assert calibrated.prior * 2e6 == pytest.approx(expected, rel=0.01)


def test_convergence_is_reported() -> None:
    _, _, model, _, _ = fitted(150)
    info = model.info
    assert info["em_converged"] is True and info["em_not_converged"] == []
    assert all("converged" in run for run in info["per_key"].values())
    comparisons = [ExactComparison("c0", ("c0",))]
    gamma = np.array([[0], [1]] * 50, dtype=np.int8)
    em = expectation_maximisation(gamma, comparisons, [np.array([0.5, 0.5])], max_iter=1, tol=0.0)
    assert not em.converged and em.iterations == 1


def test_matches_score_higher_than_non_matches() -> None:
    frame, mf, model, found, gamma = fitted()
    scores = score(mf, model, found.left, found.right, term_frequencies(mf, model), gamma=gamma)
    person = frame["person_id"].to_numpy()
    same = person[found.left] == person[found.right]
    assert np.median(scores.probability[same]) > 0.9
    assert np.median(scores.probability[~same]) < 0.1


def test_a_missing_value_weighs_exactly_nothing() -> None:
    _, mf, model, found, gamma = fitted()
    scores = score(mf, model, found.left, found.right, term_frequencies(mf, model), gamma=gamma)
    missing = scores.gamma == NULL
    assert missing.any()
    assert (scores.weights[missing] == 0).all()


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
    last = [c.name for c in model.comparisons].index("last_name")
    model = MatchModel(
        comparisons=[model.comparisons[last]], m=[model.m[last]], u=[model.u[last]], prior=1e-3
    )
    tf = term_frequencies(toy, model)
    scores = score(toy, model, np.array([0, 2]), np.array([1, 3]), tf)
    assert scores.weights[0, 0] > scores.weights[1, 0] + 3


def test_a_phone_used_by_several_people_is_weak_evidence() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Anna", "Jonas", "Jonas", "Petra", "Felix"],
            "phone": ["+491711111111"] * 2 + ["+493022222222"] * 4,
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


def test_the_model_round_trips_with_its_levels(tmp_path) -> None:
    _, _, model, _, _ = fitted(120)
    path = model.save(tmp_path / "match_model.json")
    saved = json.loads(path.read_text())
    assert saved["version"] == 2
    assert saved["comparisons"][0]["levels"][0] == {"test": "exact"}
    again = MatchModel.load(path)
    assert [c.spec() for c in again.comparisons] == [c.spec() for c in model.comparisons]
    assert all(np.allclose(a, b) for a, b in zip(again.weights(), model.weights(), strict=False))
    assert again.prior_weight == model.prior_weight
    assert saved["twins"] == again.twins == "weigh"
    del saved["twins"]  # a model saved before the setting: twins were held apart
    assert MatchModel.from_dict(saved).twins == "apart"


def test_a_model_saved_before_levels_were_recorded_is_refused(tmp_path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"version": 1, "prior": 0.001, "comparisons": []}))
    with pytest.raises(ValueError, match="fit a new model"):
        MatchModel.load(path)


def test_names_merely_alike_at_one_address_are_two_people_unless_born_the_same_day() -> None:
    """Sabine and Stefanie Lang share a flat and a landline: that is a household. Marie and Maria
    born on one day at one address: one person, one name misspelt (twins are named apart)."""
    frame = pd.DataFrame(
        {
            "first_name": ["Sabine", "Stefanie", "Marie", "Maria"],
            "last_name": ["Lang"] * 4,
            "phone": ["+4961311234567"] * 2 + ["+4961317654321"] * 2,
            "phone_type": ["fixed_line"] * 4,
            "address_line1": ["Am Markt 20"] * 2 + ["Am Markt 22"] * 2,
            "postal_code": ["55118"] * 4,
            "city": ["Mainz"] * 4,
            "date_of_birth": [None, None, "1975-04-02", "1975-04-02"],
        }
    )
    _, _, model, _, _ = fitted()
    toy = prepare(frame)
    scores = score(toy, model, np.array([0, 2]), np.array([1, 3]), term_frequencies(toy, model))
    assert scores.conflict.tolist() == [True, False]
    assert scores.probability[0] < 0.5 < scores.probability[1]


def test_first_names_that_conflict_on_one_birthday_are_weighed_unless_twins_are_kept_apart() -> None:
    """Wei Chen in one export, David Chen in another (an English name beside a Chinese one), born
    the same day at one address: by default the surname and the birthday count against the
    conflicting first names, while the shared address does not; with `twins: apart` the two
    first names are two people and the surname stops counting too."""
    frame = pd.DataFrame(
        {
            "first_name": ["Wei", "David"],
            "last_name": ["Chen", "Chen"],
            "date_of_birth": ["1984-09-12", "1984-09-12"],
            "address_line1": ["12 Harbour Road"] * 2,
            "postal_code": ["2000"] * 2,
            "city": ["Sydney"] * 2,
        }
    )
    _, _, model, _, _ = fitted()
    toy = prepare(frame)
    names = [c.name for c in model.comparisons]
    surname, address = names.index("last_name"), names.index("address")
    pair = np.array([0]), np.array([1])
    weighed = score(toy, model, *pair, term_frequencies(toy, model))
    apart_model = replace(model, twins="apart")
    apart = score(toy, apart_model, *pair, term_frequencies(toy, apart_model))
    assert household_guard(model, weighed.gamma).tolist() == [ALIKE]
    assert household_guard(apart_model, apart.gamma).tolist() == [DIFFERENT]
    assert weighed.weights[0, surname] > 0 and apart.weights[0, surname] <= 0
    assert weighed.weights[0, address] <= 0 and apart.weights[0, address] <= 0
    assert weighed.probability[0] > apart.probability[0]


def test_u_of_a_list_of_a_few_hundred_rows_is_learnt_from_its_pairs() -> None:
    """900 organisations with distinct names: two of them share a name by chance about never, so
    an exact name is strong evidence; the built-in u (1 in 200) must not drown what 404,550 pairs
    say."""
    names = [f"Company {chr(65 + i % 26)}{i:03d}" for i in range(900)]
    frame = pd.DataFrame({"company": names, "city": ["Springfield", "Shelbyville", "Ogdenville"] * 300})
    mf = prepare(frame)
    comparisons = default_comparisons(mf)
    gamma = np.empty((0, len(comparisons)), dtype=np.int8)
    model = fit(mf, comparisons, gamma, seed=1, u_sample=50_000)
    company = next(k for k, c in enumerate(model.comparisons) if c.kind == "company")
    assert model.u[company][0] < 0.0005  # the built-in value is 0.005


def test_the_model_depends_on_the_pattern_counts_not_on_the_order_of_the_pairs() -> None:
    """What lets an engine count patterns where its pairs are (a Spark group-by) and fit the same
    model to the last bit."""
    _, mf, model, found, gamma = fitted()
    order = np.random.default_rng(3).permutation(len(gamma))
    groups = [PairGroup(k, m[order], found.uses[k]) for k, m in found.found_by.items() if found.trains[k]]
    shuffled = fit(mf, model.comparisons, gamma[order], groups=groups, seed=1, u_sample=50_000)
    assert shuffled.to_dict() == model.to_dict()


def test_pattern_counts_count_each_levels_and_keys_once() -> None:
    rng = np.random.default_rng(5)
    gamma = rng.integers(-1, 3, size=(5_000, 4)).astype(np.int8)
    keys = rng.integers(0, 4, size=5_000)
    table = PatternCounts.of(gamma, keys)
    expected = pd.DataFrame(gamma).assign(keys=keys).value_counts()
    assert table.pairs == len(gamma) and len(table.counts) == len(expected)
    for levels, found, count in zip(table.levels, table.keys, table.counts, strict=True):
        assert expected[(*levels.tolist(), found)] == count
    wide = PatternCounts.of(np.tile(gamma, (1, 4)), keys)  # 16 comparisons: counted without packing
    assert np.array_equal(wide.counts, table.counts) and np.array_equal(wide.keys, table.keys)


def _companies_in_cities() -> tuple:
    """300 organisations known only by name and city, a third of them listed twice."""
    names = [f"Firma {chr(65 + i % 26)}{chr(65 + i // 26 % 26)} {i}" for i in range(300)]
    cities = ["Springfield", "Shelbyville", "Ogdenville", "Brockway", "North Haverbrook"] * 60
    frame = pd.DataFrame({"company": names + names[:100], "city": cities + cities[:100]})
    mf = prepare(frame)
    comparisons = default_comparisons(mf)
    found = candidate_pairs(automatic_keys(mf), len(frame))
    gamma = compare(mf, comparisons, found.left, found.right)
    groups = [PairGroup(k, m, found.uses[k]) for k, m in found.found_by.items() if found.trains[k]]
    return mf, fit(mf, comparisons, gamma, groups=groups, seed=1, u_sample=50_000)


def test_a_list_with_cities_but_no_streets_counts_the_same_city_for_a_match() -> None:
    """The built-in m spreads a match over the street levels first; where no row has a street,
    that share belongs to the best level these rows can reach, the city."""
    _, model = _companies_in_cities()
    address = next(k for k, c in enumerate(model.comparisons) if c.kind == "address")
    levels = model.comparisons[address].levels_list
    weights = dict(zip(levels, model.weights()[address], strict=True))
    m = dict(zip(levels, model.m[address], strict=True))
    assert m["same_street>=0.95"] == 0 and m["same_postal_code"] == 0
    assert m["same_city>=0.85"] > 0.5
    assert weights["same_city>=0.85"] > 1 > 0 > weights["else"]


def test_a_key_leaving_one_two_way_field_to_learn_from_teaches_nothing() -> None:
    """Pairs found by the company's name, scored on the city alone, cannot tell matches from
    strangers: EM on them would settle anywhere (it settled on no matches at all), so the key is
    skipped and the built-in prior stands until the evidence calibrates it."""
    _, model = _companies_in_cities()
    assert model.info["per_key"]["company"]["skipped"] == "too little left to learn from"
    assert model.prior == pytest.approx(1e-3)


def test_a_list_of_organisations_by_name_and_city_finds_the_ones_listed_twice() -> None:
    """800 rows, 200 of them a second listing of a business by the same name in the same city.
    Among random pairs, those 200 are nearly all the pairs that share a name: u of strangers
    leaves them out, so an exact name in the same city is a match (it merged none before)."""
    names = [f"Firma {chr(65 + i % 26)}{chr(65 + i // 26 % 26)} {i}" for i in range(600)]
    cities = ["Springfield", "Shelbyville", "Ogdenville", "Brockway", "North Haverbrook"] * 120
    frame = pd.DataFrame({"company": names + names[:200], "city": cities + cities[:200]})
    frame["source"], frame["source_row"] = "crm", range(1, 801)
    frame["source_key"] = [f"k{n}" for n in range(800)]
    result = dedupe(frame)
    customer = result.xref.set_index("source_key")["customer_id"]
    assert len(result.golden) == 600
    assert customer["k0"] == customer["k600"] and customer["k0"] != customer["k1"]


def test_totals_weighed_a_slice_of_pairs_at_a_time_are_those_of_one_pass(monkeypatch) -> None:
    _, mf, model, found, gamma = fitted()
    tf = term_frequencies(mf, model)
    _, whole = pair_weights(model, gamma, tf, found.left, found.right, keep=False)
    monkeypatch.setattr(model_module, "WEIGHT_SLICE", len(gamma) // 3 + 1)  # three slices, the last short
    _, sliced = pair_weights(model, gamma, tf, found.left, found.right, keep=False)
    assert np.array_equal(whole, sliced)
