"""Incremental matching (nightly runs) on `samples generate` data: speed and accuracy.

The standardised rows of a generated set are split at random: most are deduplicated in a full run
(their golden records, cross-reference and lineage play the store), the rest arrive as a nightly
file and are matched incrementally against them. Printed: the time of each, how many stored
customers the new rows were compared with, and pairwise precision/recall/F1 of the combined
cross-reference against the ground truth, next to a full run over all rows.

Run: python benchmarks/bench_incremental.py --rows 100000 --new 1000 --cache /tmp/dd
     (the cache is bench_dedupe.py's: standardised rows kept between runs)
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_dedupe import ROWS_PER_CUSTOMER, cached_clean_frame  # noqa: I001  (run from benchmarks/)

from crmmigrate.accuracy import score_xref
from crmmigrate.cleanse import standardise
from crmmigrate.dedupe import dedupe
from crmmigrate.dedupe.incremental import Stored, dedupe_incremental


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int, new_rows: int, seed: int, cache: Path | None, compare_full: bool) -> None:
    clean, truth = cached_clean_frame(int(rows / ROWS_PER_CUSTOMER), seed, cache)
    rng = np.random.default_rng(seed)
    nightly = np.zeros(len(clean), dtype=bool)
    nightly[rng.choice(len(clean), size=min(new_rows, len(clean)), replace=False)] = True
    base, inbound = clean[~nightly].reset_index(drop=True), clean[nightly].reset_index(drop=True)

    start = time.perf_counter()
    first = dedupe(base)
    full_base_s = time.perf_counter() - start
    stored = Stored(first.golden, first.xref, first.lineage.astype(object))

    start = time.perf_counter()
    night = dedupe_incremental(inbound, stored, standardise)
    incremental_s = time.perf_counter() - start
    combined = pd.concat([first.xref, night.xref], ignore_index=True)
    scores = score_xref(combined, truth)
    stats = night.stats
    figures: dict[str, object] = {
        "rows": len(clean),
        "stored_customers": len(first.golden),
        "new_rows": len(inbound),
        "full_run_on_stored_rows_s": round(full_base_s, 1),
        "incremental_s": round(incremental_s, 1),
        "anchors_compared": stats["anchors_compared"],
        "candidate_pairs": stats["candidate_pairs"],
        "joined_stored_customers": stats["new_rows_joining_stored_customers"],
        "precision": round(scores.precision, 4),
        "recall": round(scores.recall, 4),
        "f1": round(scores.f1, 4),
        "peak_mib": round(peak_mib()),
    }
    if compare_full:
        start = time.perf_counter()
        everything = dedupe(clean)
        figures["full_run_all_rows_s"] = round(time.perf_counter() - start, 1)
        figures["full_f1"] = round(score_xref(everything.xref, truth).f1, 4)
    print(" ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="input rows in all")
    parser.add_argument("--new", type=int, default=1_000, help="rows arriving in the nightly file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="bench_dedupe.py's cache folder")
    parser.add_argument("--no-full", action="store_true", help="skip the full run over all rows")
    args = parser.parse_args()
    run(args.rows, args.new, args.seed, args.cache, not args.no_full)


if __name__ == "__main__":
    main()
