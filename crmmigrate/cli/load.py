"""`crmmigrate load`: load a golden file into the store (or preview the load with --dry-run)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .. import outputs
from ..errors import GateError
from .common import console, escape, handle_errors, load_run_config, prefix_option, schema_option
from .stagebars import stage_bar
from .summaries import load_summary


@handle_errors
def load(
    config_path: Path = typer.Argument(
        None, metavar="[CONFIG]", help="Run config: load OUT/golden.parquet of its last run."
    ),
    golden: Path | None = typer.Option(
        None, "--in", help="Golden records (.parquet or .csv) from `crmmigrate dedupe`."
    ),
    xref: Path | None = typer.Option(
        None, "--xref", help="The cross-reference (xref.csv) to load beside them."
    ),
    lineage: Path | None = typer.Option(None, "--lineage", help="Field lineage (golden_lineage.csv)."),
    store: str | None = typer.Option(
        None, "--store", help="Store URL; default: the config's, $CRMMIGRATE_STORE_URL, sqlite:///crm.db."
    ),
    config: str | None = typer.Option(None, "--config", help="Config file whose `store:` to use."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    run_id: str | None = typer.Option(None, "--run-id", help="Run id for the ledger (default: a new one)."),
    force: bool = typer.Option(False, "--force", help="With a config: load even if validation failed."),
    schema: str | None = schema_option(),
    table_prefix: str | None = prefix_option(),
) -> None:
    """Upsert golden records into the CRM store in one transaction, and print the plan.

    With a config (and no --in), the golden set, cross-reference and lineage of the config's last
    run are loaded, if its validation passed (or with --force).

    Example: crmmigrate load --in out/golden.parquet --xref out/xref.csv --store sqlite:///crm.db --dry-run

    Example: crmmigrate load crmmigrate.yml --dry-run
    """
    from ..store.actions import choose_store, load_files

    if golden is None:
        from ..pipeline import load_stage, new_run_id, out_dir

        cfg = load_run_config(
            config_path or (Path(config) if config else None),
            store=store,
            schema=schema,
            table_prefix=table_prefix,
        )
        passed = outputs.read_validation_passed(out_dir(cfg))
        if not passed and not force:
            raise GateError(
                "validation failed on this golden set: nothing loaded", hint="use --force to load anyway"
            )
        data = outputs.read_golden(out_dir(cfg))
        with stage_bar(console, "load") as steps:
            loaded = load_stage(
                cfg,
                data,
                run_id=run_id or new_run_id(),
                gate_open=True,
                forced=not passed,
                dry_run=dry_run,
                steps=steps,
            )
        console.print(f"load: {escape(load_summary(loaded, dry_run))}")
        return
    result = load_files(
        golden,
        choose_store(store, config, schema=schema, table_prefix=table_prefix),
        xref_path=xref,
        lineage_path=lineage,
        dry_run=dry_run,
        run_id=run_id,
    )
    what = "Dry run (nothing written)" if result.dry_run else "Loaded"
    title = f"{what}: run {result.run_id} into {result.store}"
    table = Table(title=escape(title), title_justify="left")
    for column in ("table", "inserts", "updates", "unchanged", "deletes"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, counts in result.plan.tables.items():
        table.add_row(
            name, str(counts.inserts), str(counts.updates), str(counts.unchanged), str(counts.deletes)
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("load")(load)
