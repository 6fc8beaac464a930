"""`crmmigrate extract`: one legacy export in, staged rows and rejects out."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..extract import ExtractResult, extract_file
from .common import console, escape, handle_errors


def render_summary(result: ExtractResult, out: Path) -> Table:
    table = Table(title=f"extract {escape(result.source)}", show_header=False, box=None)
    table.add_row("read", f"{result.read:,}")
    table.add_row("staged", f"{len(result.staged):,}  -> {escape(out)}")
    table.add_row("rejected", f"{len(result.rejects):,}")
    for reason, count in result.reasons().items():
        table.add_row(f"  {reason}", f"{count:,}")
    if result.unmapped_columns:
        table.add_row("not migrated", escape(", ".join(result.unmapped_columns)))
    return table


@handle_errors
def extract(
    in_: Path = typer.Option(
        ..., "--in", help="The export to read (.csv .tsv .txt .xlsx .json .ndjson .parquet)."
    ),
    out: Path = typer.Option(..., "--out", help="Staged rows: .csv or .parquet."),
    mapping: str = typer.Option(
        ..., "--mapping", "-m", help="A built-in template name or a mapping YAML file."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Source name for lineage (default: the file name)."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Rejected rows (default: rejects.csv beside --out)."
    ),
    delimiter: str | None = typer.Option(None, "--delimiter", help="Field delimiter (sniffed when absent)."),
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding (detected when absent)."),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel sheet name or 0-based index."),
) -> None:
    """Map one legacy export to the canonical columns; unreadable rows go to rejects with a reason.

    Example: crmmigrate extract --in contacts.csv --out staged.csv --mapping salesforce-contact
    """
    sheet_ref: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    result = extract_file(
        in_,
        mapping,
        out,
        source=source,
        rejects_out=rejects,
        delimiter=delimiter,
        encoding=encoding,
        sheet=sheet_ref,
    )
    console.print(render_summary(result, out))


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)
