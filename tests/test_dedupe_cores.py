"""Comparing pairs on every core: the same levels as comparing them here, one chunk at a time."""

import os
import sys

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe import DedupeSettings, cores, dedupe
from crmmigrate.dedupe import comparisons as comparison_code
from crmmigrate.dedupe.comparisons import FirstNameComparison, compare
from crmmigrate.dedupe.linking import block_here, choose_comparisons
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.synthetic import clean_frame

forks = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forks, on Linux")


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 400 pairs, so that a few dozen rows make enough chunks to share out."""
    monkeypatch.setattr(comparison_code, "CHUNK", 400)


def _frame(rows: int = 60) -> pd.DataFrame:
    return clean_frame(rows, seed=4).drop(columns=["person_id"])


def _pairs():  # type: ignore[no-untyped-def]
    mf = prepare(_frame())
    settings = DedupeSettings()
    comparisons = choose_comparisons(mf, settings)
    blocked = block_here(mf, settings, comparisons, _no_pairs(), None)
    assert len(blocked.left) > 4 * comparison_code.CHUNK, "enough pairs for several chunks"
    return mf, comparisons, blocked.left, blocked.right


def _no_pairs() -> pd.DataFrame:
    return pd.DataFrame({"i": np.empty(0, dtype=np.int64), "j": np.empty(0, dtype=np.int64)})


@forks
def test_chunks_compared_by_three_processes_give_the_levels_of_one(small_chunks: None) -> None:
    mf, comparisons, i, j = _pairs()
    assert cores.processes_for(len(i), 3) == 3
    here = compare(prepare(_frame()), comparisons, i, j)  # a fresh match frame: nothing derived yet
    assert np.array_equal(cores.compare_on_cores(mf, comparisons, i, j, workers=3), here)
    assert comparison_code.WORKERS == -1, "rapidfuzz's threads are this process's again"


def test_one_worker_compares_here_without_forking(
    small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("one worker forks no process")

    monkeypatch.setattr(cores, "ProcessPoolExecutor", no_pool)
    mf, comparisons, i, j = _pairs()
    assert cores.processes_for(len(i), 1) == 1
    assert np.array_equal(
        cores.compare_on_cores(mf, comparisons, i, j, workers=1), compare(mf, comparisons, i, j)
    )


def test_a_run_of_one_chunk_is_compared_here() -> None:
    assert cores.processes_for(comparison_code.CHUNK, None) == 1
    assert cores.processes_for(comparison_code.CHUNK + 1, 8) in (1, 2)  # 1 where workers cannot fork


class _FailsInAWorker(FirstNameComparison):
    """A comparison that breaks in any process but the one that made it."""

    parent: int = 0

    def gamma(self, mf, i, j):  # type: ignore[no-untyped-def]
        if os.getpid() != type(self).parent:
            raise ValueError("broken in a worker")
        return super().gamma(mf, i, j)


@forks
def test_a_workers_error_reaches_the_caller(small_chunks: None) -> None:
    mf, _, i, j = _pairs()
    _FailsInAWorker.parent = os.getpid()
    failing = _FailsInAWorker("first_name", ("first", "first_raw"))
    with pytest.raises(ValueError, match="broken in a worker"):
        cores.compare_on_cores(mf, [failing], i, j, workers=2)
    assert cores._JOB is None and comparison_code.WORKERS == -1


@forks
def test_dedupe_on_two_processes_finds_the_customers_of_one(small_chunks: None) -> None:
    frame = _frame()
    one = dedupe(frame, DedupeSettings(workers=1))
    two = dedupe(frame, DedupeSettings(workers=2))
    assert one.xref["customer_id"].tolist() == two.xref["customer_id"].tolist()
    assert one.stats["candidate_pairs"] == two.stats["candidate_pairs"]
