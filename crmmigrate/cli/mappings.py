"""`crmmigrate mappings list|show`: the built-in mapping templates."""

from __future__ import annotations

import typer
from rich.table import Table

from ..mappings import list_templates, load_template, mapping_yaml
from .common import console, escape, handle_errors

mappings_app = typer.Typer(help="Built-in mapping templates for known CRM exports.", no_args_is_help=True)


@mappings_app.command("list")
@handle_errors
def list_command() -> None:
    """List the built-in templates.

    Example: crmmigrate mappings list
    """
    table = Table("template", "export")
    for name, description in list_templates():
        table.add_row(escape(name), escape(description))
    console.print(table)


@mappings_app.command("show")
@handle_errors
def show_command(name: str = typer.Argument(..., help="Template name, e.g. salesforce-contact.")) -> None:
    """Print a template as YAML, ready to copy and edit.

    Example: crmmigrate mappings show hubspot-contacts > my-mapping.yml
    """
    console.print(mapping_yaml(load_template(name)), markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(mappings_app, name="mappings")
