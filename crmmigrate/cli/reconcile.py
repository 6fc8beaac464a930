"""`crmmigrate reconcile`: print a run's reconciliation; exit 1 when it is not balanced."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..errors import EXIT_GATE
from .common import console, escape, handle_errors


@handle_errors
def reconcile(
    out: Path = typer.Option(
        Path("out"), "--out", help="The run's output directory (holds reconciliation.json)."
    ),
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the Markdown summary (for a pull request)."
    ),
) -> None:
    """Show whether every source row of the last run is accounted for.

    Example: crmmigrate reconcile --out out/ --markdown
    """
    from ..reconcile import load_json, to_markdown

    rec = load_json(out / "reconciliation.json")
    if markdown:
        console.print(to_markdown(rec), markup=False, highlight=False)
    else:
        table = Table(title=escape(f"Run {rec.run_id}"), title_justify="left")
        for column in ("source", "read", "rejected", "staged"):
            table.add_column(column, justify="left" if column == "source" else "right")
        for name, c in rec.sources.items():
            table.add_row(escape(name), str(c.read), str(c.rejected), str(c.staged))
        console.print(table)
        for check in rec.checks:
            mark = "[green]✔[/]" if check.passed else "[red]✘[/]"
            console.print(f"{mark} {escape(check.name)} [dim]{escape(check.detail)}[/]")
        verdict = "[bold green]BALANCED[/]" if rec.balanced else "[bold red]NOT BALANCED[/]"
        console.print(f"{verdict}: {rec.golden_records} golden records from {rec.golden_members} rows")
    if not rec.balanced:
        raise typer.Exit(EXIT_GATE)


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile)
