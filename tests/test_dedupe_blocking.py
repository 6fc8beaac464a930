"""Blocking: several keys at once, chosen from filled columns, capped blocks named, never all pairs."""

import logging

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.blocking import automatic_keys, candidate_pairs, configured_keys
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
    assert found.per_key["swapped names+place"] == 1


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
