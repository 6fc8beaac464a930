"""`crmmigrate extract`: one legacy export in, staged rows and rejects out."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .. import outputs
from ..extract import ExtractResult, extract_file
from ..pipeline import extract_all, load_suppressions, out_dir
from .common import console, escape, handle_errors, load_run_config, require
from .stagebars import stage_bar
from .summaries import extract_summary


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
    config_path: Path | None = typer.Argument(
        None, metavar="[CONFIG]", help="Run config: extract every source into OUT/staged.parquet."
    ),
    in_: Path | None = typer.Option(
        None, "--in", help="Standalone: the export to read (.csv .tsv .txt .xlsx .json .ndjson .parquet)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Standalone: staged rows file (.csv or .parquet). With a config: the output directory.",
    ),
    mapping: str | None = typer.Option(
        None, "--mapping", "-m", help="Standalone: a built-in template name or a mapping YAML file."
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
    """Map legacy exports to the canonical columns; unreadable rows go to rejects with a reason.

    With a config, every source is extracted into the output directory (staged.parquet,
    rejects.csv); with --in, one file is extracted through --mapping into --out.

    Example: crmmigrate extract --in contacts.csv --out staged.csv --mapping salesforce-contact

    Example: crmmigrate extract crmmigrate.yml
    """
    if in_ is None:
        config = load_run_config(config_path, out=out)
        suppressions = load_suppressions(config.store_config())
        with stage_bar(console, "extract") as steps:
            extracted = extract_all(config, suppressions, steps=steps)
        outputs.write_extracted(extracted, out_dir(config))
        console.print(f"extract: {escape(extract_summary(extracted))} -> {escape(out_dir(config))}/")
        return
    require(out, "--out", "with --in")
    require(mapping, "--mapping", "with --in")
    assert out is not None and mapping is not None
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
