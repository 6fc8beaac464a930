"""`crmmigrate dedupe`: clean rows in, golden records, cross-reference, review pairs and lineage out."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import console, escape, handle_errors, load_run_config
from .stagebars import stage_bar


@handle_errors
def dedupe_command(
    config_path: Path = typer.Argument(
        None, metavar="[CONFIG]", help="Run config: dedupe OUT/clean.parquet with the config's settings."
    ),
    input_path: Path | None = typer.Option(
        None, "--in", help="Standalone: clean rows (.parquet or .csv) from `standardise`."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Directory for golden, xref, review and lineage (default: the config's, or out/)."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="Match probability at or above which records merge."
    ),
    decisions: Path | None = typer.Option(
        None, "--decisions", help="decisions.csv: must_link / cannot_link."
    ),
    known_ids: Path | None = typer.Option(None, "--known-ids", help="An earlier xref.csv whose ids to keep."),
    incremental: bool | None = typer.Option(
        None,
        "--incremental/--full",
        help="With a config: match new rows against the store's golden records (nightly runs), or "
        "re-cluster all rows (overrides dedupe.incremental in the config).",
    ),
) -> int:
    """Find duplicate customers and build one golden record per customer.

    With a config (and no --in), the clean rows of the config's last run are deduplicated with its
    dedupe and survivorship settings, keeping the ids of customers already in its store. With
    --incremental (or dedupe.incremental), only rows new to the store are matched, against the
    store's golden records; rows it already holds keep their customer.

    Example: crmmigrate dedupe --in out/clean.parquet --out out --decisions decisions.csv

    Example: crmmigrate dedupe crmmigrate.yml
    """
    from .. import outputs
    from ..dedupe.files import dedupe_files
    from ..dedupe.settings import DedupeSettings

    if input_path is None:
        from ..pipeline import adopt_legacy_links, dedupe_stage, load_known_ids, load_stored
        from ..pipeline import out_dir as config_out

        config = load_run_config(config_path, out=out_dir)
        if threshold is not None:
            config.dedupe.threshold = threshold
        if decisions is not None:
            config.dedupe.decisions = str(decisions.resolve())
        if incremental is not None:
            config.dedupe.incremental = incremental
        out = config_out(config)
        clean = outputs.read_clean(out)
        store = config.store_config()
        stored = load_stored(store) if config.dedupe.incremental else None
        known = adopt_legacy_links(load_known_ids(store), clean, store)
        with stage_bar(console, "dedupe") as steps:
            result = dedupe_stage(config, clean, known, stored, steps=steps)
        outputs.write_matched(result, out)
        out_dir = out
    else:
        out_dir = out_dir or Path("out")
        settings = DedupeSettings(threshold=threshold) if threshold is not None else None
        result = dedupe_files(
            input_path, out_dir, settings, decisions_path=decisions, known_ids_path=known_ids
        )
    stats = result.stats
    table = Table(title="dedupe", show_header=False)
    table.add_row("input rows", str(stats["rows"]))
    if stats.get("mode") == "incremental":
        table.add_row("new rows", str(stats["new_rows"]))
        table.add_row("new rows joining stored customers", str(stats["new_rows_joining_stored_customers"]))
        table.add_row("stored customers compared", str(stats["anchors_compared"]))
    pairs = f"{stats['candidate_pairs']} ({stats['pairs_per_row']} per row)"
    table.add_row("candidate pairs compared", pairs)
    table.add_row("golden records", str(stats["clusters"]))
    table.add_row("merged customers", str(int((result.golden["member_count"] > 1).sum())))
    table.add_row("households", str(stats["households"]))
    table.add_row("clusters split by the chaining guard", str(stats["clusters_split"]))
    table.add_row("pairs to review", str(stats["review_pairs"]))
    em = stats.get("em", {})
    converged = "yes" if em.get("em_converged", True) else "no: " + ", ".join(em.get("em_not_converged", []))
    table.add_row("match model converged", escape(converged))
    console.print(table)
    names = ", ".join(outputs.STAGE_OUTPUTS["dedupe"])
    console.print(f"outputs in {escape(out_dir)}: {names}")
    return 0


def register(app: typer.Typer) -> None:
    app.command("dedupe")(dedupe_command)
