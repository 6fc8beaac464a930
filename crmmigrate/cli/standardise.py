"""`crmmigrate standardise`: staged rows in, clean rows out."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import console, escape, handle_errors


@handle_errors
def standardise_command(
    input_path: Path = typer.Option(
        ..., "--in", help="Staged rows (.csv or .parquet) with canonical columns."
    ),
    output_path: Path = typer.Option(..., "--out", help="Where to write the clean rows (.csv or .parquet)."),
    default_country: str | None = typer.Option(
        None,
        "--default-country",
        help="Country for national phone numbers and addresses without one (e.g. DE).",
    ),
) -> int:
    """Standardise phones, countries, addresses, names, emails and dates.

    Example: crmmigrate standardise --in staged.csv --out clean.csv --default-country DE
    """
    from ..cleanse.files import standardise_file

    rows = standardise_file(input_path, output_path, default_country=default_country)
    console.print(f"standardised {rows} rows -> {escape(output_path)}")
    return 0


def register(app: typer.Typer) -> None:
    app.command("standardise")(standardise_command)
