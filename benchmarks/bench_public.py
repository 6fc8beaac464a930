"""Matching accuracy out of the box on public data with ground truth (`../shared/datasets/dedupe/`).

What a new user does with an export they did not generate: a plain column mapping, no dedupe
settings (the same defaults for every set), then extract -> standardise -> dedupe, the real
stages. Before that, the rows are shuffled and given fresh keys, so that nothing can lean on the
files' order or on ids that encode the truth. Each set runs in its own process so that its peak
memory is its own.

Scores are pairwise over clusters (every pair of rows in one predicted cluster is a predicted
match, every pair in one true cluster a true match). `completeness` is the share of true pairs
that blocking made candidates at all; `reach` the share of true pairs whose two rows are joined by a
chain of compared true pairs (a row compared with a duplicate that was compared with the other):
clustering is transitive, so `reach`, not `completeness`, is the ceiling of recall. `pairs/row`
is the candidate pairs per input row.

Run: python benchmarks/bench_public.py                       (every set)
     python benchmarks/bench_public.py fake_1000 restaurants  (some of them)
     python benchmarks/bench_public.py --data DIR             (the datasets somewhere else)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "dedupe"
SEED = 20261130


@dataclass(frozen=True)
class PublicSet:
    """One data set: how to read it, its truth column, and the sources a user would configure."""

    name: str
    read: Callable[[Path], pd.DataFrame]  # rows with a `truth` column (and `part` for linkage)
    mapping: dict[str, Any]  # the mapping a user writes (no key: fresh keys are added)
    standardise: dict[str, Any]


def _fake_1000(data: Path) -> pd.DataFrame:
    frame = pd.read_csv(data / "fake_1000.csv", dtype=str, keep_default_na=False)
    return frame.drop(columns=["unique_id"]).rename(columns={"cluster": "truth"})


def _historical(data: Path) -> pd.DataFrame:
    frame = pd.read_parquet(data / "historical_50k.parquet")
    return frame.drop(columns=["unique_id"]).rename(columns={"cluster": "truth"})


def _febrl(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: c.strip())
    frame = frame.apply(lambda s: s.str.strip())
    frame["truth"] = frame["rec_id"].str.extract(r"rec-(\d+)-")[0]
    return frame.drop(columns=["rec_id"])


def _febrl3(data: Path) -> pd.DataFrame:
    return _febrl(pd.read_csv(data / "febrl3.csv", dtype=str, keep_default_na=False))


def _febrl4(data: Path) -> pd.DataFrame:
    parts = [
        _febrl(pd.read_csv(data / f"febrl4{p}.csv", dtype=str, keep_default_na=False)).assign(part=p)
        for p in ("a", "b")
    ]
    return pd.concat(parts, ignore_index=True)


def _restaurants(data: Path) -> pd.DataFrame:
    frame = pd.read_csv(data / "restaurants.csv", dtype=str, keep_default_na=False)
    frame["truth"] = frame.pop("class").str.strip().str.strip("'")
    return frame


_FEBRL_MAPPING = {
    "columns": {
        "first_name": "given_name",
        "last_name": "surname",
        "address_line1": {"join": ["street_number", "address_1"], "sep": " "},
        "address_line2": "address_2",
        "city": "suburb",
        "postal_code": "postcode",
        "region": "state",
        "date_of_birth": {"column": "date_of_birth", "format": "%Y%m%d"},
        "country": {"const": "AU"},
    },
    "keep": ["soc_sec_id"],
}

SETS = {
    s.name: s
    for s in (
        PublicSet(
            "fake_1000",
            _fake_1000,
            {
                "columns": {
                    "first_name": "first_name",
                    "last_name": "surname",
                    "date_of_birth": "dob",
                    "city": "city",
                    "email": "email",
                }
            },
            {},
        ),
        PublicSet(
            "historical_50k",
            _historical,
            {
                "columns": {
                    "first_name": "first_name",
                    "last_name": "surname",
                    "full_name": "full_name",
                    "date_of_birth": "dob",
                    "city": "birth_place",
                    "postal_code": "postcode_fake",
                },
                "keep": ["gender", "occupation"],
            },
            {},
        ),
        PublicSet("febrl3", _febrl3, _FEBRL_MAPPING, {}),
        PublicSet("febrl4", _febrl4, _FEBRL_MAPPING, {}),
        PublicSet(
            "restaurants",
            _restaurants,
            {
                "columns": {
                    "company": "name",
                    "address_line1": "addr",
                    "city": "city",
                    "phone": "phone",
                    "country": {"const": "US"},
                },
                "keep": ["type"],
            },
            {},
        ),
    )
}


def _true_pairs(truth: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of row numbers (i < j) that share a true cluster."""
    out: set[tuple[int, int]] = set()
    frame = pd.DataFrame({"t": truth, "r": np.arange(len(truth))})
    for rows in frame.groupby("t")["r"].agg(list):
        out.update((a, b) for k, a in enumerate(rows) for b in rows[k + 1 :])
    return out


def _reach(true_pairs: set[tuple[int, int]], found: set[tuple[int, int]], n: int) -> float:
    """Share of true pairs joined by a chain of compared true pairs (union-find over them)."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in true_pairs & found:
        parent[root(a)] = root(b)
    return sum(root(a) == root(b) for a, b in true_pairs) / max(len(true_pairs), 1)


def _pair_counts(labels: pd.Series) -> int:
    n = labels.value_counts().to_numpy(dtype=np.int64)
    return int((n * (n - 1) // 2).sum())


@dataclass(frozen=True)
class Prepared:
    """A set's rows after extract and standardise, with the truth by fresh key."""

    config: Any
    clean: pd.DataFrame
    rejected: int
    truth: pd.Series  # true cluster per fresh key, in the shuffled order
    seconds: float


