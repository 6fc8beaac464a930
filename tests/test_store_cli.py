"""`crmmigrate load`, `runs` and `rollback` as a user runs them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import StoreConfig
from crmmigrate.store import open_store
from crmmigrate.tables import write_table

GoldenSetFactory = Callable[..., tuple]


runner = CliRunner()


def _files(tmp_path: Path, golden_set: GoldenSetFactory) -> tuple[Path, Path]:
    golden, xref, _ = golden_set()
    return write_table(golden, tmp_path / "golden.parquet"), write_table(xref, tmp_path / "xref.csv")


def test_load_dry_run_prints_the_plan_and_writes_nothing(
    tmp_path: Path, sqlite_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref = _files(tmp_path, golden_set)
    result = runner.invoke(
        app, ["load", "--in", str(golden), "--xref", str(xref), "--store", sqlite_url, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output and "customers" in result.output
    with open_store(sqlite_url) as store:
        assert store.count_customers() == 0


def test_load_runs_and_rollback(tmp_path: Path, sqlite_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref = _files(tmp_path, golden_set)
    args = ["load", "--in", str(golden), "--xref", str(xref), "--store", sqlite_url, "--run-id", "r1"]
    assert runner.invoke(app, args).exit_code == 0
    listed = runner.invoke(app, ["runs", "--store", sqlite_url])
    assert listed.exit_code == 0 and "r1" in listed.output and "succeeded" in listed.output
    dry = runner.invoke(app, ["rollback", "r1", "--store", sqlite_url, "--dry-run"])
    assert dry.exit_code == 0 and "customers: 6 rows would be removed" in dry.output
    with open_store(sqlite_url) as store:
        assert store.count_customers() == 6 and store.runs()["status"].tolist() == ["succeeded"]
    undone = runner.invoke(app, ["rollback", "r1", "--store", sqlite_url])
    assert undone.exit_code == 0, undone.output
    with open_store(sqlite_url) as store:
        assert store.count_customers() == 0
    again = runner.invoke(app, ["rollback", "r1", "--store", sqlite_url])
    assert again.exit_code == 2 and "rolled_back" in again.output


def test_runs_in_a_log_is_a_line_per_run_with_the_whole_run_id(
    tmp_path: Path, sqlite_url: str, golden_set: GoldenSetFactory
) -> None:
    """Piped into a log (cron), the ledger is tab-separated lines: a run id is never cut to fit
    80 columns, so it can be copied into `rollback`."""
    golden, xref = _files(tmp_path, golden_set)
    run_id = "20261130T020000Z-1a2b3c"
    args = ["load", "--in", str(golden), "--xref", str(xref), "--store", sqlite_url, "--run-id", run_id]
    assert runner.invoke(app, args).exit_code == 0
    lines = runner.invoke(app, ["runs", "--store", sqlite_url]).output.splitlines()
    assert lines[0].split("\t") == ["run_id", "started", "status", "inserted", "updated", "unchanged", "note"]
    assert lines[1].split("\t")[0] == run_id and lines[1].split("\t")[2:5] == ["succeeded", "6", "0"]


def test_rollback_on_a_terminal_asks_first(
    tmp_path: Path, sqlite_url: str, golden_set: GoldenSetFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden, xref = _files(tmp_path, golden_set)
    args = ["load", "--in", str(golden), "--xref", str(xref), "--store", sqlite_url, "--run-id", "r1"]
    assert runner.invoke(app, args).exit_code == 0
    monkeypatch.setattr("crmmigrate.cli.runs.is_interactive", lambda: True)
    refused = runner.invoke(app, ["rollback", "r1", "--store", sqlite_url], input="n\n")
    assert refused.exit_code == 1 and "Roll back run r1?" in refused.output
    with open_store(sqlite_url) as store:
        assert store.count_customers() == 6
    assert runner.invoke(app, ["rollback", "r1", "--store", sqlite_url], input="y\n").exit_code == 0
    with open_store(sqlite_url) as store:
        assert store.count_customers() == 0


def test_a_wrong_password_is_never_printed() -> None:
    result = runner.invoke(app, ["runs", "--store", "postgresql://crm:Sup3rSecret@127.0.0.1:1/crm"])
    assert result.exit_code == 2
    assert "127.0.0.1:1" in result.output and "Sup3rSecret" not in result.output


def test_runs_lists_a_ledger_with_empty_notes_after_a_rollback_and_a_new_run(
    tmp_path: Path, store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref = _files(tmp_path, golden_set)
    for run_id in ("r1", "r2"):
        args = ["load", "--in", str(golden), "--xref", str(xref), "--store", store_url, "--run-id", run_id]
        assert runner.invoke(app, args).exit_code == 0
        if run_id == "r1":
            assert runner.invoke(app, ["rollback", "r1", "--store", store_url]).exit_code == 0
    listed = runner.invoke(app, ["runs", "--store", store_url])
    assert listed.exit_code == 0, listed.output
    assert "r1" in listed.output and "r2" in listed.output


def test_load_runs_and_rollback_with_a_table_prefix(
    tmp_path: Path, sqlite_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref = _files(tmp_path, golden_set)
    prefix = ["--store", sqlite_url, "--table-prefix", "crm_"]
    args = ["load", "--in", str(golden), "--xref", str(xref), "--run-id", "r1", *prefix]
    assert runner.invoke(app, args).exit_code == 0
    assert "r1" in runner.invoke(app, ["runs", *prefix]).output
    assert "r1" not in runner.invoke(app, ["runs", "--store", sqlite_url]).output  # another store
    assert runner.invoke(app, ["rollback", "r1", *prefix]).exit_code == 0
    with open_store(StoreConfig(url=sqlite_url, table_prefix="crm_")) as store:
        assert store.runs()["status"].tolist() == ["rolled_back"]


def test_a_bad_table_prefix_is_a_usage_error(sqlite_url: str) -> None:
    result = runner.invoke(app, ["runs", "--store", sqlite_url, "--table-prefix", "CRM-"])
    assert result.exit_code == 2
    assert "--table-prefix: table_prefix must be lower-case letters" in result.output
