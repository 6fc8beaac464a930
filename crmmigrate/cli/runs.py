"""`crmmigrate runs` lists the store's run ledger; `crmmigrate rollback RUN_ID` undoes a run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from .common import console, escape, handle_errors, is_interactive, prefix_option, schema_option

if TYPE_CHECKING:
    from ..store import LoadPlan

RUN_COLUMNS = ("run_id", "started", "status", "inserted", "updated", "unchanged", "note")
STORE_HELP = "Store URL; default: the config's, $CRMMIGRATE_STORE_URL, sqlite:///crm.db."


@handle_errors
def runs(
    store: str | None = typer.Option(None, "--store", help=STORE_HELP),
    config: str | None = typer.Option(None, "--config", help="Config file whose `store:` to use."),
    schema: str | None = schema_option(),
    table_prefix: str | None = prefix_option(),
) -> None:
    """List the loads recorded in the store, oldest first.

    Example: crmmigrate runs --store postgresql://crm@db.example.com/crm
    """
    from ..store.actions import choose_store, list_runs

    recorded = list_runs(choose_store(store, config, schema=schema, table_prefix=table_prefix))
    rows = [
        (
            run.run_id,
            run.started,
            run.status,
            *(str(run.customers.get(k, "")) for k in ("inserts", "updates", "unchanged")),
            ("forced; " if run.forced else "") + run.detail,
        )
        for run in recorded
    ]
    if not console.is_terminal:  # a log or a pipe: one tab-separated line per run, nothing cut
        for row in [RUN_COLUMNS, *rows]:
            typer.echo("\t".join(row))  # (rich would turn the tabs into spaces)
        return
    table = Table()
    # A run id is copied into `rollback`: never cut, however narrow the terminal or the log.
    widest = max((len(row[0]) for row in rows), default=6)
    table.add_column("run id", no_wrap=True, min_width=widest)
    table.add_column("started", no_wrap=True)
    table.add_column("status")
    for column in ("inserted", "updated", "unchanged"):
        table.add_column(column, justify="right")
    table.add_column("note", overflow="fold")
    for row in rows:
        table.add_row(*(escape(value) for value in row))
    console.print(table)


@handle_errors
def rollback(
    run_id: str = typer.Argument(..., help="The run to undo (see `crmmigrate runs`)."),
    store: str | None = typer.Option(None, "--store", help=STORE_HELP),
    config: str | None = typer.Option(None, "--config", help="Config file whose `store:` to use."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be undone; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation on a terminal."),
    schema: str | None = schema_option(),
    table_prefix: str | None = prefix_option(),
) -> None:
    """Restore the store to its state before a run (refused if later runs changed the same records).

    On a terminal it first shows what would be undone and asks; --yes skips the question.

    Example: crmmigrate rollback 20261123T020000Z-1a2b3c --store sqlite:///crm.db --dry-run
    """
    from ..store.actions import choose_store
    from ..store.actions import rollback as rollback_run

    url = choose_store(store, config, schema=schema, table_prefix=table_prefix)
    if not dry_run and not yes and is_interactive():
        _show_undo(rollback_run(url, run_id, dry_run=True), would=True)
        typer.confirm(f"Roll back run {run_id}?", abort=True)
    undone = rollback_run(url, run_id, dry_run=dry_run)
    _show_undo(undone, would=dry_run)
    console.print(f"run {escape(run_id)} {'would be rolled back (dry run)' if dry_run else 'rolled back'}")


def _show_undo(undone: LoadPlan, *, would: bool) -> None:
    removed, restored = ("would be removed", "would be restored") if would else ("removed", "restored")
    for name, counts in undone.tables.items():
        console.print(f"{escape(name)}: {counts.inserts} rows {removed}, {counts.updates} rows {restored}")


def register(app: typer.Typer) -> None:
    app.command("runs")(runs)
    app.command("rollback")(rollback)
