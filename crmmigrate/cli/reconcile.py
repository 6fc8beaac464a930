"""`crmmigrate reconcile`: print a run's reconciliation; exit 1 when it is not balanced."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .. import outputs
from ..errors import GateError
from .common import console, escape, handle_errors, load_run_config


@handle_errors
def reconcile(
    config_path: Path = typer.Argument(
        None, metavar="[CONFIG]", help="Run config: recompute the report from its outputs and store."
    ),
    out: Path = typer.Option(
        None, "--out", help="The run's output directory (holds reconciliation.json); default out/."
    ),
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the Markdown summary (for a pull request)."
    ),
) -> None:
    """Show whether every source row of the last run is accounted for.

    Example: crmmigrate reconcile --out out/ --markdown

    Example: crmmigrate reconcile crmmigrate.yml
    """
    from ..reconcile import to_markdown

    if config_path is not None:
        from ..pipeline import Loaded, new_run_id, out_dir, reconcile_stage
        from ..store import open_store

        cfg = load_run_config(config_path, out=out)
        data = outputs.read_golden(out_dir(cfg))
        with open_store(cfg.store_config()) as store:
            ids = data.golden["customer_id"] if len(data.golden) else None
            loaded = Loaded(None, store.count_customers(), store.checksum(ids), store.integrity())
        rec = reconcile_stage(
            run_id=new_run_id(),
            extracted=outputs.read_extracted(out_dir(cfg)),
            data=data,
            loaded=loaded,
            dry_run=False,
            store_in_scope=True,
        )
        outputs.write_reconciliation(rec, out_dir(cfg))
    else:
        rec = outputs.read_reconciliation(out or Path("out"))
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
        failed = [c.name for c in rec.checks if not c.passed]
        raise GateError(
            f"the reconciliation is not balanced: {'; '.join(failed)}",
            hint="the report's checks say which rows are not accounted for",
        )


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile)
