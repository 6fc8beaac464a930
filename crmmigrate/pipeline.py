"""The whole job: extract -> standardise -> dedupe -> validate -> load -> reconcile.

Each stage is a function of DataFrames living in its own package; this module only passes data
along, writes the outputs DESIGN.md lists into `out/`, and reports progress through a callback,
so the same run can be driven from the CLI, a script or a test.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema
from .config import RunConfig
from .errors import EXIT_GATE, EXIT_OK, ConfigError
from .tables import write_table


@dataclass(frozen=True)
class StageEvent:
    """One finished stage, for progress display: name, a one-line summary, seconds taken."""

    stage: str
    summary: str
    seconds: float


Progress = Callable[[StageEvent], None]


@dataclass(frozen=True)
class RunResult:
    run_id: str
    out_dir: Path
    exit_code: int
    balanced: bool
    validation_passed: bool
    loaded: bool
    dry_run: bool
    reconciliation: Any
    validation: Any
    load: Any
    outputs: tuple[Path, ...] = ()
    messages: tuple[str, ...] = field(default_factory=tuple)


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261123T020000Z-1a2b3c`."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


@contextmanager
def _timed(progress: Progress | None, stage: str, summary: list[str]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    if progress is not None:
        progress(StageEvent(stage, summary[0] if summary else "", time.perf_counter() - started))


def out_dir(config: RunConfig) -> Path:
    return Path(config.out)


# -- stages as small functions over frames ---------------------------------------------------


@dataclass(frozen=True)
class Extracted:
    staged: pd.DataFrame
    rejects: pd.DataFrame
    counts: dict[str, Any]  # source name -> SourceCounts


def extract_all(config: RunConfig) -> Extracted:
    """Every source through its mapping; all sources checked before any is read."""
    from .extract import check_sources, extract_source
    from .reconcile import SourceCounts

    if not config.sources:
        raise ConfigError("the config lists no sources", hint="add a `sources:` list (see samples/crmmigrate.yml)")
    check_sources(config)
    staged_parts: list[pd.DataFrame] = []
    reject_parts: list[pd.DataFrame] = []
    counts: dict[str, Any] = {}
    for source in config.sources:
        result = extract_source(source, config)
        staged_parts.append(result.staged)
        if len(result.rejects):
            reject_parts.append(result.rejects)
        by_reason = result.rejects["reason"].value_counts().to_dict() if len(result.rejects) else {}
        counts[source.name] = SourceCounts(
            read=result.read,
            rejected=len(result.rejects),
            staged=len(result.staged),
            rejected_by_reason={str(k): int(v) for k, v in by_reason.items()},
            unmapped_columns=tuple(result.unmapped_columns),
        )
    staged = pd.concat(staged_parts, ignore_index=True) if staged_parts else _empty(schema.STAGED_COLUMNS)
    rejects = (
        pd.concat(reject_parts, ignore_index=True) if reject_parts else _empty(schema.REJECT_COLUMNS)
    )
    return Extracted(staged=staged, rejects=rejects, counts=counts)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def load_known_ids(store_url: str) -> pd.DataFrame | None:
    """The store's cross-reference, so existing customers keep their ids (None for a new store)."""
    from .store import open_store

    with open_store(store_url) as store:
        known = store.read_xref()
    return known if len(known) else None


def load_decisions_file(config: RunConfig) -> pd.DataFrame | None:
    if not config.dedupe.decisions:
        return None
    from .dedupe import load_decisions

    return load_decisions(config.resolve(config.dedupe.decisions))


# -- the run ----------------------------------------------------------------------------------


