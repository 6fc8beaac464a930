"""`crmmigrate load`: load a golden file into the store (or preview the load with --dry-run)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import console, escape, handle_errors


@handle_errors
def load(
    golden: Path = typer.Option(
        ..., "--in", help="Golden records (.parquet or .csv) from `crmmigrate dedupe`."
    ),
    xref: Path | None = typer.Option(
        None, "--xref", help="The cross-reference (xref.csv) to load beside them."
    ),
    lineage: Path | None = typer.Option(None, "--lineage", help="Field lineage (golden_lineage.csv)."),
    store: str | None = typer.Option(
        None, "--store", help="Store URL; default: the config's, $CRMMIGRATE_STORE_URL, sqlite:///crm.db."
    ),
    config: str | None = typer.Option(None, "--config", help="Config file whose `store:` to use."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    run_id: str | None = typer.Option(None, "--run-id", help="Run id for the ledger (default: a new one)."),
) -> None:
    """Upsert golden records into the CRM store in one transaction, and print the plan.

    Example: crmmigrate load --in out/golden.parquet --xref out/xref.csv --store sqlite:///crm.db --dry-run
    """
    from ..store.actions import choose_url, load_files

    result = load_files(
        golden,
        choose_url(store, config),
        xref_path=xref,
        lineage_path=lineage,
        dry_run=dry_run,
        run_id=run_id,
    )
    what = "Dry run (nothing written)" if result.dry_run else "Loaded"
    title = f"{what}: run {result.run_id} into {result.store}"
    table = Table(title=escape(title), title_justify="left")
    for column in ("table", "inserts", "updates", "unchanged"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, counts in result.plan.tables.items():
        table.add_row(name, str(counts.inserts), str(counts.updates), str(counts.unchanged))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("load")(load)
