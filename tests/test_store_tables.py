"""The store's tables: dates and custom fields in their database types, and a store kept in its
own schema or under a table prefix, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest
import sqlalchemy as sa

from crmmigrate.config import StoreConfig
from crmmigrate.errors import StoreError
from crmmigrate.store import golden_checksum, open_store
from crmmigrate.store.engine import normalise_url

GoldenSetFactory = Callable[..., tuple]


def _backend(url: str) -> str:
    return sa.engine.make_url(url).get_backend_name()


def _columns(url: str, table: str, schema: str | None = None) -> dict[str, sa.types.TypeEngine]:
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return {c["name"]: c["type"] for c in sa.inspect(conn).get_columns(table, schema=schema)}
    finally:
        engine.dispose()


def _table_names(url: str, schema: str | None = None) -> set[str]:
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names(schema=schema))
    finally:
        engine.dispose()


def _raw(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _dated(golden: pd.DataFrame) -> pd.DataFrame:
    """The golden set with the date and time forms a migration meets."""
    times = [
        "2019-08-02T18:45:00",
        "2015-05-15",
        "2019-08-02T18:45:00+02:00",  # an offset: kept as the same moment in UTC
        None,
        "2020-02-29T00:00:00",  # midnight: the date alone
        "2021-03-04T05:06:07.250000",
    ]
    return golden.assign(
        date_of_birth=["1980-02-29", None, "1001-07-04", "1999-12-31", None, "2000-01-01"],
        created_at=["2015-05-15", None, "2010-01-01T08:00:00", "2011-11-11", None, "2012-12-12T12:12:12"],
        updated_at=times,
    )


def test_dates_and_custom_fields_have_their_database_types(store_url: str) -> None:
    with open_store(store_url):
        pass
    types = _columns(store_url, "customers")
    backend = _backend(store_url)
    assert isinstance(types["date_of_birth"], sa.Date)
    if backend == "postgresql":
        assert isinstance(types["created_at"], sa.DateTime) and types["created_at"].timezone
        assert types["extra"].__class__.__name__ == "JSONB"
        assert _columns(store_url, "load_runs")["started"].timezone
    elif backend == "mariadb" or backend == "mysql":
        assert isinstance(types["updated_at"], sa.DateTime)
        checks = _raw(
            store_url,
            "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'customers'",
        )
        assert any("json_valid(`extra`)" in c[0] for c in checks)  # MariaDB's JSON: checked LONGTEXT
    else:  # SQLite has no types: the columns say what their ISO text holds
        declared = {name: str(t) for name, t in types.items()}
        assert (declared["created_at"], declared["extra"]) == ("TIMESTAMP", "JSON")


def test_dates_read_back_as_the_pipeline_writes_them(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    golden = _dated(golden)
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        back = store.read_customers().set_index("customer_id").loc[golden["customer_id"]]
        for column in ("date_of_birth", "created_at"):  # missing: None, or NaN in pandas 3's text
            assert back[column].tolist() == [None if pd.isna(v) else v for v in golden[column]]
        assert back["updated_at"].tolist() == [
            "2019-08-02T18:45:00",
            "2015-05-15",
            "2019-08-02T16:45:00",
            None,
            "2020-02-29",
            "2021-03-04T05:06:07.250000",
        ]
        assert back["loyalty_no"].dropna().tolist() == golden["loyalty_no"].dropna().tolist()  # in JSON
        assert store.checksum() == golden_checksum(golden)
        again = store.load(golden, xref, lineage, run_id="run-2")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(golden))


def test_the_database_holds_real_dates_in_utc(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        store.load(_dated(golden), xref, run_id="run-1")
    row = _raw(store_url, "SELECT date_of_birth, updated_at FROM customers WHERE customer_id = 'C00002'")[0]
    if _backend(store_url) == "sqlite":
        assert row == ("1001-07-04", "2019-08-02T16:45:00")
    else:
        assert row[0] == dt.date(1001, 7, 4)
        assert row[1].replace(tzinfo=None) == dt.datetime(2019, 8, 2, 16, 45)
        assert row[1].utcoffset() in (None, dt.timedelta(0))


def test_a_value_that_is_not_a_date_is_refused_before_anything_is_written(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    golden = golden.assign(date_of_birth=["1980-02-30", *golden["date_of_birth"][1:]])
    with open_store(store_url) as store:
        with pytest.raises(
            StoreError, match=r"values of 'date_of_birth' are not a date as YYYY-MM-DD.*C00000"
        ):
            store.load(golden, xref, run_id="run-1")
        assert store.count_customers() == 0


def test_a_store_in_its_own_schema_and_prefix_uses_only_its_tables(
    store_url: str, own_schema: str | None, golden_set: GoldenSetFactory
) -> None:
    golden, xref, lineage = golden_set()
    where = StoreConfig(url=store_url, schema=own_schema, table_prefix="crm_")
    with open_store(where) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        merged = golden.assign(email=golden["email"].fillna("new@example.com"))
        store.load(merged, xref, lineage, run_id="run-2")
        assert store.rollback("run-2").counts("customers").updates > 0
        assert store.checksum() == golden_checksum(golden)
        assert store.forget(customer_id="C00001").customers == 1
        assert [r for r in store.runs()["run_id"]] == ["run-1", "run-2"]
        assert store.lock_holder()  # the lock holder lives in crm_crmmigrate_meta
    names = _table_names(store_url, own_schema)
    assert names and all(name.startswith("crm_") for name in names)
    assert "crm_customers" in names and "crm_crmmigrate_meta" in names
    if own_schema is not None:
        assert _table_names(store_url) == set()  # nothing in the URL's own schema or database
    with open_store(where) as store:  # opened again: found, not created anew
        assert store.count_customers() == len(golden) - 1
    with open_store(store_url) as plain:  # the same database without prefix: another store
        assert plain.count_customers() == 0


def test_two_prefixes_are_two_stores_locked_apart(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with (
        open_store(StoreConfig(url=store_url, table_prefix="a_")) as a,
        open_store(StoreConfig(url=store_url, table_prefix="b_")) as b,
    ):
        a.load(golden, xref, run_id="run-a")
        if _backend(store_url) != "sqlite":  # a SQLite file has one lock whatever the prefix
            with a.lock(), b.lock(timeout_s=0):
                b.load(
                    golden.head(2),
                    xref[xref["customer_id"].isin(golden["customer_id"].head(2))],
                    run_id="run-b",
                )
        assert (a.count_customers(), b.count_customers()) == (
            len(golden),
            2 if _backend(store_url) != "sqlite" else 0,
        )


def test_a_schema_is_refused_for_sqlite(sqlite_url: str) -> None:
    with pytest.raises(StoreError, match="SQLite store has no schemas"):
        open_store(StoreConfig(url=sqlite_url, schema="crm"))
