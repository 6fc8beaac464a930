"""Blocking: many keys at once from the filled fields, large blocks as sorted neighbourhoods,
nothing skipped, pairs per row bounded."""

import numpy as np
import pandas as pd

from crmmigrate.dedupe.blocking import (
    EVERY_PAIR,
    BlockingKey,
    Candidates,
    automatic_keys,
    candidate_pairs,
    configured_keys,
)
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.synthetic import clean_frame


def _pairs(found: Candidates) -> set[tuple[int, int]]:
    return set(zip(found.left.tolist(), found.right.tolist(), strict=True))


def _found(frame: pd.DataFrame, **kwargs: int) -> Candidates:
    """The pairs the keys find (a small list's every pair left out: these tests are of the keys)."""
    return candidate_pairs(automatic_keys(prepare(frame)), len(frame), **{"every_pair_rows": 0, **kwargs})


def test_keys_come_from_filled_fields_only() -> None:
    mf = prepare(
        pd.DataFrame({"first_name": ["Anna", "Ann"], "last_name": ["Weber", "Weber"], "email": [None] * 2})
    )
    names = [k.name for k in automatic_keys(mf)]
    assert "email" not in names and "phone" not in names and "birth date" not in names
    assert "first and last name" in names and "surname" in names


def test_candidates_are_unique_ordered_pairs_and_far_fewer_than_all_pairs() -> None:
    frame = clean_frame(1500, seed=2)
    found = _found(frame)
    n = len(frame)
    assert 0 < len(found) < n * (n - 1) / 2 / 20
    assert (found.left < found.right).all()
    codes = found.left * n + found.right
    assert len(set(codes.tolist())) == len(codes)
    assert sum(found.per_key.values()) >= len(found)


def test_every_true_pair_of_the_synthetic_set_is_a_candidate() -> None:
    frame = clean_frame(400, seed=5)
    found = _found(frame)
    person = frame["person_id"].to_numpy()
    truth = frame.groupby("person_id").size()
    true_pairs = int((truth * (truth - 1) // 2).sum())
    assert (person[found.left] == person[found.right]).sum() >= 0.99 * true_pairs


LABELLED = pd.DataFrame(
    [
        # person, first, last, email, date of birth, city
        ("p1", "Robert", "Allen", "robert255@smith.net", "1971-06-24", None),
        ("p1", "Rob", "Alan", "roberta25@smith.net", "1971-05-24", "London"),
        ("p1", "Allen", "Robert", None, "1971-06-24", "Londn"),  # swapped, city typo
        ("p2", "Isaac", None, "ar20@miller-torres.org", "1991-05-06", "Leeds"),
        ("p2", None, "James", "ar20@miller-t2orres.org", "1991-05-06", None),  # domain typo
        ("p3", "Harry", "Osborn", None, "1823-08-07", "Pulborough"),  # a birth date before 1900
        ("p3", "Henry", None, None, "1823-08-07", None),  # a nickname, nothing else but the date
        ("p4", "Sofia", "Russell", "sofiarussell9@rivera.com", "2014-09-03", None),
        ("p4", "Sosfia", "Russel", None, None, "London"),  # typos everywhere
        ("p5", "Amber", "Dixon", None, "1995-06-21", "Aberdeen"),
        ("p6", "Nancy", "Williams", None, "1982-01-14", None),
    ],
    columns=["person", "first_name", "last_name", "email", "date_of_birth", "city"],
)


def test_a_small_labelled_set_with_typical_errors_is_blocked_completely() -> None:
    filler = clean_frame(200, seed=9)[["first_name", "last_name", "email", "date_of_birth", "city"]]
    frame = pd.concat([LABELLED.drop(columns=["person"]), filler], ignore_index=True)
    found = _pairs(_found(frame))
    person = LABELLED["person"].tolist()
    true_pairs = {
        (a, b) for a in range(len(person)) for b in range(a + 1, len(person)) if person[a] == person[b]
    }
    assert true_pairs <= found


def test_a_large_block_is_a_sorted_neighbourhood_never_skipped() -> None:
    frame = pd.DataFrame({"phone": ["+4930123456"] * 200, "last_name": [f"Name{k:03d}" for k in range(200)]})
    found = candidate_pairs(
        [k for k in automatic_keys(prepare(frame)) if k.name == "phone"], 200, window=5, every_pair_rows=0
    )
    per_row = pd.Series(np.concatenate([found.left, found.right])).value_counts()
    assert found.per_key["phone"] > 0 and found.windowed == {"phone": 1}
    assert per_row.max() <= 2 * 5  # a window of 5 on each side, not 199 partners
    assert (per_row > 0).sum() == 200  # every row meets someone


def test_a_large_block_pairs_each_row_with_its_neighbours_in_order() -> None:
    key = BlockingKey("one block", (np.zeros(20, dtype=np.int64),), order=np.arange(20)[::-1].copy())
    found = candidate_pairs([key], 20, max_block=4, window=1, every_pair_rows=0)
    assert _pairs(found) == {(k, k + 1) for k in range(19)}


def test_a_small_block_is_compared_in_full() -> None:
    key = BlockingKey("one block", (np.zeros(6, dtype=np.int64),), order=np.arange(6))
    assert len(candidate_pairs([key], 6, max_block=6, window=1, every_pair_rows=0)) == 15


def test_pairs_per_row_stay_bounded_in_a_crowd_of_namesakes() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Thomas"] * 400,
            "last_name": ["Müller"] * 400,
            "date_of_birth": [f"19{50 + k % 40}-0{1 + k % 9}-1{k % 10}" for k in range(400)],
            "city": ["München", "Berlin", "Köln", "Hamburg"] * 100,
        }
    )
    found = _found(frame)
    assert len(found) / len(frame) < 40  # not 399 partners each


