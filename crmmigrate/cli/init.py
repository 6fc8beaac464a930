"""`crmmigrate init`: a starting run config and draft mappings from a set of exports."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import console, escape, handle_errors


@handle_errors
def init(
    files: list[Path] = typer.Argument(..., help="The exports to migrate (CSV, Excel, JSON, Parquet)."),
    config: Path = typer.Option(Path("crmmigrate.yml"), "--config", help="The run config to write."),
    mappings_dir: Path = typer.Option(
        None, "--mappings", help="Folder for the draft mappings (default: mappings/ beside the config)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a config or mapping that exists."),
) -> None:
    """Write a starting crmmigrate.yml and a draft mapping per export, from profiling each file.

    Example: crmmigrate init exports/salesforce.csv exports/erp_kunden.xlsx
    """
    from ..profile.starter import start_config

    started = start_config(list(files), config, mappings_dir=mappings_dir, overwrite=force)
    for s in started:
        spec = s.suggestion.spec
        mapped = len(spec.columns) + bool(spec.key)
        where = escape(s.mapping_path)
        console.print(f"{escape(s.name)}: {s.profile.rows:,} records, {mapped} columns mapped -> {where}")
    console.print(f"wrote {escape(config)}: check the mappings, then `crmmigrate run {escape(config)}`")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
