"""`crmmigrate profile`: what an unknown export holds, and a draft mapping for it."""

from __future__ import annotations

from pathlib import Path

import typer

from ..profile import draft_yaml, profile_file, profile_table, suggest
from .common import console, escape, handle_errors


@handle_errors
def profile(
    file: str = typer.Argument(
        ...,
        help="The export to profile: a file, a glob or directory of files (one source), or a SQLAlchemy "
        "URL with --table/--query.",
    ),
    suggest_mapping: Path | None = typer.Option(
        None, "--suggest-mapping", help="Write a draft mapping YAML here (check it before use)."
    ),
    show_values: bool = typer.Option(
        False, "--show-values", help="Print a person's data unmasked in top values."
    ),
    delimiter: str | None = typer.Option(None, "--delimiter", help="Field delimiter (sniffed when absent)."),
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding (detected when absent)."),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel sheet name or 0-based index."),
    table: str | None = typer.Option(
        None, "--table", help="SQL table, or the key of the records in a JSON object."
    ),
    query: str | None = typer.Option(None, "--query", help="SQL query (SQL sources)."),
    rows: int = typer.Option(200_000, "--rows", min=1, help="Profile at most this many records."),
    header_row: int | None = typer.Option(
        None,
        "--header-row",
        min=1,
        help="Line (CSV) or row (Excel) of the header, when a title stands above it (found when absent).",
    ),
) -> None:
    """Per column: fill rate, distinct values, kind of data, value shapes and top values.

    Then a draft mapping to the canonical columns, matched by column names (seven languages) and by
    content.

    Example: crmmigrate profile exports/kunden.csv --suggest-mapping mappings/kunden.yml
    """
    sheet_ref: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    result = profile_file(
        file,
        delimiter=delimiter,
        encoding=encoding,
        sheet=sheet_ref,
        table=table,
        query=query,
        max_rows=rows,
        header_row=header_row,
    )
    console.print(profile_table(result, show_values=show_values))
    suggestion = suggest(result)
    text = draft_yaml(suggestion)
    if suggest_mapping is None:
        console.print("\n[bold]Draft mapping[/] (write it with --suggest-mapping FILE):")
        console.print(escape(text), highlight=False)
        return
    suggest_mapping.parent.mkdir(parents=True, exist_ok=True)
    suggest_mapping.write_text(text, encoding="utf-8")
    console.print(
        f"draft mapping written to {escape(suggest_mapping)}: {len(suggestion.spec.columns)} fields mapped, "
        f"{len(suggestion.unmapped)} columns left out"
    )


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)
