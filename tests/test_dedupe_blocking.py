"""Blocking: several keys at once, chosen from filled columns, capped blocks named, never all pairs."""

import logging

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.blocking import Candidates, automatic_keys, candidate_pairs, configured_keys
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.synthetic import clean_frame


def test_keys_come_from_filled_columns_only() -> None:
    mf = prepare(
        pd.DataFrame({"first_name": ["Anna", "Ann"], "last_name": ["Weber", "Weber"], "email": [None, None]})
    )
    names = [k.name for k in automatic_keys(mf)]
    assert "email" not in names and "phone" not in names
    assert "dob+last initial" not in names and "postal+last3+initial" not in names


def test_candidates_are_unique_ordered_pairs_and_far_fewer_than_all_pairs() -> None:
    frame = clean_frame(300, seed=2)
    mf = prepare(frame)
    found = candidate_pairs(automatic_keys(mf), len(frame), cap=1000)
    n = len(frame)
    assert 0 < len(found) < n * (n - 1) / 2 / 10
    assert (found.left < found.right).all()
    codes = found.left * n + found.right
    assert len(set(codes.tolist())) == len(codes)
    assert sum(found.per_key.values()) >= len(found)


def test_true_duplicates_are_found() -> None:
    frame = clean_frame(200, seed=5)
    mf = prepare(frame)
    found = candidate_pairs(automatic_keys(mf), len(frame), cap=1000)
    person = frame["person_id"].to_numpy()
    same = person[found.left] == person[found.right]
    truth = frame.groupby("person_id").size()
    true_pairs = int((truth * (truth - 1) // 2).sum())
    assert same.sum() >= 0.97 * true_pairs


def test_oversized_blocks_are_skipped_with_a_warning_naming_the_key(caplog: pytest.LogCaptureFixture) -> None:
    frame = pd.DataFrame({"phone": ["+4930123456"] * 30, "last_name": [f"Name{k}" for k in range(30)]})
    mf = prepare(frame)
    with caplog.at_level(logging.WARNING):
        found = candidate_pairs(automatic_keys(mf), len(frame), cap=10)
    assert found.capped == {"phone": 1}
    assert "'phone'" in caplog.text
    assert found.per_key["phone"] == 0


def test_swapped_first_and_last_names_meet_in_a_block() -> None:
    mf = prepare(
        pd.DataFrame({"first_name": ["Anna", "Weber"], "last_name": ["Weber", "Anna"], "city": ["Ulm"] * 2})
    )
    found = candidate_pairs(automatic_keys(mf), 2, cap=100)
    assert found.per_key["metaphone(first+last)+place"] == 1  # names in either order


def test_configured_keys() -> None:
    mf = prepare(pd.DataFrame({"postal_code": ["10115", "10115", "20095"], "city": ["Berlin"] * 3}))
    keys = configured_keys(mf, [["postal"]])
    found = candidate_pairs(keys, 3, cap=100)
    assert list(zip(found.left, found.right, strict=False)) == [(0, 1)]
    assert keys[0].uses == ("address",)


def test_a_large_block_pairs_each_row_only_with_its_neighbours_in_order() -> None:
    from crmmigrate.dedupe.blocking import WINDOW, _window_pairs

    codes = np.zeros(20, dtype=np.int64)  # one block of 20 rows
    order = pd.Series([f"name{i:02d}" for i in reversed(range(20))])  # sorted order = reversed rows
    left, right = _window_pairs(codes, order, WINDOW)
    pairs = {tuple(sorted(p)) for p in zip(left.tolist(), right.tolist(), strict=True)}
    per_row = pd.Series([r for p in pairs for r in p]).value_counts()
    assert per_row.max() <= 2 * WINDOW
    assert (18, 19) in pairs and (0, 1) in pairs  # rows next to each other in the ordering
    assert (0, 19) not in pairs  # far apart in the ordering


def _pairs(found: Candidates) -> set[tuple[int, int]]:
    return set(zip(found.left.tolist(), found.right.tolist(), strict=True))


def test_residents_of_one_address_meet_only_when_they_share_a_name_word() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Anna", "Klaus", "Jonas"],  # Anna Weber married: Anna Schulz
            "last_name": ["Weber", "Schulz", "Brandt", "Weber"],
            "address_line1": ["Hauptstraße 5"] * 4,
            "postal_code": ["10115"] * 4,
            "city": ["Berlin"] * 4,
        }
    )
    found = candidate_pairs(automatic_keys(prepare(frame)), len(frame), cap=100)
    assert _pairs(found) == {(0, 1), (0, 3)}  # the flatmate Klaus Brandt meets nobody
    assert found.per_key["street+postal+name word or dob"] == 2


