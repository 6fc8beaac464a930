"""Comparison patterns: each distinct (levels, key bits) with how many pairs have it."""

import numpy as np
import pytest

from crmmigrate.dedupe import patterns
from crmmigrate.dedupe.patterns import PatternCounts, key_bits


def test_patterns_are_counted_once_each_in_one_order() -> None:
    gamma = np.array([[0, 1], [0, 1], [2, -1], [0, 1]], dtype=np.int8)
    keys = key_bits([np.array([True, True, False, False])], 4)
    counted = PatternCounts.of(gamma, keys)
    assert counted.levels.tolist() == [[0, 1], [0, 1], [2, -1]]
    assert counted.keys.tolist() == [0, 1, 0]
    assert counted.counts.tolist() == [1, 2, 1]
    assert counted.found_by(0).tolist() == [False, True, False]


def test_patterns_counted_a_chunk_at_a_time_are_the_patterns_of_all(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    gamma = rng.integers(-1, 4, size=(5000, 6)).astype(np.int8)
    keys = key_bits([rng.random(5000) < 0.5, rng.random(5000) < 0.2], 5000)
    whole = PatternCounts.of(gamma, keys)
    monkeypatch.setattr(patterns, "PACK_CHUNK", 700)
    chunked = PatternCounts.of(gamma, keys)
    assert chunked.counts.sum() == 5000
    assert np.array_equal(chunked.levels, whole.levels)
    assert np.array_equal(chunked.keys, whole.keys)
    assert np.array_equal(chunked.counts, whole.counts)


def test_no_pairs_have_no_patterns() -> None:
    counted = PatternCounts.of(np.empty((0, 3), dtype=np.int8), key_bits([], 0))
    assert counted.levels.shape == (0, 3) and counted.counts.sum() == 0
