"""The nightly audit of the live store's customers table (SQLite always; PostgreSQL and MariaDB when
$CRMMIGRATE_TEST_POSTGRES_URL / $CRMMIGRATE_TEST_MARIADB_URL are set, e.g.
CRMMIGRATE_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.errors import StoreError
from crmmigrate.schema import GOLDEN_COLUMNS
from crmmigrate.validate import audit_store

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _load_customers(url: str, csv: str, table: str = "customers") -> None:
    df = pd.read_csv(FIXTURES / csv, dtype=str)[list(GOLDEN_COLUMNS)]
    df["member_count"] = 1
    df["updated_at"] = pd.to_datetime(df["updated_at"])  # a store holds real timestamps
    engine = sa.create_engine(url)
    try:
        df.to_sql(table, engine, index=False)
    finally:
        engine.dispose()


def test_audit_of_a_store_reports_the_defects_in_it(store_url: str) -> None:
    _load_customers(store_url, "golden_defects.csv")
    report = audit_store(store_url, ["golden"], now=NOW)
    failed = {r.name: r.unexpected_count for r in report.results if not r.success}
    assert failed["customer id unique"] == 2 and failed["one record per email"] == 2
    assert failed["not stale"] == 1 and not report.passed
    assert report.rows == 11


def test_audit_of_a_clean_store_passes_and_reads_a_named_table(store_url: str) -> None:
    _load_customers(store_url, "golden_clean.csv", table="customers_nightly")
    assert audit_store(store_url, ["golden"], table="customers_nightly", now=NOW).passed


def test_cli_store_audit_exit_codes(sqlite_url: str) -> None:
    _load_customers(sqlite_url, "golden_defects.csv")
    assert CliRunner().invoke(app, ["validate", "--store", sqlite_url, "--rules", "golden"]).exit_code == 1


def test_a_missing_table_is_a_store_error(sqlite_url: str) -> None:
    sa.create_engine(sqlite_url).connect().close()
    with pytest.raises(StoreError, match="no table 'customers'"):
        audit_store(sqlite_url, ["golden"])


def test_an_unreachable_server_names_host_and_port_but_never_the_password() -> None:
    url = "postgresql+psycopg://crm:s3cret-pw@127.0.0.1:1/crm?connect_timeout=2"
    with pytest.raises(StoreError) as info:
        audit_store(url, ["golden"])
    text = f"{info.value} {info.value.hint}"
    assert "127.0.0.1:1" in text and "s3cret-pw" not in text


def test_a_bare_database_url_takes_the_shipped_driver_as_the_store_does(store_url: str) -> None:
    _load_customers(store_url, "golden_clean.csv")
    bare = re.sub(r"^(\w+)\+\w+://", r"\1://", store_url)  # mysql://, postgresql:// as people write them
    assert audit_store(bare, ["golden"], now=NOW).passed
