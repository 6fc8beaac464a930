"""Accuracy and scale of crmmigrate's dedupe on `samples generate` data (default settings).

For each size: generate the legacy exports, extract and standardise them (timed apart), then time
`dedupe` alone and measure peak memory (ru_maxrss of the process) and pairwise precision/recall/F1
against the generator's ground truth.

Run: python benchmarks/bench_dedupe.py 100000 300000 [1000000]     (customers; rows are ~1.35x)
     python benchmarks/bench_dedupe.py --rows 1000000               (sizes given in input rows)
     python benchmarks/bench_dedupe.py --rows 1000000 --cache /tmp/dd (keep the standardised rows, so
                                                                      a rerun times dedupe alone)
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crmmigrate.accuracy import score_xref
from crmmigrate.cleanse import standardise
from crmmigrate.config import load_config
from crmmigrate.dedupe import dedupe
from crmmigrate.extract import extract_source
from crmmigrate.extract.text import text_dtype
from crmmigrate.samples.generate import generate
from crmmigrate.tables import read_table

#: Input rows per generated customer (three exports with duplicates), measured on seed 7.
ROWS_PER_CUSTOMER = 1.35


def clean_frame(customers: int, out_dir: Path, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generated exports -> extract -> standardise; returns (clean, ground truth)."""
    sample = generate(customers, out_dir, seed=seed)
    config = load_config(sample.files["config"])
    staged = pd.concat([extract_source(s, config).staged for s in config.sources], ignore_index=True)
    clean = standardise(staged, config.standardise)
    return clean, read_table(sample.files["ground_truth"])


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cached_clean_frame(customers: int, seed: int, cache: Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`clean_frame`, kept in (and read back from) `cache` when one is given."""
    if cache is None:
        with tempfile.TemporaryDirectory() as tmp:
            return clean_frame(customers, Path(tmp), seed)
    folder = cache / f"{customers}-{seed}"
    if not (folder / "text_columns.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            clean, truth = clean_frame(customers, Path(tmp), seed)
        clean.to_parquet(folder / "clean.parquet")
        truth.to_parquet(folder / "truth.parquet")
        kinds = {c: "text" if clean[c].dtype == text_dtype() else str(clean[c].dtype) for c in clean.columns}
        (folder / "text_columns.json").write_text(json.dumps(kinds))
    # Columns come back with the dtypes standardise gave them (pandas 2 reads Arrow-backed text as
    # Python strings, pandas 3 reads Python strings as Arrow text): dedupe's input is a run's.
    kinds = json.loads((folder / "text_columns.json").read_text())
    clean = pd.read_parquet(folder / "clean.parquet")
    clean = clean.astype({c: text_dtype() for c, k in kinds.items() if k == "text"})
    for column in [c for c, k in kinds.items() if k == "object" and clean[c].dtype != object]:
        clean[column] = _python_strings(clean[column])
    return clean, pd.read_parquet(folder / "truth.parquet")


def _python_strings(column: pd.Series) -> pd.Series:
    """A column as Python strings, one object per distinct value, as standardise makes them and
    as pandas 2 reads them (pandas 3 reads Arrow text; `astype(object)` would make a string per row,
    a GiB more at a million rows than a run holds)."""
    codes, uniques = pd.factorize(column)
    values = np.append(uniques.to_numpy(dtype=object), None)  # code -1 (missing) picks None
    return pd.Series(values[codes], index=column.index, name=column.name, dtype=object)


def cpu_seconds() -> float:
    """CPU seconds of this process's threads (rapidfuzz's among them) and of its ended children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run(customers: int, seed: int = 7, cache: Path | None = None) -> dict[str, float]:
    start = time.perf_counter()
    clean, truth = cached_clean_frame(customers, seed, cache)
    prepared = time.perf_counter() - start
    base = peak_mib()
    start, cpu = time.perf_counter(), cpu_seconds()
    result = dedupe(clean)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    scores = score_xref(result.xref, truth)
    figures = {
        "rows": len(clean),
        "prepare_s": round(prepared, 1),
        "dedupe_s": round(seconds, 1),
        "dedupe_cpu_s": round(cpu, 1),  # on a shared machine it varies less than seconds
        "peak_mib": round(peak_mib()),
        "peak_before_mib": round(base),
        "candidate_pairs": result.stats["candidate_pairs"],
        "clusters": result.stats["clusters"],
        "clusters_split": result.stats["clusters_split"],
        "pairs_per_row": result.stats["pairs_per_row"],
        "precision": round(scores.precision, 4),
        "recall": round(scores.recall, 4),
        "f1": round(scores.f1, 4),
    }
    print(" ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--rows", action="store_true", help="sizes are input rows, not customers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="folder to keep standardised rows in between runs")
    args = parser.parse_args()
    for size in args.sizes:
        run(int(size / ROWS_PER_CUSTOMER) if args.rows else size, args.seed, args.cache)


if __name__ == "__main__":
    main()
