"""`crmmigrate run`: every stage, from one config file."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import DEFAULT_CONFIG
from ..errors import EXIT_OK, GateError
from ..pipeline import StageEvent, run
from .common import console, err_console, escape, handle_errors, load_run_config


def show_stage(event: StageEvent) -> None:
    console.print(
        f"[bold green]✓[/] [bold]{event.stage:<12}[/] {escape(event.summary)} [dim]({event.seconds:.1f}s)[/]"
    )


@handle_errors
def run_command(
    config_path: Path = typer.Argument(Path(DEFAULT_CONFIG), metavar="[CONFIG]", help="Run config (YAML)."),
    store: str = typer.Option(
        None, "--store", help="Store URL (overrides the config), e.g. sqlite:///crm.db."
    ),
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
) -> None:
    """Run extract → standardise → dedupe → validate → load → reconcile.

    Exit code 0 when the golden set passes validation and every input row is accounted for;
    1 when a data-quality gate fails; 2 for bad usage or unusable input.

    Example: crmmigrate run samples/crmmigrate.yml --store sqlite:///crm.db

    Example: crmmigrate run crmmigrate.yml --sample 5% --store sqlite:///pilot.db

    Example: crmmigrate run nightly.yml --incremental
    """
    config = load_run_config(config_path, store=store, out=out)
    if incremental is not None:
        config.dedupe.incremental = incremental
    with console.status("running…", spinner="dots"):
        result = run(config, dry_run=dry_run, force=force, progress=show_stage, sample=sample)
    for message in result.messages:
        err_console.print(f"[yellow]{escape(message)}[/]")
    verdict = "[bold green]OK[/]" if result.exit_code == 0 else "[bold red]FAILED[/]"
    console.print(
        f"{verdict} run {result.run_id}: reports in {escape(result.out_dir)}/ (reconciliation.html)"
    )
    if result.exit_code != EXIT_OK:
        failed = [
            what
            for passed, what in (
                (result.validation_passed, "validation found errors"),
                (result.balanced, "the reconciliation is not balanced"),
            )
            if not passed
        ]
        raise GateError(
            "; ".join(failed), hint=f"see {result.out_dir}/validation.json and reconciliation.html"
        )


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