def prepare(public: PublicSet, data: Path) -> Prepared:
    """Shuffle, give fresh keys, write the files a user would have, extract and standardise them."""
    from crmmigrate.cleanse import standardise
    from crmmigrate.config import parse_config
    from crmmigrate.pipeline import extract_all

    rows = public.read(data)
    rng = np.random.default_rng(SEED)
    rows = rows.iloc[rng.permutation(len(rows))].reset_index(drop=True)
    rows.insert(0, "bench_key", [f"k{n:07d}" for n in rng.permutation(len(rows))])
    truth = pd.Series(rows.pop("truth").to_numpy(), index=rows["bench_key"].to_numpy())
    parts = rows.pop("part") if "part" in rows.columns else pd.Series("all", index=rows.index)
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for part in sorted(parts.unique()):
            path = Path(tmp) / f"{public.name}_{part}.csv"
            rows[parts.to_numpy() == part].to_csv(path, index=False)
            mapping = {**public.mapping, "key": "bench_key"}
            sources.append({"name": f"{public.name}_{part}", "path": str(path), "mapping": mapping})
        config = parse_config(
            {"sources": sources, "standardise": public.standardise, "out": str(Path(tmp) / "out")},
            base_dir=Path(tmp),
        )
        start = time.perf_counter()
        extracted = extract_all(config, suppressions=None)
        clean = standardise(extracted.staged, config.standardise)
    return Prepared(config, clean, len(extracted.rejects), truth, time.perf_counter() - start)


def measure(public: PublicSet, data: Path) -> dict[str, Any]:
    """One set through extract -> standardise -> dedupe; returns its figures."""
    from crmmigrate.dedupe import dedupe

    prepared = prepare(public, data)
    clean, truth, config = prepared.clean, prepared.truth, prepared.config
    start = time.perf_counter()
    result = dedupe(clean, config.dedupe, config.survivorship)
    seconds = time.perf_counter() - start
    keys = result.xref["source_key"].astype(str).to_numpy()
    predicted = pd.Series(result.xref["customer_id"].to_numpy(), index=keys)
    # Rejected rows stay apart: each is its own cluster, as it is for the user.
    labels = predicted.reindex(truth.index)
    labels = labels.where(labels.notna(), pd.Series(truth.index, index=truth.index))
    both = pd.DataFrame({"p": labels.to_numpy(), "t": truth.to_numpy()})
    tp = _pair_counts(both["p"].astype(str) + "\x1f" + both["t"].astype(str))
    n_pred, n_true = _pair_counts(both["p"]), _pair_counts(both["t"])
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    position = {k: n for n, k in enumerate(truth.index)}
    clean_pos = np.array([position[k] for k in clean["source_key"].astype(str)])
    true_pairs = _true_pairs(truth.to_numpy())
    left = clean_pos[result.pairs["left"].to_numpy()]
    right = clean_pos[result.pairs["right"].to_numpy()]
    found = set(zip(np.minimum(left, right).tolist(), np.maximum(left, right).tolist(), strict=True))
    em = result.stats.get("em", {})
    return {
        "set": public.name,
        "rows": len(truth),
        "rejected": prepared.rejected,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "largest": int(labels.value_counts().max()),
        "true_largest": int(truth.value_counts().max()),
        "pairs": int(result.stats["candidate_pairs"]),
        "pairs_per_row": result.stats["candidate_pairs"] / max(len(truth), 1),
        "completeness": len(true_pairs & found) / max(len(true_pairs), 1),
        "reach": _reach(true_pairs, found, len(truth)),
        "em_converged": em.get("em_converged"),
        "prepare_s": prepared.seconds,
        "dedupe_s": seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


COLUMNS = (
    ("set", "{}"),
    ("rows", "{:,}"),
    ("rejected", "{:,}"),
    ("precision", "{:.4f}"),
    ("recall", "{:.4f}"),
    ("f1", "{:.4f}"),
    ("largest", "{}"),
    ("true_largest", "{}"),
    ("pairs", "{:,}"),
    ("pairs_per_row", "{:.1f}"),
    ("completeness", "{:.4f}"),
    ("reach", "{:.4f}"),
    ("em_converged", "{}"),
    ("prepare_s", "{:.1f}"),
    ("dedupe_s", "{:.1f}"),
    ("peak_mib", "{:,.0f}"),
)


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(c for c, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        lines.append("| " + " | ".join(fmt.format(r[c]) for c, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sets", nargs="*", metavar="SET", help=f"any of {', '.join(SETS)} (default: all)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the datasets folder (default {DATA})")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process measuring one set
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(SETS[args.one], args.data)))
        return 0
    unknown = [s for s in args.sets if s not in SETS]
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
    if not args.data.is_dir():
        print(f"skipped: no public datasets at {args.data} (see ../shared/datasets/README.md)")
        return 0
    results = []
    for name in args.sets or list(SETS):
        child = subprocess.run(
            [sys.executable, __file__, "--one", name, "--data", str(args.data)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(f"{name}: failed\n{child.stderr[-3000:]}", file=sys.stderr)
            continue
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(table(results[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