def run(
    config: RunConfig,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Run every stage; returns the exit code the CLI should use (0 ok, 1 gate failed)."""
    from .cleanse import standardise
    from .dedupe import dedupe, save_model
    from .reconcile import reconcile, to_html, to_json, to_markdown
    from .store import golden_checksum, open_store
    from .validate import validate, write_outputs

    run_id = run_id or new_run_id()
    out = out_dir(config)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    messages: list[str] = []
    store_url = config.store_url()

    summary: list[str] = []
    with _timed(progress, "extract", summary):
        extracted = extract_all(config)
        written += [
            write_table(extracted.staged, out / "staged.parquet"),
            write_table(extracted.rejects, out / "rejects.csv"),
        ]
        read = sum(c.read for c in extracted.counts.values())
        summary.append(
            f"{read} rows read from {len(extracted.counts)} sources, "
            f"{len(extracted.staged)} staged, {len(extracted.rejects)} rejected"
        )

    summary = []
    with _timed(progress, "standardise", summary):
        clean = standardise(extracted.staged, config.standardise)
        written.append(write_table(clean, out / "clean.parquet"))
        summary.append(_standardise_summary(clean))

    summary = []
    with _timed(progress, "dedupe", summary):
        known = load_known_ids(store_url)
        decisions = load_decisions_file(config)
        matched = dedupe(clean, config.dedupe, config.survivorship, known_ids=known, decisions=decisions)
        golden, xref = matched.golden, matched.xref
        written += [
            write_table(golden, out / "golden.parquet"),
            write_table(golden, out / "golden.csv"),
            write_table(xref, out / "xref.csv"),
            write_table(matched.review, out / "review.csv"),
            write_table(matched.lineage, out / "golden_lineage.csv"),
        ]
        written.append(save_model(matched, out / "match_model.json"))
        summary.append(
            f"{len(golden)} golden records from {len(xref)} rows, "
            f"{int((golden['member_count'] > 1).sum()) if len(golden) else 0} merged clusters, "
            f"{len(matched.review)} pairs to review"
        )

    summary = []
    with _timed(progress, "validate", summary):
        report = validate(golden, config.rules, base_dir=config.base_dir, related={"xref": xref})
        written += write_outputs(
            report,
            json_path=out / "validation.json",
            junit_path=out / "junit.xml",
            failures_path=out / "validation_failures.csv",
        )
        failed = [r for r in report.results if not r.success]
        summary.append(
            f"{len(report.results)} rules, {len(failed)} failed"
            + ("" if report.passed else " (error rules failed: the load is blocked)" if not force else
               " (error rules failed: loading anyway, --force)")
        )

    load_result = None
    store_customers = None
    store_checksum = None
    gate_open = report.passed or force
    summary = []
    with _timed(progress, "load", summary):
        with open_store(store_url) as store:
            if gate_open:
                with store.lock():
                    load_result = store.load(
                        golden,
                        xref,
                        matched.lineage,
                        run_id=run_id,
                        config_hash=config.config_hash,
                        dry_run=dry_run,
                        forced=force and not report.passed,
                    )
            store_customers = store.count_customers()
            store_checksum = store.checksum()
        if load_result is None:
            summary.append("skipped: validation errors (use --force to load anyway)")
            messages.append("validation failed: nothing was loaded")
        else:
            verb = "would insert" if dry_run else "inserted"
            summary.append(
                f"{verb} {load_result.inserted}, updated {load_result.updated}, "
                f"unchanged {load_result.unchanged} (store now holds {store_customers})"
                + (" — dry run, nothing written" if dry_run else "")
            )

    summary = []
    with _timed(progress, "reconcile", summary):
        loaded = load_result is not None and not dry_run
        rec = reconcile(
            run_id=run_id,
            sources=extracted.counts,
            golden=golden,
            xref=xref,
            load=load_result,
            store_customers=store_customers if loaded else None,
            store_checksum=store_checksum if loaded else None,
            clean=clean,
            rejects=extracted.rejects,
            extra={
                "dry_run": dry_run,
                "forced": force and not report.passed,
                "validation_passed": report.passed,
                "golden_checksum": golden_checksum(golden),
                "dedupe": {k: v for k, v in matched.stats.items() if _jsonable(v)},
            },
        )
        for name, text in (
            ("reconciliation.json", to_json(rec)),
            ("reconciliation.html", to_html(rec)),
            ("reconciliation.md", to_markdown(rec)),
        ):
            (out / name).write_text(text, encoding="utf-8")
            written.append(out / name)
        summary.append("balanced: every input row is accounted for" if rec.balanced else "NOT balanced")

    exit_code = EXIT_OK if (rec.balanced and report.passed) else EXIT_GATE
    return RunResult(
        run_id=run_id,
        out_dir=out,
        exit_code=exit_code,
        balanced=rec.balanced,
        validation_passed=report.passed,
        loaded=load_result is not None and not dry_run,
        dry_run=dry_run,
        reconciliation=rec,
        validation=report,
        load=load_result,
        outputs=tuple(written),
        messages=tuple(messages),
    )


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _standardise_summary(clean: pd.DataFrame) -> str:
    """`phone 95% valid/fixed, 3 invalid; email …` for the fields that matter most."""
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
    return "; ".join(parts)
