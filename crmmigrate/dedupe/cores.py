"""Comparing pairs on every core of this machine.

At a million rows comparing the candidate pairs is a third of dedupe, and it is mostly Python and
numpy in one thread. The pairs are compared in chunks that do not depend on each other, so the
chunks are shared out to worker processes, and this process takes its share too.

The workers are forks: they see the match frame (and everything comparing has already derived
from it) without a copy or a pickle, and only each chunk's levels (a byte per pair and
comparison) come back. Fork is used only where it is the platform's own way (Linux); elsewhere,
and for a run too small to be worth it, the chunks are compared here one after another. The
answer is the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from . import comparisons as comparison_code
from .comparisons import Comparison, compare
from .prepare import MatchFrame

#: What the forked workers compare: set before they start, inherited by them, never pickled.
_JOB: tuple[MatchFrame, list[Comparison], np.ndarray, np.ndarray] | None = None


def usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def processes_for(pairs: int, workers: int | None) -> int:
    """How many processes compare `pairs` pairs: `workers` (None: every usable core), at most one
    per chunk, and one where forking is not the platform's way."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    chunks = -(-pairs // comparison_code.CHUNK)
    return max(1, min(workers or usable_cores(), chunks))


def compare_on_cores(
    mf: MatchFrame,
    comparisons: list[Comparison],
    i: np.ndarray,
    j: np.ndarray,
    workers: int | None = None,
) -> np.ndarray:
    """`comparisons.compare(mf, comparisons, i, j)`, its chunks shared out among `workers`
    processes (None: one per usable core)."""
    processes = processes_for(len(i), workers)
    if processes < 2:
        return compare(mf, comparisons, i, j)
    size = comparison_code.CHUNK
    starts = list(range(0, len(i), size))
    gamma = np.full((len(i), len(comparisons)), comparison_code.NULL, dtype=np.int8)
    # The first chunk here before forking: what comparing derives from the match frame (word
    # forms, sounds, codes) is then made once and inherited, not made again in every worker.
    gamma[:size] = compare(mf, comparisons, i[:size], j[:size])
    global _JOB
    _JOB = (mf, comparisons, i, j)
    pool = ProcessPoolExecutor(processes - 1, mp_context=multiprocessing.get_context("fork"))
    threads, comparison_code.WORKERS = comparison_code.WORKERS, 1  # a core per process, here too
    try:
        mine = starts[1::processes]  # this process's share, the rest to the workers
        theirs: dict[int, Future[np.ndarray]] = {
            start: pool.submit(_compare_chunk, start) for start in starts[1:] if start not in mine
        }
        for start in mine:
            gamma[start : start + size] = compare(
                mf, comparisons, i[start : start + size], j[start : start + size]
            )
        for start, future in theirs.items():
            gamma[start : start + size] = future.result()
    except BaseException:  # Ctrl-C or a worker's error: the chunks running end, the queued never start
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _JOB, comparison_code.WORKERS = None, threads
    pool.shutdown()
    return gamma


def _compare_chunk(start: int) -> np.ndarray:
    """In a worker: the chunk of the inherited job that begins at `start`."""
    assert _JOB is not None, "a worker is a fork of the process that set the job"
    mf, comparisons, i, j = _JOB
    comparison_code.WORKERS = 1  # one core per process: the processes are the parallelism
    end = start + comparison_code.CHUNK
    return compare(mf, comparisons, i[start:end], j[start:end])