def test_swapped_first_and_last_names_meet() -> None:
    frame = pd.DataFrame(
        {"first_name": ["Anna", "Weber"], "last_name": ["Weber", "Anna"], "city": ["Ulm"] * 2}
    )
    assert _found(frame).per_key["first and last name"] == 1


def test_company_records_meet_by_a_word_of_the_company_name_in_a_place() -> None:
    frame = pd.DataFrame(
        {
            "company": ["Müller Bau GmbH", "Mueller Bau", "Schreinerei Koch"],
            "city": ["Köln"] * 3,
        }
    )
    assert (0, 1) in _pairs(_found(frame))


def test_companies_meet_as_neighbours_in_the_sorted_passes_whatever_their_city_says() -> None:
    # Each row's city is written differently and no key but the company's name could join them:
    # the sorted passes order organisations by their company name, as people by theirs.
    others = [f"Firma {chr(65 + k)}{chr(65 + k)} Handel" for k in range(20)]
    frame = pd.DataFrame(
        {
            "company": ["Four Seasons Grill Room", "Four Seasons", *others],
            "city": ["New York", "New York City", *[f"Town {k}" for k in range(20)]],
        }
    )
    found = _found(frame)
    assert (0, 1) in _pairs(found)
    assert found.per_key["sorted: last, first name"] > 0


def test_configured_keys_name_canonical_fields() -> None:
    mf = prepare(pd.DataFrame({"postal_code": ["10115", "10115", "20095"], "city": ["Berlin"] * 3}))
    keys = configured_keys(mf, [["postal_code"]])
    found = candidate_pairs(keys, 3, every_pair_rows=0)
    assert _pairs(found) == {(0, 1)}
    assert keys[0].uses == ("address",)


def test_pairs_per_row_grow_far_slower_than_the_rows() -> None:
    per_row = []
    for people in (300, 3000):
        frame = clean_frame(people, seed=3)
        found = _found(frame)
        per_row.append(len(found) / len(frame))
    assert per_row[1] < 2 * per_row[0]  # ten times the rows


def test_frames_without_names_or_without_rows_are_blocked_too() -> None:
    nameless = pd.DataFrame({"first_name": [None, None], "email": ["anna@example.org"] * 2})
    assert _pairs(_found(nameless)) == {(0, 1)}
    empty = prepare(pd.DataFrame({"first_name": pd.Series([], dtype=object)}))
    assert len(candidate_pairs(automatic_keys(empty), 0)) == 0


def test_a_small_list_has_every_pair_compared_and_em_learns_from_the_keys_pairs_only() -> None:
    """Two records of one person that share no value (typos everywhere) and that thirty other
    names sort between: no key finds them, yet in a list this small they are compared."""
    others = [f"Schmi{c}{d}t" for c in "ekm" for d in "fhjlnprs" * 2][:30]  # between them, also backwards
    frame = pd.DataFrame(
        {
            "first_name": ["Katharina", "Catharina", *[f"{x}atharina" for x in "DEFGHIJ" * 5][:30]],
            "last_name": ["Schmidt", "Schmitt", *others],
            "city": ["Köln", "Koeln", *[f"Ort {k}" for k in range(30)]],
        }
    )
    found = candidate_pairs(automatic_keys(prepare(frame)), len(frame))
    assert len(found) == len(frame) * (len(frame) - 1) // 2
    assert found.per_key[EVERY_PAIR] == len(found) and EVERY_PAIR not in found.found_by
    assert (0, 1) in _pairs(found) and (0, 1) not in _pairs(_found(frame))


def test_a_list_above_the_limit_is_blocked_by_its_keys_alone() -> None:
    frame = clean_frame(300, seed=2)
    every = candidate_pairs(automatic_keys(prepare(frame)), len(frame), every_pair_rows=len(frame))
    keyed = candidate_pairs(automatic_keys(prepare(frame)), len(frame), every_pair_rows=len(frame) - 1)
    assert len(every) == len(frame) * (len(frame) - 1) // 2
    assert EVERY_PAIR not in keyed.per_key and len(keyed) < len(every) / 10
