"""`crmmigrate explain`: why records were merged, field by field, with weights and the total."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import console, escape, handle_errors


def render_pair(pair: object, show_pii: bool = False) -> None:
    from ..dedupe.explain import shown

    table = Table(title=f"{escape(pair.left)}  vs  {escape(pair.right)}")  # type: ignore[attr-defined]
    for column in ("comparison", "left", "right", "level"):
        table.add_column(column)
    table.add_column("weight", justify="right")
    for row in pair.rows.itertuples(index=False):  # type: ignore[attr-defined]
        colour = "green" if row.weight > 0 else "red" if row.weight < 0 else "dim"
        table.add_row(
            escape(row.comparison),
            escape(shown(row.left, row.comparison, show_pii)),
            escape(shown(row.right, row.comparison, show_pii)),
            escape(row.level),
            f"[{colour}]{row.weight:+.2f}[/]",
        )
    table.add_row("prior", "", "", "", f"{pair.prior_weight:+.2f}")  # type: ignore[attr-defined]
    table.add_row("[bold]total[/]", "", "", "", f"[bold]{pair.total:+.2f}[/]")  # type: ignore[attr-defined]
    console.print(table)
    note = " (first names conflict: household evidence not counted)" if pair.household_conflict else ""  # type: ignore[attr-defined]
    console.print(f"match probability {pair.probability:.4f}{note}")  # type: ignore[attr-defined]


@handle_errors
def explain_command(
    customer_id: str | None = typer.Argument(None, help="A customer_id from golden.csv."),
    out_dir: Path = typer.Option(Path("out"), "--out", help="The run's output directory."),
    pair: tuple[str, str] | None = typer.Option(
        None, "--pair", help="Two records by source key (or SOURCE:KEY)."
    ),
    clean: Path | None = typer.Option(None, "--clean", help="Clean rows, if not OUT/clean.parquet."),
    show_pii: bool = typer.Option(
        False, "--show-pii", help="Show names, emails, phones and birth dates unmasked."
    ),
) -> int:
    """Show why records were merged: per-field comparison, weight and total.

    Example: crmmigrate explain C0a1b2c3d4e5f6a7b --out out

    A pair of records by source key: crmmigrate explain --pair 1001 S-77 --out out
    """
    from ..dedupe.explain import Explanation
    from ..dedupe.files import explain_from_dir

    found = explain_from_dir(out_dir, customer_id, tuple(pair) if pair else None, clean)
    if isinstance(found, Explanation):
        console.print(f"[bold]{escape(found.customer_id)}[/]: {len(found.members)} records")
        members = Table()
        for column in found.members.columns:
            members.add_column(str(column))
        for row in found.members.itertuples(index=False):
            members.add_row(*("" if v is None or v != v else escape(v) for v in row))
        console.print(members)
        for explained in found.pairs:
            render_pair(explained, show_pii)
    else:
        render_pair(found, show_pii)
    return 0


def register(app: typer.Typer) -> None:
    app.command("explain")(explain_command)
