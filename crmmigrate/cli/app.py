"""The `crmmigrate` command: a small app that registers one module per command."""

from __future__ import annotations

import importlib
import os

import typer

from .. import __version__

app = typer.Typer(
    name="crmmigrate",
    help="CRM data migration and data quality: extract, standardise, dedupe, validate, load, reconcile.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: Command modules; each defines `register(app)`.
COMMAND_MODULES = (
    "init",
    "run",
    "extract",
    "standardise",
    "dedupe",
    "validate",
    "load",
    "reconcile",
    "explain",
    "evaluate",
    "profile",
    "mappings",
    "samples",
    "runs",
    "forget",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crmmigrate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors (for bug reports)."),
) -> None:
    if debug:
        os.environ["CRMMIGRATE_DEBUG"] = "1"


for _name in COMMAND_MODULES:
    importlib.import_module(f"{__package__}.{_name}").register(app)


def main() -> None:
    app()
