"""Loading N golden records into SQLite and PostgreSQL (targets at 1,000,000: 30 s and 60 s).

    python benchmarks/bench_load.py --rows 1000000
    python benchmarks/bench_load.py --rows 200000 --postgres postgresql://postgres@127.0.0.1/test
    python benchmarks/bench_load.py --from out/      # a run's golden set, xref and lineage

With --from, the golden.parquet, xref.csv and golden_lineage.csv of a run's output folder (e.g. of
`crmmigrate run big.yml --dry-run`) are loaded into a new store as the run's load stage does it:
the lineage's text columns categorical (as dedupe hands them over), then the stage's reads of
the store (count, checksum of the loaded ids, integrity), whose CPU seconds are shown apart.

Each store is timed three ways: the first load (all inserts), a rerun of the same golden set
(all unchanged) and a rerun with 1% of the records changed. Wall time includes the database
server; this process's CPU time shows the Python part (a busy machine inflates wall time).
Synthetic data, seeded.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crmmigrate.store import golden_checksum, open_store


def synthetic(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.arange(n)).map("C{:09d}".format)
    first = np.array(["Anna", "Jörg", "Zoë", "Liam", "Mia", "Noah", "Émile", "Sofia"])
    cities = np.array(["Berlin", "Paris", "London", "Madrid", "Roma", "Wien"])
    golden = pd.DataFrame(
        {
            "customer_id": ids,
            "household_id": ids.str.replace("C", "H"),
            "first_name": first[rng.integers(0, len(first), n)],
            "last_name": pd.Series(rng.integers(0, 50_000, n)).map("Name{}".format),
            "email": ids.str.lower() + "@example.com",
            "phone": pd.Series(rng.integers(10**9, 10**10, n)).map("+49{}".format),
            "address_line1": pd.Series(rng.integers(1, 200, n)).map("{} Main Street".format),
            "city": cities[rng.integers(0, len(cities), n)],
            "postal_code": pd.Series(rng.integers(10_000, 99_999, n)).astype(str),
            "country": np.array(["DE", "FR", "GB", "ES", "IT", "AT"])[rng.integers(0, 6, n)],
            "date_of_birth": pd.Series(rng.integers(0, 20_000, n)).map(
                lambda d: (pd.Timestamp("1950-01-01") + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")
            ),
            "member_count": 1,
        }
    )
    golden.loc[golden.sample(frac=0.3, random_state=seed).index, "email"] = None
    xref = pd.DataFrame(
        {
            "source": "crm",
            "source_row": np.arange(1, n + 1),
            "source_key": ids,
            "customer_id": ids,
            "match_score": 1.0,
        }
    )
    return golden, xref


def bench(url: str, golden: pd.DataFrame, xref: pd.DataFrame, *, first_only: bool = False) -> None:
    loads = [("first load", golden)]
    if not first_only:
        loads += [("rerun, unchanged", golden), ("rerun, 1% changed", _changed(golden))]
    with open_store(url) as store:
        for label, frame in loads:
            started, cpu = time.perf_counter(), time.process_time()
            result = store.load(frame, xref, run_id=uuid.uuid4().hex, config_hash="bench")
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"  {label:<18} {seconds:6.1f} s wall, {cpu:5.1f} s CPU, {len(frame) / seconds:,.0f} rows/s  "
                f"inserted {result.inserted:,} updated {result.updated:,} unchanged {result.unchanged:,}"
            )
        started = time.perf_counter()
        same = store.checksum() == golden_checksum(loads[-1][1])
        print(f"  checksum store = golden: {same} ({time.perf_counter() - started:.1f} s for both)")


def _changed(golden: pd.DataFrame) -> pd.DataFrame:
    changed = golden.copy()
    rows = changed.sample(frac=0.01, random_state=2).index
    changed.loc[rows, "city"] = "Changed City"
    return changed


def _pg_schema(url: str) -> tuple[str, str, sa.Engine]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    return (
        schema,
        str(
            sa.engine.make_url(engine.url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        ),
        engine,
    )


def from_run(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A run's golden set, cross-reference and lineage, the lineage as dedupe hands it to the load."""
    from crmmigrate.outputs import read_golden

    data = read_golden(out)
    lineage = data.lineage
    if lineage is not None:
        texts = ("customer_id", "field", "source")
        lineage = lineage.assign(**{c: pd.Categorical(lineage[c]) for c in texts})
    return data.golden, data.xref, lineage


def bench_stage(url: str, golden: pd.DataFrame, xref: pd.DataFrame, lineage: pd.DataFrame | None) -> None:
    with open_store(url) as store:
        started, cpu = time.perf_counter(), time.process_time()
        result = store.load(golden, xref, lineage, run_id=uuid.uuid4().hex, config_hash="bench")
        seconds, load_cpu = time.perf_counter() - started, time.process_time() - cpu
        store.count_customers()
        store.checksum(golden["customer_id"])
        store.integrity()
        reads_cpu = time.process_time() - cpu - load_cpu
        print(
            f"  load {seconds:6.1f} s wall, {load_cpu:5.1f} s CPU; the stage's reads of the store "
            f"{reads_cpu:5.1f} s CPU; in all {load_cpu + reads_cpu:5.1f} s CPU  "
            f"(inserted {result.inserted:,}, lineage rows {0 if lineage is None else len(lineage):,})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--postgres", default=os.environ.get("CRMMIGRATE_TEST_POSTGRES_URL"))
    parser.add_argument("--first-only", action="store_true", help="time only the first load")
    parser.add_argument("--from", dest="run_out", type=Path, help="a run's output folder to load instead")
    args = parser.parse_args()
    if args.run_out:
        golden, xref, lineage = from_run(args.run_out)
        print(f"{len(golden):,} golden records, {len(xref):,} source rows from {args.run_out}")
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite")
            bench_stage(f"sqlite:///{Path(tmp) / 'bench.db'}", golden, xref, lineage)
        if args.postgres:
            schema, url, engine = _pg_schema(args.postgres)
            try:
                print("PostgreSQL")
                bench_stage(url, golden, xref, lineage)
            finally:
                with engine.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()
        return

    started = time.perf_counter()
    golden, xref = synthetic(args.rows)
    print(f"{args.rows:,} golden records generated in {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        bench(f"sqlite:///{Path(tmp) / 'bench.db'}", golden, xref, first_only=args.first_only)

    if args.postgres:
        schema, url, engine = _pg_schema(args.postgres)
        try:
            print("PostgreSQL")
            bench(url, golden, xref, first_only=args.first_only)
        finally:
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


if __name__ == "__main__":
    main()
