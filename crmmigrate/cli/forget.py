"""`crmmigrate forget`: erase a person from the store and keep them out of later runs."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import console, handle_errors


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
) -> None:
    """Erase a person (right to be forgotten) and keep them out of later runs.

    Their golden record, source links, lineage and history go in one transaction, and their values
    are cleared from other customers' history; later runs reject their rows with reason
    `suppressed`.

    Example: crmmigrate forget --email jane.doe@example.com --store sqlite:///crm.db
    """
    from ..errors import ConfigError
    from ..store import open_store
    from ..store.actions import choose_url

    if bool(email) == bool(customer_id):
        raise ConfigError(
            "give exactly one of --email or --customer-id", hint="see `crmmigrate forget --help`"
        )
    with open_store(choose_url(store, str(config_path) if config_path else None)) as opened:
        result = opened.forget(email=email, customer_id=customer_id)
    erased = (
        f"erased {result.customers} customer record(s) and {result.source_rows} source row link(s)"
        if result.customers
        else "nobody found in the store"
    )
    console.print(
        f"{erased}; {result.suppressed} new identifier digest(s) on the suppression list: "
        "later runs reject matching rows as `suppressed`"
    )


def register(app: typer.Typer) -> None:
    app.command("forget")(forget)