def test_rows_at_one_address_born_the_same_day_meet_whatever_their_names() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Chelsea", "Chelwea"],
            "last_name": ["Hunt", None],
            "address_line1": ["18 Crisp Circuit"] * 2,
            "postal_code": ["6311"] * 2,
            "date_of_birth": ["1904-02-15"] * 2,
        }
    )
    found = candidate_pairs(automatic_keys(prepare(frame)), len(frame), cap=100)
    assert found.per_key["street+postal+name word or dob"] == 1


def test_a_new_surname_still_meets_on_the_birth_date_and_first_name() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Sabine", "Sabine", "Petra"],
            "last_name": ["Vogel", "Engel", "Engel"],
            "postal_code": ["10115", "80331", "80331"],
            "date_of_birth": ["1975-06-01"] * 3,
        }
    )
    found = candidate_pairs(automatic_keys(prepare(frame)), len(frame), cap=100)
    assert (0, 1) in _pairs(found)
    assert found.per_key["dob+name word"] == 2  # Sabine Vogel/Engel, and the Engels born that day


def test_company_records_at_one_address_meet_by_a_word_of_the_company_name() -> None:
    frame = pd.DataFrame(
        {
            "company": ["Müller Bau GmbH", "Mueller Bau", "Schreinerei Koch"],
            "address_line1": ["Industriestraße 3"] * 3,
            "postal_code": ["50667"] * 3,
        }
    )
    found = candidate_pairs(automatic_keys(prepare(frame)), len(frame), cap=100)
    assert _pairs(found) == {(0, 1)}


def test_a_block_of_namesakes_costs_about_one_pair_per_row_per_key() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Thomas"] * 50,
            "last_name": ["Müller"] * 50,
            "address_line1": [f"Hauptstraße {k}" for k in range(50)],
            "postal_code": ["80331"] * 50,
        }
    )
    found = candidate_pairs(automatic_keys(prepare(frame)), len(frame), cap=1000)
    assert all(count <= 49 for count in found.per_key.values())
    assert len(found) < 2 * len(frame)  # not 50 * 49 / 2


def test_a_key_of_several_values_per_row_is_a_sorted_neighbourhood_in_a_large_block() -> None:
    frame = pd.DataFrame(
        {
            "first_name": [f"Name{k}" for k in range(20)],
            "last_name": ["Weber"] * 20,  # a building full of Webers
            "address_line1": ["Hauptstraße 5"] * 20,
            "postal_code": ["10115"] * 20,
        }
    )
    keys = [k for k in automatic_keys(prepare(frame)) if k.name == "street+postal+name word or dob"]
    found = candidate_pairs(keys, len(frame), cap=1000)
    assert len(found) == 19  # neighbours in name order, not 190 pairs


def test_pairs_per_row_grow_far_slower_than_the_rows() -> None:
    per_row = []
    for people in (300, 3000):
        frame = clean_frame(people, seed=3)
        found = candidate_pairs(automatic_keys(prepare(frame)), len(frame), cap=1000)
        person = frame["person_id"].to_numpy()
        truth = frame.groupby("person_id").size()
        true_pairs = int((truth * (truth - 1) // 2).sum())
        assert (person[found.left] == person[found.right]).sum() >= 0.97 * true_pairs
        per_row.append(len(found) / len(frame))
    assert per_row[1] < 2 * per_row[0]  # ten times the rows (of very few names and places)


def test_frames_without_names_or_without_rows_are_blocked_too() -> None:
    nameless = pd.DataFrame({"first_name": [None, None], "email": ["anna@example.org"] * 2})
    found = candidate_pairs(automatic_keys(prepare(nameless)), 2, cap=10)
    assert _pairs(found) == {(0, 1)}
    empty = prepare(pd.DataFrame({"first_name": pd.Series([], dtype=object)}))
    assert len(candidate_pairs(automatic_keys(empty), 0, cap=10)) == 0
