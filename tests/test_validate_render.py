"""Renderers: JSON and JUnit name each failing rule with exact counts; HTML escapes everything."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from rich.console import Console

from crmmigrate.outputs import write_validation
from crmmigrate.validate import render_table, to_html, to_json, to_junit, validate
from crmmigrate.validate.render import to_github

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return validate(pd.read_csv(FIXTURES / "golden_defects.csv", dtype=str), ["golden"], now=NOW)


def test_json_lists_every_rule_with_its_counts(report) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(to_json(report))
    assert data["passed"] is False
    rules = {r["name"]: r for r in data["rules"]}
    assert len(rules) == len(report.results)
    assert rules["one record per email"]["unexpected_count"] == 2
    assert rules["country is ISO 3166-1"]["sample"] == ["Germany"]
    assert rules["not stale"]["severity"] == "warning" and rules["not stale"]["success"] is False
    assert "one record per email" in data["failed_rules"]
    assert data["counts"]["warnings"] == 2


def test_junit_has_a_case_per_rule_and_failures_only_for_error_rules(report) -> None:  # type: ignore[no-untyped-def]
    root = ET.fromstring(to_junit(report))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == len(report.results)
    failure = cases["customer id unique"].find("failure")
    assert failure is not None and failure.get("message") == "customer id unique: 2 failing rows"
    stale = cases["not stale"]
    assert stale.find("failure") is None and "WARNING" in (stale.findtext("system-out") or "")
    assert root.get("failures") == str(len(report.errors)) == "6"


def test_samples_are_masked_everywhere(report) -> None:  # type: ignore[no-untyped-def]
    texts = [to_json(report), to_junit(report), to_html(report), report.failures.to_csv()]
    for text in texts:
        assert "twin@example.com" not in text and "bob.brown" not in text and "0701234567" not in text
    assert "t***@example.com" in to_json(report)


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    df = pd.DataFrame({"country": ["<script>alert(1)</script>"]})
    rules = tmp_path / "r.yml"
    rules.write_text(
        "rules:\n  - {name: '<b>iso</b>', column: country, check: iso_country}\n", encoding="utf-8"
    )
    page = to_html(validate(df, [rules]))
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;iso" in page
    assert "http" not in page


def test_junit_stays_well_formed_when_a_failing_value_holds_control_characters(tmp_path: Path) -> None:
    df = pd.DataFrame({"country": ["Ger\x07many\x1b[31m", "F\x00R"]})
    rules = tmp_path / "r.yml"
    rules.write_text("rules:\n  - {name: iso, column: country, check: iso_country}\n", encoding="utf-8")
    root = ET.fromstring(to_junit(validate(df, [rules])))  # raises on a malformed document
    assert root.get("failures") == "1"


def test_rich_table_and_written_files(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    console = Console(record=True, width=160)
    console.print(render_table(report))
    assert "customer id unique" in console.export_text()
    paths = write_validation(
        report,
        json_path=tmp_path / "v.json",
        junit_path=tmp_path / "j.xml",
        html_path=tmp_path / "v.html",
        failures_path=tmp_path / "validation_failures.csv",
    )
    assert all(p.exists() for p in paths) and len(paths) == 4
    failures = pd.read_csv(tmp_path / "validation_failures.csv")
    assert len(failures) == len(report.failures) == 10


def test_github_annotations_escape_what_would_break_the_workflow_command(tmp_path: Path) -> None:
    frame = pd.DataFrame({"source": ["a,b.csv"], "source_row": [7], "email": ["x"]})
    rules = tmp_path / "r.yml"
    rules.write_text("rules:\n  - {name: 'email: valid, please', column: email, check: email}\n")
    line = to_github(validate(frame, [str(rules)])).strip()
    assert line.startswith("::error file=a%2Cb.csv,line=7,title=email%3A valid%2C please::column email: ")
    assert "100.00%25 of the values" in line and "\n" not in line
