"""`crmmigrate forget`: erase a person from the store and keep them out of later runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import console, handle_errors, is_interactive, prefix_option, schema_option

if TYPE_CHECKING:
    from ..store import ForgetResult


@handle_errors
def forget(
    config_path: Path | None = typer.Argument(
        None,
        metavar="[CONFIG]",
        help="Run config whose `store:` to use (default ./crmmigrate.yml if present).",
    ),
    email: str | None = typer.Option(None, "--email", help="The person's email address."),
    customer_id: str | None = typer.Option(None, "--customer-id", help="The person's golden customer id."),
    store: str | None = typer.Option(
        None, "--store", help="Store URL; default: the config's, $CRMMIGRATE_STORE_URL, sqlite:///crm.db."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be erased; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation on a terminal."),
    schema: str | None = schema_option(),
    table_prefix: str | None = prefix_option(),
) -> None:
    """Erase a person (right to be forgotten) and keep them out of later runs.

    Their golden record, source links, lineage and history go in one transaction, and their values
    are cleared from other customers' history; later runs reject their rows with reason
    `suppressed`. Someone not in the store is still suppressed (a request that comes before the
    migration keeps them out of it), and the command exits 1 so that a mistyped address is noticed.
    On a terminal it first shows what would be erased and asks; --yes skips the question.

    Example: crmmigrate forget --email jane.doe@example.com --store sqlite:///crm.db --dry-run
    """
    from ..errors import ConfigError, NotFoundError
    from ..store import open_store
    from ..store.actions import choose_store

    if bool(email) == bool(customer_id):
        raise ConfigError(
            "give exactly one of --email or --customer-id", hint="see `crmmigrate forget --help`"
        )
    where = choose_store(
        store, str(config_path) if config_path else None, schema=schema, table_prefix=table_prefix
    )
    with open_store(where) as opened:
        if not dry_run and not yes and is_interactive():
            preview = opened.forget(email=email, customer_id=customer_id, dry_run=True)
            console.print(_said(preview, dry_run=True))
            typer.confirm("Erase them?", abort=True)
        result = opened.forget(email=email, customer_id=customer_id, dry_run=dry_run)
    console.print(_said(result, dry_run=dry_run))
    if not result.customers:
        who = f"email {email!r}" if email else f"customer id {customer_id!r}"
        raise NotFoundError(
            f"nobody with {who} is in the store",
            hint="check the spelling; their identifiers are on the suppression list all the same"
            if not dry_run
            else "check the spelling",
        )


def _said(result: ForgetResult, *, dry_run: bool) -> str:
    erased = (
        f"{'would erase' if dry_run else 'erased'} {result.customers} customer record(s) and "
        f"{result.source_rows} source row link(s)"
        if result.customers
        else "nobody found in the store"
    )
    suppressed = f"{result.suppressed} new identifier digest(s) {'would go' if dry_run else 'went'}"
    return f"{erased}; {suppressed} on the suppression list: later runs reject matching rows as `suppressed`"


def register(app: typer.Typer) -> None:
    app.command("forget")(forget)
