"""Validation on the Spark engine: the same compiled rules run on GX's Spark data source give the
pandas engine's report (every rule's counts, message, sample and failing rows), the same files
and the same exit code. Runs on local[2] (skipped without PySpark or Java)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from crmmigrate.config import load_config
from crmmigrate.pipeline import run
from crmmigrate.spark.settings import SparkSettings
from crmmigrate.validate import validate

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)

#: One rule of every kind, most of them failing on the rows below.
RULES = """
rules:
  - {name: id present, column: customer_id, check: not_null}
  - {name: id unique, column: customer_id, check: unique}
  - {name: pair unique, columns: [first_name, last_name], check: unique, severity: warning}
  - {name: known tier, column: tier, check: in_set, values: [gold, silver]}
  - {name: code shape, column: code, check: regex, pattern: '[A-Z]{2}\\d{3}'}
  - {name: score range, column: score, check: between, min: 0, max: 100}
  - {name: short name, column: first_name, check: length, max: 5, severity: warning}
  - {name: email, column: email, check: email}
  - {name: phone, column: phone, check: e164}
  - {name: country, column: country, check: iso_country}
  - {name: postal, column: postal_code, check: postal_code, severity: warning}
  - {name: born in the past, column: date_of_birth, check: date_not_in_future}
  - {name: recent, column: updated_at, check: not_older_than, months: 24, severity: warning}
  - {name: email status, column: email_status, check: status_is, values: [valid, fixed]}
  - {name: name or company, columns: [last_name, company], check: any_not_null}
  - {name: some rows, check: row_count_between, min: 1, max: 4}
  - {name: no such column, column: loyalty_no, check: not_null}
  - {name: xref to golden, check: xref_points_to_golden, column: customer_id}
"""


def _golden() -> tuple[pd.DataFrame, pd.DataFrame]:
    golden = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C2", None, "C5", "C6"],
            "first_name": ["Jürgen", "Anna", "Anna", "Bo", "Maximilian", None],
            "last_name": ["Müller", "Meyer", "Meyer", None, "Ng", None],
            "company": [None, None, None, None, None, None],
            "tier": ["gold", "bronze", None, "silver", "gold", "GOLD"],
            "code": ["AB123", "ab123", "XY99", None, "ZZ000", "AB1234"],
            "score": [50, 101, -1, None, 0, 100],
            "email": ["jürgen@müller.de", "anna@x", None, "bo@example.com", "max @x.de", "a@b.co"],
            "phone": ["+4930123456", "030123456", None, "+44 20 7946 0958", "+12025550143", "+0"],
            "country": ["DE", "XX", "de", None, "US", "GB"],
            "postal_code": ["10115", "1011", None, "SW1A 1AA", "2025", "W1A 1AA"],
            "date_of_birth": ["1980-02-29", "2999-01-01", "not a date", None, "1975-07-01", "2026-12-01"],
            "updated_at": ["2026-01-01", "2020-01-01", None, "garbage", "2025-06-30", "2024-12-01"],
            "email_status": ["valid", "invalid", "missing", "fixed", "invalid", "valid"],
        }
    )
    xref = pd.DataFrame(
        {
            "source": ["shop"] * 5,
            "source_row": [1, 2, 3, 4, 5],
            "customer_id": ["C1", "C2", "C9", "C5", None],
        }
    )
    return golden.assign(source="shop", source_row=range(1, 7)), xref


def test_every_kind_of_rule_gives_the_pandas_engines_result(
    tmp_path: Path, spark_settings: SparkSettings
) -> None:
    from crmmigrate.spark.session import spark_session
    from crmmigrate.spark.validate import spark_runner

    rules = tmp_path / "rules.yml"
    rules.write_text(RULES, encoding="utf-8")
    golden, xref = _golden()
    on_pandas = validate(golden, [rules], now=NOW, related={"xref": xref})
    on_spark = validate(
        golden, [rules], now=NOW, related={"xref": xref}, runner=spark_runner(spark_session(spark_settings))
    )
    assert on_spark.results == on_pandas.results
    pd.testing.assert_frame_equal(on_spark.failures, on_pandas.failures)
    assert not on_spark.passed and len(on_spark.failures) > 20
    failed = {r.name for r in on_spark.results if not r.success}
    assert failed == {r.name for r in on_pandas.results if not r.success}
    assert {"email", "id unique", "xref to golden", "no such column"} <= failed
    assert on_spark.result("email").unexpected_count == 2  # jürgen@müller.de is an address in Java too


def _run(tmp_path: Path, engine: str, spark: SparkSettings, rules: Path) -> tuple[Path, int]:
    config = load_config(SAMPLES / "crmmigrate.yml")
    config.engine, config.spark = engine, spark  # type: ignore[assignment]
    config.rules = ["golden", str(rules)]
    config.store = f"sqlite:///{tmp_path / engine / 'crm.db'}"
    config.out = str(tmp_path / engine / "out")
    (tmp_path / engine).mkdir()
    result = run(config)
    return Path(config.out), result.exit_code


def test_a_run_validated_on_spark_writes_the_pandas_engines_report_and_exit_code(
    tmp_path: Path, spark_settings: SparkSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmmigrate.spark.validate as on_spark

    frames_seen: list[str] = []
    spark_gx_run = on_spark.spark_gx_run

    def spied(spark, frames, compiled):  # noqa: ANN001, ANN202
        frames_seen.extend(frames)
        return spark_gx_run(spark, frames, compiled)

    monkeypatch.setattr(on_spark, "spark_gx_run", spied)
    rules = tmp_path / "strict.yml"
    rules.write_text(  # the samples fail these: the gate shuts on both engines
        "rules:\n"
        "  - {name: everyone has a phone, column: phone, check: not_null}\n"
        "  - {name: short emails, column: email, check: length, max: 22, severity: warning}\n",
        encoding="utf-8",
    )
    pandas_out, pandas_code = _run(tmp_path, "pandas", spark_settings, rules)
    spark_out, spark_code = _run(tmp_path, "spark", spark_settings, rules)
    assert spark_code == pandas_code == 1
    assert frames_seen == ["data", "xref"]  # the Spark engine's run validated on Spark, once
    for name in ("validation.json", "validation_failures.csv", "junit.xml"):
        assert (spark_out / name).read_bytes() == (pandas_out / name).read_bytes(), name
    assert b"everyone has a phone" in (spark_out / "validation_failures.csv").read_bytes()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([{"__crmmigrate_row": [4, 1, 2]}], [1, 2, 4]),
        ([{"__crmmigrate_row": 3, "email": "x"}, {"__crmmigrate_row": 0, "email": "y"}], [0, 3]),
        ([], []),
        (None, []),
    ],
)
def test_gx_spark_index_lists_become_row_positions(given: object, expected: list[int]) -> None:
    from crmmigrate.spark.validate import positions

    assert positions(given) == expected
