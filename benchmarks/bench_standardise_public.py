"""Standardisation accuracy on public test corpora (`../shared/datasets/standardise/`).

Every corpus goes through the real standardise stage, as staged rows a user's mapping would
produce, and is scored against the answers its authors wrote (OpenCage's address-formatting
tests, libphonenumber's example numbers in the writings people use, CLDR's country names in 40
languages, nameparser's and email-validator's own test cases). Prints the accuracy per field and
per writing, country or language, and the stage's time per 1,000 values.

One module per field under `benchmarks/standardise_public/` does the measuring.

Run: python benchmarks/bench_standardise_public.py                  (every field)
     python benchmarks/bench_standardise_public.py phone country    (some of them)
     python benchmarks/bench_standardise_public.py --data DIR        (the corpora somewhere else)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from standardise_public.common import Result  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "standardise"
FIELDS = ("address", "phone", "country", "name", "email")


def _available() -> list[str]:
    here = Path(__file__).resolve().parent / "standardise_public"
    return [f for f in FIELDS if (here / f"{f}.py").exists()]


def _print(results: list[Result]) -> None:
    width = max((len(r.slice) for r in results), default=10)
    print(f"{'field':<8} {'slice':<{width}} {'cases':>6} {'right':>6} {'share':>7} {'ms/1k':>8}  note")
    for r in results:
        ms = "" if r.ms_per_1000 is None else f"{r.ms_per_1000:8.1f}"
        print(f"{r.field:<8} {r.slice:<{width}} {r.cases:>6} {r.right:>6} {r.share:>7.1%} {ms:>8}  {r.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("fields", nargs="*", help=f"fields to measure (default: all of {', '.join(FIELDS)})")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the corpora")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"skipped: the corpora are not at {args.data} (see ../shared/datasets/README.md)")
        return 0
    fields = args.fields or _available()
    unknown = sorted(set(fields) - set(_available()))
    if unknown:
        parser.error(f"no measurement for {', '.join(unknown)}; have {', '.join(_available())}")
    for field in fields:
        module = importlib.import_module(f"standardise_public.{field}")
        _print(module.measure(args.data))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
