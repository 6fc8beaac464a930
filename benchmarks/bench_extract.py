"""Extract speed and peak memory on a large CSV of the samples' kind (a Salesforce Contact export).

    python benchmarks/bench_extract.py --rows 1000000   # target: >= 200,000 rows/s, peak < 1.5 GiB
    python benchmarks/bench_extract.py --rows 200000 --bad-every 50000   # with ragged rows (tolerant path)

The CSV is generated on the fly (seeded) in a temporary directory; the extract runs in a fresh
process so that its peak resident memory is its own.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "Id,Salutation,FirstName,LastName,Email,Phone,MobilePhone,MailingStreet,MailingCity,MailingState,"
    "MailingPostalCode,MailingCountry,Birthdate,CreatedDate,LastModifiedDate"
)
FIRST = [
    "Marco",
    "Günter",
    "Anna",
    "Sophie",
    "Lukas",
    "Renée",
    "José",
    "Chloé",
    "Jan",
    "Maria",
    "Peter",
    "Zoë",
]
LAST = ["Schmid", "Klein", "Müller", "Dubois", "García", "Rossi", "de Vries", "Silva", "Weiß", "O'Brien"]
STREETS = [
    "Seestrasse",
    "Beethovenstraße",
    "rue de la Paix",
    "Calle Mayor",
    "Via Roma",
    "Oudegracht",
    "Main St",
]
CITIES = [
    ("Zürich", "8050", "Schweiz"),
    ("Bremen", "28199", "GERMANY"),
    ("Paris", "75002", "France"),
    ("Madrid", "28013", "España"),
    ("Roma", "00184", "Italia"),
    ("Utrecht", "3513 EA", "Nederland"),
]


def generate(path: Path, rows: int, bad_every: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "\r\n")
        block: list[str] = []
        for i in range(1, rows + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            city, zip_code, country = rng.choice(CITIES)
            street = f"{rng.choice(STREETS)} {rng.randint(1, 200)}"
            if i % 97 == 0:
                street = f'"{street}\r\nHinterhaus, 2. OG"'  # a quoted newline and comma
            phone = f"+49 30 {rng.randint(1000000, 9999999)}" if i % 5 else ""
            row = (
                f"0035g{i:013d},Mr.,{first},{last},{first.lower()}.{i}@example.com,{phone},,{street},{city},,"
                f"{zip_code},{country},19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)},"
                f"2012-03-20T11:22:50.000Z,2021-03-22T14:45:07.000Z"
            )
            if bad_every and i % bad_every == 0:
                row += ",unexpected"
            block.append(row)
            if len(block) == 50_000:
                fh.write("\r\n".join(block) + "\r\n")
                block = []
        if block:
            fh.write("\r\n".join(block) + "\r\n")


def measure(path: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from crmmigrate.config import RunConfig, SourceConfig
    from crmmigrate.extract import check_sources, extract_source

    source = SourceConfig(name="salesforce", path=path, mapping="salesforce-contact")
    config = RunConfig(sources=[source])
    start = time.perf_counter()
    check_sources(config)
    result = extract_source(source, config)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "read": result.read,
                "staged": len(result.staged),
                "rejected": len(result.rejects),
                "seconds": round(seconds, 2),
                "rows_per_s": round(result.read / seconds),
                "peak_mib": round(peak_kib / 1024),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bad-every", type=int, default=0, help="make every n-th row ragged (0: none)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        start = time.perf_counter()
        generate(path, args.rows, args.bad_every)
        size = path.stat().st_size / 2**20
        print(f"generated {args.rows:,} rows, {size:,.0f} MiB in {time.perf_counter() - start:.1f} s")
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True, check=True
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"extract: {figures['read']:,} read, {figures['staged']:,} staged, "
            f"{figures['rejected']:,} rejected in {figures['seconds']} s = {figures['rows_per_s']:,} rows/s, "
            f"peak {figures['peak_mib']:,} MiB"
        )


if __name__ == "__main__":
    main()
