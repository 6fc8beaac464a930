"""`crmmigrate runs` lists the store's run ledger; `crmmigrate rollback RUN_ID` undoes a run."""

from __future__ import annotations

import typer
from rich.table import Table

from .common import console, escape, handle_errors

STORE_HELP = "Store URL; default: the config's, $CRMMIGRATE_STORE_URL, sqlite:///crm.db."


@handle_errors
def runs(
    store: str | None = typer.Option(None, "--store", help=STORE_HELP),
    config: str | None = typer.Option(None, "--config", help="Config file whose `store:` to use."),
) -> None:
    """List the loads recorded in the store, oldest first.

    Example: crmmigrate runs --store postgresql://crm@db.example.com/crm
    """
    from ..store.actions import choose_url, list_runs

    table = Table()
    for column in ("run id", "started", "status", "inserted", "updated", "unchanged", "note"):
        table.add_column(
            column, justify="right" if column in ("inserted", "updated", "unchanged") else "left"
        )
    for run in list_runs(choose_url(store, config)):
        c = run.customers
        note = ("forced; " if run.forced else "") + run.detail
        table.add_row(
            escape(run.run_id),
            run.started,
            run.status,
            *(str(c.get(k, "")) for k in ("inserts", "updates", "unchanged")),
            escape(note),
        )
    console.print(table)


@handle_errors
def rollback(
    run_id: str = typer.Argument(..., help="The run to undo (see `crmmigrate runs`)."),
    store: str | None = typer.Option(None, "--store", help=STORE_HELP),
    config: str | None = typer.Option(None, "--config", help="Config file whose `store:` to use."),
) -> None:
    """Restore the store to its state before a run (refused if later runs changed the same records).

    Example: crmmigrate rollback 20261123T020000Z-1a2b3c --store sqlite:///crm.db
    """
    from ..store.actions import choose_url
    from ..store.actions import rollback as rollback_run

    undone = rollback_run(choose_url(store, config), run_id)
    for name, counts in undone.tables.items():
        console.print(
            f"{escape(name)}: {counts.inserts} inserted rows removed, {counts.updates} rows restored"
        )
    console.print(f"run {escape(run_id)} rolled back")


def register(app: typer.Typer) -> None:
    app.command("runs")(runs)
    app.command("rollback")(rollback)
