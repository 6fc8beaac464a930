"""Benchmark: the default golden rules on N synthetic golden rows (target: 1,000,000 in < 30 s).

    python benchmarks/bench_validate.py              # 1,000,000 rows
    python benchmarks/bench_validate.py --rows 200000

Rows are generated vectorised with a seeded generator; about 1% carry planted defects so the
failures table and masking are exercised too. Prints generation, GX import and validation times.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

import numpy as np
import pandas as pd

COUNTRIES = ("DE", "FR", "US", "PL", "NL", "SE")


def synthesise(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.char.zfill(np.arange(rows).astype(str), 8))
    country = rng.choice(list(COUNTRIES), rows)
    five_digits = np.char.zfill(rng.integers(1000, 99999, rows).astype(str), 5)
    postal = np.where(country == "NL", "1234 AB", five_digits)
    postal = np.where(country == "PL", "00-950", postal)
    last = rng.choice(["Schmidt", "Dupont", "Smith", "Nowak", "de Vries", "Berg"], rows).astype(object)
    company = np.where(rng.random(rows) < 0.1, "ACME GmbH", None).astype(object)
    email = np.char.add(np.char.add("user", np.arange(rows).astype(str)), "@example.com").astype(object)
    email[rng.random(rows) < 0.2] = None
    phone = np.char.add("+4930", rng.integers(1_000_000, 9_999_999, rows).astype(str)).astype(object)
    days = rng.integers(0, 365 * 3, rows)
    updated = (pd.Timestamp("2026-06-01") - pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    df = pd.DataFrame(
        {
            "customer_id": ids,
            "household_id": None,
            "first_name": "Anna",
            "last_name": last,
            "full_name": None,
            "company": company,
            "email": email,
            "phone": phone,
            "address_line1": "Hauptstr. 1",
            "address_line2": None,
            "city": "Berlin",
            "region": None,
            "postal_code": postal,
            "country": country,
            "date_of_birth": "1980-01-01",
            "created_at": "2020-01-01",
            "updated_at": updated,
        }
    )
    bad = rng.choice(rows, size=max(rows // 100, 1), replace=False)
    df.loc[bad[0::4], "email"] = "broken@@example"
    df.loc[bad[1::4], "phone"] = "030 1234"
    df.loc[bad[2::4], "country"] = "XX"
    df.loc[bad[3::4], ["last_name", "company"]] = None
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--object", action="store_true", help="object columns instead of pandas' str dtype")
    args = parser.parse_args()
    t0 = time.perf_counter()
    df = synthesise(args.rows)
    if not args.object:  # as read_table gives them (pandas 3: str dtype, NaN for missing)
        df = df.astype("string").astype(pd.StringDtype(na_value=np.nan)) if pd.__version__ >= "3" else df
    t1 = time.perf_counter()
    from crmmigrate.validate import gx_engine, validate

    gx_engine.gx_modules()
    t2 = time.perf_counter()
    report = validate(df, ["golden"], now=datetime(2026, 6, 1, tzinfo=timezone.utc))
    t3 = time.perf_counter()
    print(f"rows={args.rows:,} generate={t1 - t0:.1f}s gx_import={t2 - t1:.1f}s validate={t3 - t2:.1f}s")
    print(f"passed={report.passed} failing_rows={len(report.failures):,}")
    for r in report.results:
        print(f"  {'ok ' if r.success else 'FAIL'} {r.name:<28} {r.unexpected_count:>9,}")


if __name__ == "__main__":
    main()
