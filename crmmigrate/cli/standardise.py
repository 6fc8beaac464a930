"""`crmmigrate standardise`: staged rows in, clean rows out."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import outputs
from .common import console, escape, handle_errors, load_run_config, require
from .stagebars import stage_bar
from .summaries import standardise_summary


@handle_errors
def standardise_command(
    config_path: Path = typer.Argument(
        None, metavar="[CONFIG]", help="Run config: standardise OUT/staged.parquet with its options."
    ),
    input_path: Path | None = typer.Option(
        None, "--in", help="Standalone: staged rows (.csv or .parquet) with canonical columns."
    ),
    output_path: Path | None = typer.Option(
        None,
        "--out",
        help="Standalone: clean rows file (.csv/.parquet). With a config: output directory.",
    ),
    default_country: str | None = typer.Option(
        None,
        "--default-country",
        help="Country for national phone numbers and addresses without one (e.g. DE).",
    ),
) -> None:
    """Standardise phones, countries, addresses, names, emails and dates.

    With a config (and no --in), the staged rows of the config's last `extract` are standardised
    with its `standardise:` options into OUT/clean.parquet.

    Example: crmmigrate standardise --in staged.csv --out clean.csv --default-country DE

    Example: crmmigrate standardise crmmigrate.yml
    """
    if input_path is None:
        from ..pipeline import out_dir, standardise_stage

        config = load_run_config(config_path, out=output_path)
        if default_country:
            config.standardise.default_country = default_country
        out = out_dir(config)
        staged = outputs.read_staged(out)
        with stage_bar(console, "standardise") as steps:
            standardised = standardise_stage(config, staged, steps=steps)
        try:
            outputs.write_clean(standardised.rows, out)
        finally:
            standardised.release()
        summary = standardise_summary(standardised.clean)
        console.print(f"standardise: {escape(summary)} -> {escape(out)}/{outputs.CLEAN}")
        return
    from ..cleanse.files import standardise_file

    require(output_path, "--out", "with --in")
    assert output_path is not None
    rows = standardise_file(input_path, output_path, default_country=default_country)
    console.print(f"standardised {rows} rows -> {escape(output_path)}")


def register(app: typer.Typer) -> None:
    app.command("standardise")(standardise_command)
