"""The one-line summary of each stage's result, as the console shows it: in a run's ✓/✗ lines
(`STAGE_LINES`, which `run` words its StageEvents with) and after a stage command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import schema

if TYPE_CHECKING:
    import pandas as pd

    from ..dedupe.result import DedupeResult
    from ..pipeline import Extracted, Loaded
    from ..reconcile import Reconciliation
    from ..validate import ValidationReport


def extract_summary(extracted: Extracted) -> str:
    read = sum(c.read for c in extracted.counts.values())
    return (
        f"{read} rows read from {len(extracted.counts)} sources, "
        f"{len(extracted.staged)} staged, {len(extracted.rejects)} rejected"
    )


def standardise_summary(clean: pd.DataFrame) -> str:
    """`phone 95% usable, 3 invalid; email …` for the fields that matter most."""
    parts = []
    for f in ("phone", "email", "country", "postal_code"):
        col = schema.status_column(f)
        if col not in clean.columns or not len(clean):
            continue
        counts = clean[col].value_counts()
        good = int(counts.get("valid", 0) + counts.get("fixed", 0) + counts.get("inferred", 0))
        present = len(clean) - int(counts.get("missing", 0))
        share = f"{100 * good / present:.0f}%" if present else "n/a"
        parts.append(f"{f} {share} usable, {int(counts.get('invalid', 0))} invalid")
    return f"{len(clean)} rows; " + "; ".join(parts)


def dedupe_summary(
    golden: pd.DataFrame,
    xref: pd.DataFrame,
    review: pd.DataFrame,
    stats: dict[str, Any] | None = None,
) -> str:
    """One line: records, clusters and review pairs; with `stats`, the pairs compared and whether
    the model's EM converged (the keys where it did not)."""
    merged = int((golden["member_count"] > 1).sum()) if len(golden) else 0
    text = f"{len(golden)} golden records from {len(xref)} rows, {merged} merged clusters"
    if stats and "candidate_pairs" in stats:
        text += f", {stats['candidate_pairs']:,} pairs compared ({stats['pairs_per_row']} per row)"
    text += f", {len(review)} pairs to review"
    em = (stats or {}).get("em") or {}
    if em.get("em_converged") is False:
        text += "; EM did not converge for " + ", ".join(map(str, em.get("em_not_converged", [])))
    return text


def validate_summary(report: ValidationReport, force: bool = False) -> str:
    text = (
        f"{len(report.results)} rules: {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings (see validation.json)"
    )
    if not report.passed:
        text += (
            " (error rules failed: loading anyway, --force)"
            if force
            else " (error rules failed: load blocked)"
        )
    return text


def load_summary(loaded: Loaded, dry_run: bool) -> str:
    if loaded.result is None:
        return "blocked: validation errors, nothing loaded (use --force to load anyway)"
    result = loaded.result
    verb = "would insert" if dry_run else "inserted"
    text = f"{verb} {result.inserted}, updated {result.updated}, unchanged {result.unchanged}"
    if result.plan.retired:
        merged = "would retire" if dry_run else "retired"
        text += f", {merged} {result.plan.retired} merged into others"
    text += f" (store holds {loaded.store_customers})"
    return text + (" — dry run, nothing written" if dry_run else "")


def reconcile_summary(rec: Reconciliation) -> str:
    if rec.balanced:
        return "balanced: every input row is accounted for"
    failed = [c.name for c in rec.checks if not c.passed]
    return "NOT balanced: " + ", ".join(failed)


class StageLines:
    """A run's line per finished stage (`pipeline.Summaries`)."""

    def extract(self, extracted: Extracted, sample: int | str | None, stopped: bool) -> str:
        text = extract_summary(extracted) + (f" (pilot sample of {sample})" if sample else "")
        return f"{text}; more rejects than max_rejects allows: run stopped" if stopped else text

    def standardise(self, clean: pd.DataFrame) -> str:
        return standardise_summary(clean)

    def dedupe(self, matched: DedupeResult) -> str:
        return dedupe_summary(matched.golden, matched.xref, matched.review, matched.stats)

    def validate(self, report: ValidationReport, force: bool) -> str:
        return validate_summary(report, force)

    def load(self, loaded: Loaded, dry_run: bool) -> str:
        return load_summary(loaded, dry_run)

    def reconcile(self, rec: Reconciliation) -> str:
        return reconcile_summary(rec)


STAGE_LINES = StageLines()
