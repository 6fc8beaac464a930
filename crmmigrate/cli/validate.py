"""`crmmigrate validate`: data-quality rules on a file (CI gate) or on the live store (nightly audit)."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import outputs
from ..errors import ConfigError, GateError
from ..validate import ValidationReport, audit_store, render_table, validate_file
from ..validate.render import to_github
from .common import console, escape, handle_errors, load_run_config


@handle_errors
def validate_command(
    config_path: Path = typer.Argument(
        None, metavar="[CONFIG]", help="Run config: validate OUT/golden.parquet with the config's rules."
    ),
    in_path: Path = typer.Option(None, "--in", help="CSV or Parquet file to check."),
    store: str = typer.Option(None, "--store", help="Audit this store's customers table (a SQLAlchemy URL)."),
    rules: list[str] = typer.Option(
        None, "--rules", help="Rules file or built-in set: staged, clean, golden (default); repeatable."
    ),
    xref: Path = typer.Option(None, "--xref", help="Cross-reference file, for xref_points_to_golden rules."),
    table: str = typer.Option("customers", "--table", help="Table to audit with --store."),
    schema: str = typer.Option(
        None, "--schema", help="With --store: the schema (PostgreSQL) or database (MariaDB) of --table."
    ),
    junit: Path = typer.Option(None, "--junit", help="Write JUnit XML here (one test case per rule)."),
    json_out: Path = typer.Option(None, "--json", help="Write every rule and its counts as JSON here."),
    html_out: Path = typer.Option(None, "--html", help="Write a self-contained HTML report here."),
    failures: Path = typer.Option(None, "--failures", help="Write failing rows with lineage (CSV/Parquet)."),
    markdown: Path = typer.Option(
        None, "--markdown", help="Write a short Markdown summary here (a PR comment, $GITHUB_STEP_SUMMARY)."
    ),
    github: bool = typer.Option(
        False, "--github", help="Print GitHub Actions annotations (::error file=…,line=…::) for failed rules."
    ),
    key: str = typer.Option(
        None, "--key", help="With --in: the file's id column, shown as customer_id for failing rows."
    ),
) -> None:
    """Check data against data-quality rules; exit 1 if an error rule fails.

    Give --in FILE (any CSV/Parquet, e.g. in CI), --store URL (nightly audit of the CRM store), or
    neither, to validate the golden set of the last `crmmigrate dedupe` run of a config (the
    config's rules, reports written to its output directory). Warnings are reported but do not
    fail the gate. Personal values are masked in all output.

    Example: crmmigrate validate --in out/golden.csv --rules golden --junit junit.xml --json validation.json

    Example: crmmigrate validate --in data.csv --rules rules.yml --key id --github --markdown summary.md

    Rows of a file given with --in are named by the file and their line in it (data.csv:4) in
    the failures file, JSON, JUnit, Markdown and annotations.

    Example: crmmigrate validate --store postgresql+psycopg://crm@db/crm --rules rules/golden.yml
    """
    if in_path is None and store is None:
        from ..pipeline import out_dir, validate_stage

        config = load_run_config(config_path)
        if rules:
            config.rules = list(rules)
        data = outputs.read_golden(out_dir(config))
        report = validate_stage(config, data.golden, data.xref)
        outputs.write_validation(report, out_dir(config))
        console.print(render_table(report))
        for path in outputs.write_validation(report, markdown_path=markdown):
            console.print(f"[dim]wrote {escape(path)}[/]")
        if github:
            console.print(to_github(report), markup=False, highlight=False, soft_wrap=True, end="")
        _gate(report)
        return
    if in_path is not None and store is not None:
        raise ConfigError("give --in FILE or --store URL, not both", hint="crmmigrate validate --help")
    refs = list(rules or ["golden"])
    if key is not None and in_path is None:
        raise ConfigError("--key goes with --in FILE", hint="crmmigrate validate --help")
    report = (
        audit_store(store, refs, table=table, schema=schema)
        if store
        else validate_file(in_path, refs, xref=xref, key=key)
    )
    console.print(render_table(report))
    for path in outputs.write_validation(
        report,
        json_path=json_out,
        junit_path=junit,
        html_path=html_out,
        failures_path=failures,
        markdown_path=markdown,
    ):
        console.print(f"[dim]wrote {escape(path)}[/]")
    if github:
        console.print(to_github(report), markup=False, highlight=False, soft_wrap=True, end="")
    _gate(report)


def _gate(report: ValidationReport) -> None:
    if report.passed:
        return
    names = ", ".join(r.name for r in report.errors[:5]) + (", …" if len(report.errors) > 5 else "")
    raise GateError(
        f"{len(report.errors)} error rule{'s' if len(report.errors) != 1 else ''} failed ({names})",
        hint="fix the data or the rules; rules with severity warning are reported but do not fail the gate",
    )


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)
