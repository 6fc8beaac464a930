"""Building the reconciliation from a run's counts and frames: every equality becomes a named check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..store import LoadResult, golden_checksum
from .model import (
    Check,
    CleanFacts,
    Members,
    Reconciliation,
    SourceCounts,
    fill_rates,
    members,
    score_histogram,
    size_distribution,
    standardisation_outcomes,
)


def source_checks(sources: Mapping[str, SourceCounts]) -> list[Check]:
    checks = []
    for name, c in sources.items():
        checks.append(
            Check(
                f"{name}: read = rejected + staged",
                c.read == c.rejected + c.staged,
                f"{c.read} read, {c.rejected} rejected, {c.staged} staged",
            )
        )
        if c.files:
            checks.append(file_check(name, c))
    return checks


def file_check(name: str, c: SourceCounts) -> Check:
    """A glob or directory source: each file balances, and the files add up to the source, their
    rows one after another (each file's first row follows the previous file's last)."""
    unbalanced = [f.file for f in c.files if f.read != f.rejected + f.staged]
    sums = (sum(f.read for f in c.files), sum(f.rejected for f in c.files), sum(f.staged for f in c.files))
    next_rows = [1] + [f.first_row + f.read for f in c.files[:-1]]
    gaps = [f.file for f, expected in zip(c.files, next_rows, strict=True) if f.first_row != expected]
    passed = not unbalanced and not gaps and sums == (c.read, c.rejected, c.staged)
    detail = f"{len(c.files)} files: {sums[0]} read, {sums[1]} rejected, {sums[2]} staged"
    if unbalanced:
        detail += f"; not balanced: {', '.join(unbalanced[:5])}"
    if gaps:
        detail += f"; rows not numbered on from the previous file: {', '.join(gaps[:5])}"
    return Check(f"{name}: files add up (read = rejected + staged per file)", passed, detail)


def golden_checks(
    sources: Mapping[str, SourceCounts],
    golden: pd.DataFrame,
    xref: pd.DataFrame,
    counted: Members | None = None,
) -> list[Check]:
    """`counted`: `members(golden, xref)`, when the caller has it already."""
    staged = sum(c.staged for c in sources.values())
    counted = counted or members(golden, xref)
    sizes, orphans, empty = counted.sizes, counted.orphans, counted.empty
    return [
        Check(
            "staged rows = golden members",
            staged == len(xref),
            f"{staged} staged, {len(xref)} in the cross-reference",
        ),
        Check(
            "golden members = sum of cluster sizes",
            int(sizes.sum()) == len(xref),
            f"{int(sizes.sum())} in clusters, {len(xref)} in the cross-reference",
        ),
        Check(
            "every cross-reference row has a golden record", orphans == 0, f"{orphans} customer ids missing"
        ),
        Check(
            "every golden record has a source row", empty == 0, f"{empty} golden records without a source row"
        ),
    ]


def store_checks(
    golden: pd.DataFrame,
    checksum: str,
    load: LoadResult | None,
    store_customers: int | None,
    store_checksum: str | None,
    store_integrity: tuple[int, int] | None = None,
) -> list[Check]:
    checks = []
    if load is not None and not load.dry_run:
        counted = load.customers.total
        checks.append(
            Check(
                "the load accounts for every golden record",
                counted == len(golden),
                f"{load.inserted} inserted, {load.updated} updated, {load.unchanged} unchanged",
            )
        )
    if store_checksum is not None:
        checks.append(
            Check(
                "store checksum = golden checksum",
                store_checksum == checksum,
                f"store {store_checksum[:12]}…, golden {checksum[:12]}…",
            )
        )
    if store_customers is not None:
        checks.append(
            Check(
                "store customers >= golden records",
                store_customers >= len(golden),
                f"{store_customers} in the store, {len(golden)} golden records",
            )
        )
    if store_integrity is not None:
        alone, dangling = store_integrity
        checks += [
            Check(
                "every stored customer has a source row",
                alone == 0,
                f"{alone} stored customers without a source row"
                + (" (loaded without a cross-reference, or by hand)" if alone else ""),
            ),
            Check(
                "every stored source row has a customer",
                dangling == 0,
                f"{dangling} stored source rows whose customer is not stored",
            ),
        ]
    return checks


def reconcile(
    *,
    run_id: str,
    sources: Mapping[str, SourceCounts],
    golden: pd.DataFrame,
    xref: pd.DataFrame,
    load: LoadResult | None,
    store_customers: int | None,
    store_checksum: str | None,
    store_integrity: tuple[int, int] | None = None,
    clean: pd.DataFrame | CleanFacts | None = None,
    rejects: pd.DataFrame | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Reconciliation:
    """Account for every source row of a run; `balanced` says whether every equality holds.
    `clean`: the clean rows, or what the report needs of them (`model.clean_facts`)."""
    checksum = golden_checksum(golden)
    sources = dict(sources)
    if rejects is not None and len(rejects) and "reason" in rejects.columns:
        sources = _with_reasons(sources, rejects)
    counted = members(golden, xref)
    sizes = counted.sizes
    checks = [
        *source_checks(sources),
        *golden_checks(sources, golden, xref, counted),
        *store_checks(golden, checksum, load, store_customers, store_checksum, store_integrity),
    ]
    return Reconciliation(
        run_id=run_id,
        sources=sources,
        golden_records=len(golden),
        golden_members=len(xref),
        merged_clusters=int((sizes > 1).sum()),
        cluster_sizes=size_distribution(sizes),
        golden_checksum=checksum,
        store_customers=store_customers,
        store_checksum=store_checksum,
        load=load.as_dict() if load is not None else None,
        fill_rates=fill_rates(clean, golden),
        standardisation=clean.outcomes if isinstance(clean, CleanFacts) else standardisation_outcomes(clean),
        match_scores=score_histogram(xref),
        checks=tuple(checks),
        extra=dict(extra or {}),
    )


def _with_reasons(sources: dict[str, SourceCounts], rejects: pd.DataFrame) -> dict[str, SourceCounts]:
    """Fill in rejected-by-reason from the rejects table where a source's counts lack it."""
    out = {}
    for name, counts in sources.items():
        if counts.rejected_by_reason or "source" not in rejects.columns:
            out[name] = counts
            continue
        mine = rejects.loc[rejects["source"].astype(str) == name, "reason"].astype(str).value_counts()
        out[name] = SourceCounts(
            counts.read,
            counts.rejected,
            counts.staged,
            {k: int(v) for k, v in mine.items()},
            counts.unmapped_columns,
        )
    return out
