"""`crmmigrate samples generate`: realistic legacy exports with their ground truth, at any size."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from .common import console, escape, handle_errors

samples_app = typer.Typer(
    name="samples",
    help="Sample legacy exports with ground truth.\n\nExample: crmmigrate samples generate --customers 1000 --out demo",  # noqa: E501
    no_args_is_help=True,
)


@handle_errors
def generate_command(
    customers: int = typer.Option(..., "--customers", min=1, help="How many true customers to draw."),
    out: Path = typer.Option(..., "--out", help="Directory to write the exports into (created if needed)."),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same files."),
) -> None:
    """Write a Salesforce Contact export, a web-shop customer table and a German ERP export
    (latin-1, `;`) with duplicates and households, ground_truth.csv naming the true customer of
    every row, and crmmigrate.yml to migrate them.

    Example: crmmigrate samples generate --customers 100000 --out bench --seed 7
    """
    from ..samples import generate

    started = time.perf_counter()
    with console.status("generating…", spinner="dots"):
        made = generate(customers, out, seed=seed)
    table = Table("file", "rows", box=None, title=f"written to {escape(made.out_dir)}/", title_justify="left")
    for name, path in made.files.items():
        count = made.rows.get(name)
        table.add_row(escape(path.name), "" if count is None else f"{count:,}")
    console.print(table)
    console.print(
        f"{made.customers:,} customers in {made.total_rows:,} rows; {made.duplicated:,} appear more than "
        f"once, {made.households:,} households ({time.perf_counter() - started:.1f}s). "
        f"Next: crmmigrate run {escape(made.files['config'])}"
    )


def register(app: typer.Typer) -> None:
    samples_app.command("generate")(generate_command)
    app.add_typer(samples_app, name="samples")
