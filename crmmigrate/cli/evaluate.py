"""`crmmigrate evaluate`: precision and recall by threshold from a labelled sample of pairs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import console, handle_errors, load_run_config


@handle_errors
def evaluate_command(
    labels: Path | None = typer.Argument(
        None, help="Labelled pairs (CSV/Parquet): left_source,left_key,right_source,right_key,match."
    ),
    config_path: Path | None = typer.Option(
        None, "--config", help="Run config: its out directory and threshold (default ./crmmigrate.yml)."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="The run's output directory (default: the config's)."
    ),
    truth_column: str | None = typer.Option(
        None, "--truth-column", help="Instead of labels: a column of the clean rows holding true ids."
    ),
    html: Path | None = typer.Option(
        None, "--html", help="Write the report (chart, worst pairs) to this file."
    ),
    show_pii: bool = typer.Option(False, "--show-pii", help="Show personal values unmasked in the report."),
) -> int:
    """Measure the matching on labelled pairs: precision, recall, F1 and the threshold to use.

    Label a few hundred pairs from review.csv (or any pairs of records, by source key) with match 1/0.

    The run's match model re-scores them, so every threshold can be judged.

    The decisions format (must_link/cannot_link) and Splink's labels are read too.

    Example: crmmigrate evaluate labels.csv --out out --html evaluation.html

    Example: crmmigrate evaluate --truth-column person_id --out out
    """
    from ..dedupe.evaluation_html import to_html
    from ..dedupe.files import evaluate_from_dir
    from ..tables import write_text

    threshold, settings = 0.6, None
    if out_dir is None or config_path is not None:
        if config_path is not None or Path("crmmigrate.yml").exists():
            config = load_run_config(config_path, out=out_dir)
            out_dir, threshold, settings = Path(config.out), config.dedupe.threshold, config.dedupe
        else:
            out_dir = Path("out")
    found = evaluate_from_dir(
        out_dir, labels, truth_column=truth_column, threshold=threshold, settings=settings
    )
    table = Table(title=f"{found.labelled} labelled pairs, {found.matches} matches")
    for column in ("threshold", "precision", "recall", "F1", "false pos.", "false neg."):
        table.add_column(column, justify="right")
    for row in found.curve.itertuples(index=False):
        mark = " ◀ recommended" if abs(row.threshold - found.recommended) < 1e-9 else ""
        mark += " (this run)" if abs(row.threshold - found.run_threshold) < 1e-9 else ""
        table.add_row(
            f"{row.threshold:g}{mark}",
            f"{row.precision:.3f}",
            f"{row.recall:.3f}",
            f"{row.f1:.3f}",
            str(row.fp),
            str(row.fn),
        )
    console.print(table)
    if found.not_found:
        console.print(f"{found.not_found} labelled pairs name records this run does not hold (not counted)")
    if found.clusters:
        c = found.clusters
        console.print(
            f"the run's clusters on these labels: precision {c['precision']:.3f}, recall {c['recall']:.3f}, "
            f"F1 {c['f1']:.3f}"
        )
    console.print(f"recommended threshold: {found.recommended:g} (set dedupe.threshold)")
    if html is not None:
        write_text(html, to_html(found, show_pii=show_pii))
        console.print(f"report: {html}")
    return 0


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
