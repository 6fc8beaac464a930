"""`crmmigrate run`: every stage, from one config file."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import typer

from .. import outputs
from ..config import DEFAULT_CONFIG
from ..errors import EXIT_OK, CrmMigrateError, GateError, RunInterrupted
from ..pipeline import RunResult, StageEvent, run
from ..tables import write_text
from .common import (
    choose_engine,
    console,
    err_console,
    escape,
    handle_errors,
    load_run_config,
    prefix_option,
    schema_option,
)
from .stagebars import StageBars
from .summaries import STAGE_LINES


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stage_printer(*, quiet: bool = False, log: TextIO | None = None) -> Callable[[StageEvent], None]:
    """How a finished stage is shown: a ✓ or ✗ line on a terminal; the same line with a UTC
    timestamp and without wrapping when the output is a file or a pipe (cron, CI); nothing with
    `quiet`. `log` gets every line with its timestamp."""

    def show(event: StageEvent) -> None:
        mark = "✓" if event.ok else "✗"
        plain = f"{mark} {event.stage:<12} {event.summary} ({event.seconds:.1f}s)"
        if log is not None:
            log.write(f"{_now()} {plain}\n")
            log.flush()
        if quiet:
            return
        if console.is_terminal:
            color = "green" if event.ok else "red"
            console.print(
                f"[bold {color}]{mark}[/] [bold]{event.stage:<12}[/] {escape(event.summary)} "
                f"[dim]({event.seconds:.1f}s)[/]"
            )
        else:
            console.print(f"{_now()} {plain}", markup=False, soft_wrap=True)

    return show


#: Kept for callers that show stages the default way.
show_stage = stage_printer()


def run_summary(
    result: RunResult | None,
    stages: list[StageEvent],
    *,
    error: CrmMigrateError | RunInterrupted | None = None,
) -> dict[str, Any]:
    """The machine-readable summary `--json` writes: run id, exit status, counts per stage, paths."""
    summary: dict[str, Any] = {
        "stages": [
            {"stage": e.stage, "ok": e.ok, "seconds": round(e.seconds, 3), "summary": e.summary}
            for e in stages
        ]
    }
    if error is not None:
        status = "interrupted" if isinstance(error, RunInterrupted) else "error"
        return {"exit_code": error.exit_code, "status": status, "error": str(error), **summary}
    assert result is not None
    rec = result.reconciliation.as_dict()
    out = Path(result.out_dir)
    return {
        "run_id": result.run_id,
        "exit_code": result.exit_code,
        "status": "ok" if result.exit_code == EXIT_OK else "gate_failed",
        "dry_run": result.dry_run,
        "loaded": result.loaded,
        "validation_passed": result.validation_passed,
        "balanced": result.balanced,
        **summary,
        "sources": rec["sources"],
        "golden": {k: rec["golden"][k] for k in ("records", "members", "merged_clusters")},
        "validation": result.validation.counts,
        "load": result.load.as_dict() if result.load is not None else None,
        "messages": list(result.messages),
        "paths": {
            "out": str(out),
            "reconciliation": str(out / outputs.RECONCILIATION_HTML),
            "validation": str(out / outputs.VALIDATION),
            "rejects": str(out / outputs.REJECTS),
        },
    }


@handle_errors
def run_command(
    config_path: Path = typer.Argument(Path(DEFAULT_CONFIG), metavar="[CONFIG]", help="Run config (YAML)."),
    store: str = typer.Option(
        None, "--store", help="Store URL (overrides the config), e.g. sqlite:///crm.db."
    ),
    schema: str = schema_option(),
    table_prefix: str = prefix_option(),
    out: Path = typer.Option(None, "--out", help="Output directory (overrides the config)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Compute everything and the load plan; write nothing to the store."
    ),
    force: bool = typer.Option(
        False, "--force", help="Load even if error rules fail (recorded in the run ledger)."
    ),
    sample: str = typer.Option(
        None,
        "--sample",
        metavar="N|P%",
        help="Pilot run: keep N rows or P% of them, stratified by source and country (same rows each time).",
    ),
    incremental: bool | None = typer.Option(
        None,
        "--incremental/--full",
        help="Match new rows against the store's golden records (nightly runs), or re-cluster all "
        "rows (overrides dedupe.incremental in the config).",
    ),
    wait: float = typer.Option(
        None,
        "--wait",
        metavar="SECONDS",
        help="How long to wait for another run's lock on the store before giving up (default 10).",
    ),
    engine: str = typer.Option(
        None,
        "--engine",
        metavar="pandas|spark",
        help="Where the stages run (overrides `engine:` in the config): pandas in this process, or "
        "spark as Spark jobs (needs crmmigrate[spark] and Java 17).",
    ),
    spark_master: str = typer.Option(
        None,
        "--spark-master",
        metavar="URL",
        help="Spark master for --engine spark (overrides spark.master): local[*] (default), "
        "spark://host:7077, yarn, k8s://…",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the verdict and errors."),
    log_file: Path = typer.Option(
        None,
        "--log-file",
        help="Append each stage's line, with a UTC timestamp, to this file (and why a run stopped).",
    ),
    json_out: Path = typer.Option(
        None,
        "--json",
        help="Write a machine-readable run summary here (run id, exit status, counts per stage, paths), "
        "also when the run fails.",
    ),
) -> None:
    """Run extract → standardise → dedupe → validate → load → reconcile.

    Exit code 0 when the golden set passes validation and every input row is accounted for;
    1 when a data-quality gate fails; 2 for bad usage or unusable input.

    Example: crmmigrate run samples/crmmigrate.yml --store sqlite:///crm.db

    Example: crmmigrate run crmmigrate.yml --sample 5% --store sqlite:///pilot.db

    Example: crmmigrate run nightly.yml --incremental --log-file nightly.log --json run.json

    Example: crmmigrate run big.yml --engine spark --spark-master spark://head:7077

    On a terminal the running stage shows a progress bar (rows or steps done, elapsed time, time
    left where it can be foretold) and each stage ends with a ✓ or ✗ line; written to a file or a
    pipe (cron, CI) there are no bars and the lines carry a UTC timestamp, never wrapped. Ctrl-C
    (exit code 130) says what state the store and the output folder were left in.
    """
    stages: list[StageEvent] = []
    log = log_file.open("a", encoding="utf-8") if log_file is not None else None
    show = stage_printer(quiet=quiet, log=log)
    bars = StageBars(console) if console.is_terminal and not quiet else None

    def progress(event: StageEvent) -> None:
        stages.append(event)
        if bars is not None:
            bars.finished(event)
        show(event)

    try:
        config = load_run_config(config_path, store=store, out=out, schema=schema, table_prefix=table_prefix)
        if incremental is not None:
            config.dedupe.incremental = incremental
        choose_engine(config, engine, spark_master)
        options: dict[str, Any] = {
            "dry_run": dry_run,
            "force": force,
            "sample": sample,
            "wait_s": wait,
            "notify": lambda message: err_console.print(f"[yellow]{escape(message)}[/]", soft_wrap=True),
            "summaries": STAGE_LINES,
        }
        if bars is not None:
            with bars:
                result = run(config, progress=progress, watch=bars.watch, **options)
        else:
            result = run(config, progress=progress, **options)
    except (CrmMigrateError, RunInterrupted) as exc:
        if log is not None:  # the log says why the run stopped, as the terminal does
            said = str(exc) if isinstance(exc, RunInterrupted) else f"error: {exc}"
            log.write(f"{_now()} ✗ {said}\n")
        if json_out is not None:
            write_text(json_out, json.dumps(run_summary(None, stages, error=exc), indent=2))
        raise
    finally:
        if log is not None:
            log.close()
    if json_out is not None:
        write_text(json_out, json.dumps(run_summary(result, stages), indent=2, ensure_ascii=False))
    _verdict(result)


def _verdict(result: RunResult) -> None:
    for message in result.messages:
        err_console.print(f"[yellow]{escape(message)}[/]")
    verdict = "[bold green]OK[/]" if result.exit_code == 0 else "[bold red]FAILED[/]"
    console.print(
        f"{verdict} run {result.run_id}: reports in {escape(result.out_dir)}/ (reconciliation.html)",
        soft_wrap=not console.is_terminal,
    )
    if result.exit_code != EXIT_OK:
        failed = list(result.failures) or ["the run's gate failed"]
        raise GateError(
            "; ".join(failed), hint=f"see {result.out_dir}/validation.json and reconciliation.html"
        )


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
