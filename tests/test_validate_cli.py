"""`crmmigrate validate` as CI uses it: exit 0 clean, 1 on error rules, 2 on bad usage or rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmmigrate.cli.app import app

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name in ("golden_clean.csv", "golden_defects.csv", "custom_rules.yml", "typos.yml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def test_a_clean_file_passes_with_exit_0(files: Path) -> None:
    result = runner.invoke(app, ["validate", "--in", str(files / "golden_clean.csv"), "--rules", "golden"])
    assert result.exit_code == 0, result.output
    assert "passed" in result.output


def test_planted_defects_fail_with_exit_1_and_every_output_written(files: Path) -> None:
    out = files / "out"
    args = [
        "validate",
        "--in",
        str(files / "golden_defects.csv"),
        "--rules",
        "golden",
        "--rules",
        str(files / "custom_rules.yml"),
        "--json",
        str(out / "v.json"),
        "--junit",
        str(out / "j.xml"),
        "--html",
        str(out / "v.html"),
        "--failures",
        str(out / "validation_failures.csv"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "gate failed:" in result.output and "error rules failed (" in " ".join(result.output.split())
    data = json.loads((out / "v.json").read_text(encoding="utf-8"))
    counts = {r["name"]: r["unexpected_count"] for r in data["rules"] if not r["success"]}
    assert counts["customer id unique"] == 2 and counts["country is ISO"] == 1
    assert counts["golden: one record per email"] == counts["custom_rules: one record per email"] == 2
    assert (
        '<testcase classname="crmmigrate.rules.custom_rules" name="phone E.164">'
        in (out / "j.xml").read_text()
    )
    assert (out / "v.html").exists()
    failures = (out / "validation_failures.csv").read_text(encoding="utf-8")
    assert failures.startswith("rule,severity,column,source,source_row,customer_id,value")
    assert "Traceback" not in result.output


def test_rule_file_problems_are_exit_2(files: Path) -> None:
    result = runner.invoke(
        app, ["validate", "--in", str(files / "golden_clean.csv"), "--rules", str(files / "typos.yml")]
    )
    assert result.exit_code == 2
    assert "did you mean 'column'" in result.output


def test_missing_input_and_wrong_usage_are_exit_2(files: Path) -> None:
    assert runner.invoke(app, ["validate", "--in", str(files / "nope.csv")]).exit_code == 2
    assert runner.invoke(app, ["validate"]).exit_code == 2
    both = runner.invoke(app, ["validate", "--in", str(files / "golden_clean.csv"), "--store", "sqlite://"])
    assert both.exit_code == 2 and "--in FILE or --store URL, not both" in both.output


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["validate", "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_the_cross_reference_is_checked_against_the_golden_file(files: Path) -> None:
    xref = files / "xref.csv"
    xref.write_text(
        "source,source_row,source_key,customer_id,match_score\nshop,4,K9,C999999,1.0\n", encoding="utf-8"
    )
    failures = files / "f.csv"
    args = ["validate", "--in", str(files / "golden_clean.csv"), "--rules", "golden", "--rules", "xref"]
    result = runner.invoke(app, [*args, "--xref", str(xref), "--failures", str(failures)])
    assert result.exit_code == 1, result.output
    assert (
        "every source row points to a golden record,error,customer_id,shop,4,C999999" in failures.read_text()
    )


def test_a_standalone_file_names_its_failing_rows_by_line_and_key_for_ci(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text(
        'id,first_name,last_name\nA-1,Anna,Berg\nA-2,"Dora\nMaria",\nA-3,Ed,Gomez\nA-4,Zoe,\n',
        encoding="utf-8",
    )
    (tmp_path / "rules.yml").write_text(
        "rules:\n  - {name: last name present, column: last_name, check: not_null}\n", encoding="utf-8"
    )
    args = [
        "validate",
        "--in",
        str(tmp_path / "data.csv"),
        "--rules",
        str(tmp_path / "rules.yml"),
        "--key",
        "id",
    ]
    out = [
        "--failures",
        str(tmp_path / "f.csv"),
        "--markdown",
        str(tmp_path / "summary.md"),
        "--junit",
        str(tmp_path / "j.xml"),
        "--github",
    ]
    result = runner.invoke(app, [*args, *out])
    assert result.exit_code == 1, result.output
    failures = (tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()
    where = [line.split(",")[4:6] for line in failures[1:]]
    assert where == [["3", "A-2"], ["6", "A-4"]]  # the quoted name spans lines 3 and 4
    data = str(tmp_path / "data.csv")
    assert f"::error file={data},line=3,title=last name present::" in result.output
    assert f"{data}:3, {data}:6" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"first failing rows: {data}:3, {data}:6 (column last_name)" in (tmp_path / "j.xml").read_text()


def test_key_names_a_column_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("id,last_name\n1,Berg\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--in", str(tmp_path / "data.csv"), "--key", "ID"])
    assert result.exit_code == 2 and "--key 'ID': the file has no such column" in result.output


def test_the_audit_reads_a_store_in_its_own_schema_with_typed_dates(
    tmp_path: Path, store_url: str, own_schema: str | None, golden_set
) -> None:
    from crmmigrate.config import StoreConfig
    from crmmigrate.store import open_store

    golden, xref, _ = golden_set()
    golden = golden.assign(updated_at="2019-08-02T18:45:00+02:00", date_of_birth="1980-02-29")
    with open_store(StoreConfig(url=store_url, schema=own_schema, table_prefix="crm_")) as store:
        store.load(golden, xref, run_id="run-1")
    report = tmp_path / "audit.json"
    args = ["validate", "--store", store_url, "--table", "crm_customers", "--rules", "golden"]
    args += ["--json", str(report), *(["--schema", own_schema] if own_schema else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rules = {r["name"]: r for r in json.loads(report.read_text())["rules"]}
    assert rules["birth date not in future"]["unexpected_count"] == 0  # DATE values read as dates
    assert rules["not stale"]["unexpected_count"] == 6  # and timestamps as times: 2019 is stale
