"""Every rule kind on a passing and a failing frame, with exact counts; severity and the gate."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from crmmigrate.validate import ValidationReport, validate

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def check(tmp_path: Path, df: pd.DataFrame, rule: dict[str, Any], **kwargs: Any) -> ValidationReport:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"rules": [{"name": "r", **rule}]}), encoding="utf-8")
    return validate(df, [path], now=NOW, **kwargs)


def frame(**columns: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(columns)


# (rule, passing frame, failing frame, failing rows in the failing frame)
CASES = {
    "not_null": (
        {"column": "a", "check": "not_null"},
        frame(a=["x", "y"]),
        frame(a=["x", None, None]),
        2,
    ),
    "unique": (
        {"column": "a", "check": "unique"},
        frame(a=["x", "y", None, None]),
        frame(a=["x", "x", "y", None]),
        2,
    ),
    "compound unique": (
        {"columns": ["a", "b"], "check": "unique"},
        frame(a=["x", "x", None], b=["1", "2", "1"]),
        frame(a=["x", "x", "x"], b=["1", "1", "2"]),
        2,
    ),
    "in_set": (
        {"column": "a", "check": "in_set", "values": ["x", "y"]},
        frame(a=["x", "y", None]),
        frame(a=["x", "z", "w"]),
        2,
    ),
    "in_set numbers against text": (
        {"column": "a", "check": "in_set", "values": [1, 2]},
        frame(a=["1", "2"]),
        frame(a=["1", "3"]),
        1,
    ),
    "regex is a whole match": (
        {"column": "a", "check": "regex", "pattern": "[A-Z]{2}"},
        frame(a=["AB", "CD", None]),
        frame(a=["AB", "ABC", "xAB"]),
        2,
    ),
    "between": (
        {"column": "a", "check": "between", "min": 0, "max": 10},
        frame(a=[0, 5, 10]),
        frame(a=[-1, 5, 11]),
        2,
    ),
    "between on text": (
        {"column": "a", "check": "between", "min": 0},
        frame(a=["1", "2.5", None]),
        frame(a=["1", "-2", "abc"]),
        2,
    ),
    "length": (
        {"column": "a", "check": "length", "min": 2, "max": 3},
        frame(a=["ab", "abc"]),
        frame(a=["a", "abcd", "ab"]),
        2,
    ),
    "email": (
        {"column": "a", "check": "email"},
        frame(a=["jane@example.com", "o'neil+crm@mail.example.co.uk", "jürgen@bücher.de", None]),
        frame(
            a=["jane@example.com", "jane@@example.com", "jane@example", "jane doe@example.com", "a..b@x.de"]
        ),
        4,
    ),
    "e164": (
        {"column": "a", "check": "e164"},
        frame(a=["+4930123456", "+12025550143", None]),
        frame(a=["+4930123456", "030123456", "+49 30 123456", "+0123456789"]),
        3,
    ),
    "iso_country": (
        {"column": "a", "check": "iso_country"},
        frame(a=["DE", "US", "JP", None]),
        frame(a=["DE", "XX", "Germany", "de"]),
        3,
    ),
    "postal_code": (
        {"column": "postal_code", "check": "postal_code", "country_column": "country"},
        frame(
            postal_code=["10115", "SW1A 2AA", "00-001", "K1A 0B1", "100-0001", "2000", "ABC", None],
            country=["DE", "GB", "PL", "CA", "JP", "AU", "ZZ", "DE"],
        ),
        frame(postal_code=["1011", "12-345", "10115", "1234"], country=["DE", "DE", "PL", "US"]),
        4,
    ),
    "date_not_in_future": (
        {"column": "a", "check": "date_not_in_future"},
        frame(a=["1980-01-01", "2026-05-31T23:00:00Z", None]),
        frame(a=["1980-01-01", "2026-06-02", "2999-01-01", "not a date"]),
        3,
    ),
    "not_older_than": (
        {"column": "a", "check": "not_older_than", "months": 24},
        frame(a=["2024-06-02", "2026-01-01", None]),
        frame(a=["2024-05-31", "2026-01-01", "2010-01-01", "31/31/2020"]),
        3,
    ),
    "status_is": (
        {"column": "email_status", "check": "status_is"},
        frame(email_status=["valid", "valid"]),
        frame(email_status=["valid", "fixed", "invalid"]),
        2,
    ),
    "any_not_null": (
        {"columns": ["last_name", "company"], "check": "any_not_null"},
        frame(last_name=["Doe", None], company=[None, "ACME"]),
        frame(last_name=["Doe", None, None], company=[None, None, "ACME"]),
        1,
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_rule_kind_passes_good_data_and_counts_bad_rows_exactly(tmp_path: Path, case: str) -> None:
    rule, good, bad, failing = CASES[case]
    assert check(tmp_path, good, rule).result("r").success
    result = check(tmp_path, bad, rule).result("r")
    assert not result.success
    assert result.unexpected_count == failing
    assert result.element_count == len(bad)


def test_row_count_between(tmp_path: Path) -> None:
    rule = {"check": "row_count_between", "min": 2, "max": 3}
    assert check(tmp_path, frame(a=[1, 2]), rule).passed
    report = check(tmp_path, frame(a=[1]), rule)
    assert not report.passed
    assert report.result("r").element_count == 1 and "1 rows" in report.result("r").message


def test_xref_rows_must_point_to_golden_records(tmp_path: Path) -> None:
    golden = frame(customer_id=["C1", "C2"])
    xref = frame(source=["crm", "crm", "shop"], source_row=[1, 2, 7], customer_id=["C1", "C2", "C9"])
    rule = {"check": "xref_points_to_golden"}
    report = check(tmp_path, golden, rule, related={"xref": xref})
    assert report.result("r").unexpected_count == 1
    row = report.failures.iloc[0]
    assert (row["source"], row["source_row"], row["customer_id"]) == ("shop", 7, "C9")
    assert check(tmp_path, golden, rule, related={"xref": xref.iloc[:2]}).passed


def test_xref_rule_without_the_cross_reference_fails_saying_so(tmp_path: Path) -> None:
    report = check(tmp_path, frame(customer_id=["C1"]), {"check": "xref_points_to_golden"})
    assert not report.passed and "'xref'" in report.result("r").message


def test_mostly_lets_a_small_share_fail(tmp_path: Path) -> None:
    statuses = frame(email_status=["valid"] * 19 + ["invalid"])
    rule = {"column": "email_status", "check": "status_is", "values": ["valid", "fixed"], "mostly": 0.95}
    result = check(tmp_path, statuses, rule).result("r")
    assert result.success and result.unexpected_count == 1
    assert not check(tmp_path, statuses, {**rule, "mostly": 0.99}).result("r").success


def test_a_failed_warning_does_not_fail_the_gate(tmp_path: Path) -> None:
    report = check(tmp_path, frame(a=[None]), {"column": "a", "check": "not_null", "severity": "warning"})
    assert report.passed
    assert [r.name for r in report.warnings] == ["r"] and report.errors == []
    assert report.counts == {"rules": 1, "passed": 0, "errors": 0, "warnings": 1}


def test_a_rule_on_a_missing_column_fails_with_a_clear_message(tmp_path: Path) -> None:
    report = check(tmp_path, frame(a=["x"]), {"column": "email", "check": "email"})
    assert not report.passed
    assert report.result("r").message == "column 'email' is not in the data"


def test_one_of_several_columns_may_be_absent_from_the_data(tmp_path: Path) -> None:
    """People without a company column, checked for "last name or company": the absent column
    has no value in any row, so rows with a last name pass and a row without one fails."""
    rule = {"columns": ["last_name", "company"], "check": "any_not_null"}
    report = check(tmp_path, frame(last_name=["Lee", None, "Ruiz"]), rule)
    assert report.result("r").unexpected_count == 1
    assert check(tmp_path, frame(first_name=["Ann"]), rule).result("r").message == (
        "columns 'last_name', 'company' are not in the data"
    )


def test_failures_table_has_lineage_and_masked_values(tmp_path: Path) -> None:
    df = frame(
        source=["crm", "crm", "shop"],
        source_row=[1, 2, 3],
        email=["jane.doe@example.com", "jane.doe@@example.com", "john smith@example.com"],
    )
    report = check(tmp_path, df, {"column": "email", "check": "email"})
    failures = report.failures
    assert list(failures.columns) == [
        "rule",
        "severity",
        "column",
        "source",
        "source_row",
        "customer_id",
        "value",
    ]
    assert failures[["source", "source_row"]].values.tolist() == [["crm", 2], ["shop", 3]]
    assert failures["value"].tolist() == ["j***.***@@example.com", "j*** *****@example.com"]
    assert report.result("r").sample == ("j***.***@@example.com", "j*** *****@example.com")
    assert "jane" not in failures.to_csv() and "smith" not in failures.to_csv()


def test_the_callers_frame_and_index_are_left_alone(tmp_path: Path) -> None:
    df = frame(a=["x", None, "y"]).set_index(pd.Index([10, 20, 30]))
    before = df.copy()
    report = check(tmp_path, df, {"column": "a", "check": "not_null"})
    assert report.result("r").unexpected_count == 1
    pd.testing.assert_frame_equal(df, before)


def test_dates_already_parsed_and_numeric_nan_work(tmp_path: Path) -> None:
    df = frame(a=pd.to_datetime(["2026-01-01", None, "2030-01-01"]), b=[1.0, np.nan, 3.0])
    assert (
        check(tmp_path, df, {"column": "a", "check": "date_not_in_future"}).result("r").unexpected_count == 1
    )
    assert (
        check(tmp_path, df, {"column": "b", "check": "between", "max": 2}).result("r").unexpected_count == 1
    )


def test_default_golden_rules_pass_a_correct_golden_set() -> None:
    df = pd.read_csv(FIXTURES / "golden_clean.csv", dtype=str)
    report = validate(df, ["golden"], now=NOW)
    assert report.passed and report.warnings == [], [
        (r.name, r.message) for r in report.results if not r.success
    ]


def test_default_golden_rules_name_every_planted_defect_with_exact_counts() -> None:
    df = pd.read_csv(FIXTURES / "golden_defects.csv", dtype=str)
    report = validate(df, ["golden"], now=NOW)
    failed = {r.name: r.unexpected_count for r in report.results if not r.success}
    assert failed == {
        "customer id present": 1,
        "customer id unique": 2,
        "last name or company": 1,
        "email valid when present": 1,
        "one record per email": 2,
        "phone E.164 when present": 1,
        "country is ISO 3166-1": 1,
        "not stale": 1,
    }
    assert not report.passed and [r.name for r in report.warnings] == ["one record per email", "not stale"]
    assert len(report.failures) == sum(failed.values())


def test_gx_stays_silent(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    check(tmp_path, frame(a=["x", None]), {"column": "a", "check": "not_null"})
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_gx_gets_the_rule_columns_in_one_block_and_reports_as_on_the_frame_as_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crmmigrate.validate import gx_engine, render

    df = pd.read_csv(FIXTURES / "golden_defects.csv", dtype=object)
    df.index = df.index * 10 + 3  # rows named by position in the report, whatever their labels
    given: list[pd.DataFrame] = []
    consolidated = gx_engine._consolidated

    def seen(data: pd.DataFrame) -> pd.DataFrame:
        given.append(consolidated(data))
        return given[-1]

    monkeypatch.setattr(gx_engine, "_consolidated", seen)
    merged = validate(df, ["golden"], now=NOW)
    assert len(given[0]._mgr.blocks) < len(given[0].columns)  # object columns in one block
    monkeypatch.setattr(gx_engine, "_consolidated", lambda data: data)
    as_given = validate(df, ["golden"], now=NOW)
    assert render.to_json(merged) == render.to_json(as_given)
    assert render.to_junit(merged) == render.to_junit(as_given)
    pd.testing.assert_frame_equal(merged.failures, as_given.failures)
    assert len(merged.failures) == 10
