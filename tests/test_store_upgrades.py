"""Opening a store written by an older crmmigrate upgrades it in place, keeping every row."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from crmmigrate.errors import StoreError
from crmmigrate.store import open_store, tables
from crmmigrate.store.engine import create_engine, normalise_url
from crmmigrate.store.upgrades import _set_aside

#: Schema version 1's cross-reference and its before-images, keyed by row number.
V1 = sa.MetaData()
_MYSQL = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
sa.Table(
    "customer_sources",
    V1,
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("source_row", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("source_key", sa.Text),
    sa.Column("customer_id", sa.String(64), nullable=False, index=True),
    sa.Column("match_score", sa.Double),
    sa.Column("last_run_id", sa.String(64), index=True),
    **_MYSQL,
)
sa.Table(
    "source_history",
    V1,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("source_row", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("prior_run_id", sa.String(64), index=True),
    sa.Column("before_image", sa.Text),
    **_MYSQL,
)
#: The tables version 2 did not change, as version 1 had them.
UNCHANGED = [t for t in tables.metadata.sorted_tables if t.name not in V1.tables]

LONG_KEY = "L" * 300


def _image(key: str, customer_id: str, run_id: str) -> str:
    return json.dumps(
        {"source_key": key, "customer_id": customer_id, "match_score": 0.9, "last_run_id": run_id}
    )


#: Night 1 loaded W-1..W-4 and two rows of a source without keys. Night 2 (version 1's bug) put
#: W-9 at row 1 over W-1, moved W-3 to another customer, brought W-2 again at row 5, and a long key.
SOURCES = [
    ("inbound", 1, "W-9", "C9", 0.9, "night-2"),
    ("inbound", 2, "W-2", "C2", 0.9, "night-1"),
    ("inbound", 3, "W-3", "C4", 0.9, "night-2"),
    ("inbound", 4, "W-4", "C4", 0.9, "night-1"),
    ("inbound", 5, "W-2", "C2", 0.9, "night-2"),
    ("inbound", 6, LONG_KEY, "C6", 0.9, "night-2"),
    ("erp", 1, None, "C1", 1.0, "night-1"),
    ("erp", 2, None, "C2", 1.0, "night-1"),
]
HISTORY = [
    ("night-2", "inbound", 1, "night-1", _image("W-1", "C1", "night-1")),
    ("night-2", "inbound", 3, "night-1", _image("W-3", "C3", "night-1")),
]
CUSTOMERS = {
    "C1": "night-1",
    "C2": "night-1",
    "C3": "night-1",
    "C4": "night-1",
    "C6": "night-2",
    "C9": "night-2",
}


def _version_1_store(url: str) -> None:
    """A store as crmmigrate wrote it before schema version 2, with its rows."""
    engine = create_engine(normalise_url(url))
    V1.create_all(engine)
    tables.metadata.create_all(engine, tables=UNCHANGED)
    with engine.begin() as conn:
        conn.execute(tables.meta.insert().values(key="schema_version", value="1"))
        conn.execute(
            tables.load_runs.insert(),
            [
                {"run_id": run, "started": datetime(2026, 11, day), "status": "succeeded", "forced": False}
                for day, run in ((20, "night-1"), (21, "night-2"))
            ],
        )
        conn.execute(
            tables.customers.insert(),
            [{"customer_id": c, "last_name": f"Name {c}", "last_run_id": r} for c, r in CUSTOMERS.items()],
        )
        columns = ["source", "source_row", "source_key", "customer_id", "match_score", "last_run_id"]
        conn.execute(
            V1.tables["customer_sources"].insert(), [dict(zip(columns, r, strict=True)) for r in SOURCES]
        )
        columns = ["run_id", "source", "source_row", "prior_run_id", "before_image"]
        conn.execute(
            V1.tables["source_history"].insert(), [dict(zip(columns, r, strict=True)) for r in HISTORY]
        )
    engine.dispose()


def _rows(url: str, query: sa.Select) -> list[tuple]:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    engine.dispose()
    return rows


def _leftovers(url: str) -> list[str]:
    """Tables an upgrade set aside and did not drop."""
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
    engine.dispose()
    return [n for n in names if n.endswith("_v1")]


def _xref(store) -> list[tuple]:
    xref = store.read_xref().sort_values(["source", "source_row"])
    columns = ["source", "source_row", "source_key", "customer_id", "source_id"]
    return [tuple(r) for r in xref[columns].astype(object).itertuples(index=False)]


def test_a_version_1_store_is_upgraded_with_every_row_and_its_identity(store_url: str) -> None:
    _version_1_store(store_url)
    with open_store(store_url) as store:
        xref = _xref(store)
    digest = "sha256:" + hashlib.sha256(LONG_KEY.encode()).hexdigest()
    assert xref == [
        ("erp", 1, None, "C1", "#1"),
        ("erp", 2, None, "C2", "#2"),
        ("inbound", 1, "W-9", "C9", "W-9"),
        ("inbound", 2, "W-2", "C2", "#2"),  # W-2 again at row 5 in a later run: that one keeps the key
        ("inbound", 3, "W-3", "C4", "W-3"),
        ("inbound", 4, "W-4", "C4", "W-4"),
        ("inbound", 5, "W-2", "C2", "W-2"),
        ("inbound", 6, LONG_KEY, "C6", digest),
    ]
    h = tables.source_history
    history = _rows(store_url, sa.select(h.c.source_id, h.c.before_image).order_by(h.c.source_id))
    assert [(i, json.loads(image)["source_row"]) for i, image in history] == [("W-1", 1), ("W-3", 3)]
    assert _leftovers(store_url) == []
    assert _rows(store_url, sa.select(tables.meta.c.value)) == [(str(tables.SCHEMA_VERSION),)]


def test_rolling_back_a_version_1_run_brings_back_the_link_it_overwrote(store_url: str) -> None:
    _version_1_store(store_url)
    with open_store(store_url) as store:
        store.rollback("night-2")
        assert _xref(store) == [
            ("erp", 1, None, "C1", "#1"),
            ("erp", 2, None, "C2", "#2"),
            ("inbound", 1, "W-1", "C1", "W-1"),
            ("inbound", 2, "W-2", "C2", "#2"),
            ("inbound", 3, "W-3", "C3", "W-3"),
            ("inbound", 4, "W-4", "C4", "W-4"),
        ]
        assert sorted(store.read_customers()["customer_id"]) == ["C1", "C2", "C3", "C4"]


def test_an_upgrade_cut_short_midway_carries_on_when_the_store_is_opened_again(store_url: str) -> None:
    """As MariaDB leaves it when the process dies mid-copy: its DDL commits at once."""
    _version_1_store(store_url)
    engine = create_engine(normalise_url(store_url))
    with engine.begin() as conn:
        _set_aside(conn, tables.customer_sources, "customer_sources_v1")
        tables.customer_sources.create(conn)
        partial = {"source": "erp", "source_id": "#1", "source_row": 1, "customer_id": "C1"}
        conn.execute(tables.customer_sources.insert().values(**partial))
    engine.dispose()
    with open_store(store_url) as store:
        xref = store.read_xref()
    assert len(xref) == len(SOURCES) and not xref.duplicated(["source", "source_id"]).any()
    assert xref.set_index(["source", "source_row"]).loc[("erp", 1), "match_score"] == 1.0
    assert _leftovers(store_url) == []


def test_an_upgraded_store_takes_the_next_nightly_load(store_url: str) -> None:
    _version_1_store(store_url)
    golden = pd.DataFrame({"customer_id": ["C1"], "last_name": ["Name C1"], "member_count": [2]})
    night_3 = pd.DataFrame(
        {
            "source": ["inbound"],
            "source_row": [1],
            "source_key": ["W-1"],
            "customer_id": ["C1"],
            "match_score": [1.0],
        }
    )
    with open_store(store_url) as store:
        result = store.load(golden, night_3, run_id="night-3")
        assert result.plan.counts("customer_sources").inserts == 1
        assert len(store.read_xref()) == len(SOURCES) + 1


def test_a_version_2_store_retires_the_customers_its_merges_left_without_source_rows(
    store_url: str, golden_set, merged
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
        store.load(*merged(golden, xref, absorbed="C00001", survivor="C00000"), run_id="run-2")
    # As version 2 left it: the absorbed customer still there, no aliases, no lineage history.
    engine = create_engine(normalise_url(store_url))
    with engine.begin() as conn:
        h = tables.customer_history
        absorbed = h.c.customer_id == "C00001"
        image = json.loads(conn.execute(sa.select(h.c.before_image).where(absorbed)).scalar())
        conn.execute(h.delete().where(absorbed))
        conn.execute(tables.customers.insert().values(customer_id="C00001", **image))
        for table in (tables.customer_aliases, tables.lineage_history):
            table.drop(conn)
        conn.execute(tables.meta.update().values(value="2"))
    engine.dispose()

    with open_store(store_url) as store:
        assert "C00001" not in set(store.read_customers()["customer_id"])
        assert store.read_aliases().to_dict("records") == [{"customer_id": "C00001", "survivor_id": "C00000"}]
        assert store.integrity() == (0, 0)
        store.rollback("run-2")  # the run that moved its rows: undoing it brings the customer back
        assert "C00001" in set(store.read_customers()["customer_id"]) and store.integrity() == (0, 0)
        assert len(store.read_aliases()) == 0


def _version_3_customers() -> sa.Table:
    """`customers` as schema version 3 had it: every field text, custom fields as JSON text."""

    def column(c: sa.Column) -> sa.Column:
        typed = sa.Text() if c.name == "extra" else sa.String(64) if c.name in tables.COLUMN_TYPES else c.type
        return sa.Column(
            c.name, typed, primary_key=c.primary_key, index=c.name in ("household_id", tables.RUN_COLUMN)
        )

    return sa.Table("customers", sa.MetaData(), *(column(c) for c in tables.customers.columns), **_MYSQL)


def _as_version_3(url: str, values: dict[str, dict[str, str | None]]) -> None:
    """Turn a store back into what version 3 wrote: text dates (here `values`, by customer), naive
    ledger times on PostgreSQL, and schema version 3."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(tables.customers))]
        for row in rows:
            row["extra"] = (
                json.dumps(row["extra"], separators=(",", ":"))
                if isinstance(row["extra"], dict)
                else row["extra"]
            )
            row.update(
                {
                    k: (None if v is None else str(v))
                    for k, v in row.items()
                    if k in ("date_of_birth", "created_at", "updated_at")
                }
            )
            row.update(values.get(row["customer_id"], {}))
        tables.customers.drop(conn)
        old = _version_3_customers()
        old.create(conn)
        conn.execute(old.insert(), rows)
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "ALTER TABLE load_runs ALTER COLUMN started TYPE timestamp "
                    "USING started AT TIME ZONE 'UTC'"
                )
            )
        conn.execute(tables.meta.update().where(tables.meta.c.key == "schema_version").values(value="3"))
    engine.dispose()


def test_a_version_3_store_gets_typed_dates_with_the_same_values(store_url: str, golden_set) -> None:
    golden, xref, _ = golden_set()
    golden = golden.assign(created_at="2015-05-15", updated_at="2019-08-02T18:45:00")
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
        store.load(golden.assign(updated_at="2020-01-01T10:00:00"), xref, run_id="run-2")
    # version 3 kept whatever text a load of a hand-made file brought: other ISO spellings too
    _as_version_3(
        store_url,
        {
            "C00001": {"created_at": "2015-05-15 07:30:00", "updated_at": "2020-01-01T12:00:00+02:00"},
            "C00002": {"date_of_birth": "1001-07-04", "created_at": ""},
        },
    )
    with open_store(store_url) as store:
        back = store.read_customers().set_index("customer_id")
        assert back.loc["C00001", "created_at"] == "2015-05-15T07:30:00"
        assert back.loc["C00001", "updated_at"] == "2020-01-01T10:00:00"  # the same moment, in UTC
        assert back.loc["C00002", "date_of_birth"] == "1001-07-04"
        assert back.loc["C00002", "created_at"] is None
        assert back.loc["C00000", "date_of_birth"] == "1980-02-29"
        assert back.loc["C00003", "updated_at"] == "2020-01-01T10:00:00"
        assert back["loyalty_no"].dropna().tolist() == golden["loyalty_no"].dropna().tolist()
        store.rollback("run-2")  # before-images written before the upgrade are put back
        back = store.read_customers().set_index("customer_id")
        assert back.loc["C00003", "updated_at"] == "2019-08-02T18:45:00"
        assert store.runs()["status"].tolist() == ["succeeded", "rolled_back"]
    engine = create_engine(normalise_url(store_url))
    with engine.connect() as conn:
        declared = {c["name"]: c["type"] for c in sa.inspect(conn).get_columns("customers")}
        assert isinstance(declared["date_of_birth"], sa.Date)
        if conn.dialect.name == "postgresql":
            assert declared["updated_at"].timezone
            started = {c["name"]: c["type"] for c in sa.inspect(conn).get_columns("load_runs")}["started"]
            assert started.timezone
        version = conn.execute(sa.select(tables.meta.c.value).where(tables.meta.c.key == "schema_version"))
        assert version.scalar() == str(tables.SCHEMA_VERSION)
    engine.dispose()


def test_an_upgrade_that_meets_a_value_that_is_not_a_date_changes_nothing(store_url: str, golden_set) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
    _as_version_3(
        store_url, {"C00004": {"date_of_birth": "unknown"}, "C00001": {"created_at": "2015-05-15 07:30"}}
    )
    with pytest.raises(
        StoreError, match=r"1 values of date_of_birth are not a date as YYYY-MM-DD \(customer_id C00004\)"
    ):
        open_store(store_url)
    engine = create_engine(normalise_url(store_url))
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT customer_id, created_at FROM customers")).all())
        assert rows["C00001"] == "2015-05-15 07:30"  # not rewritten either
        version = conn.execute(sa.select(tables.meta.c.value).where(tables.meta.c.key == "schema_version"))
        assert version.scalar() == "3"
    engine.dispose()


def _as_version_4(url: str) -> None:
    """Turn a store back into what version 4 wrote: its lineage a table with rowids on SQLite."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("ALTER TABLE golden_lineage RENAME TO lineage_v5"))
            columns = (c.copy() for c in tables.golden_lineage.columns)
            old = sa.Table("golden_lineage", sa.MetaData(), *columns)
            old.create(conn)
            conn.execute(sa.text("INSERT INTO golden_lineage SELECT * FROM lineage_v5"))
            conn.execute(sa.text("DROP TABLE lineage_v5"))
        conn.execute(tables.meta.update().where(tables.meta.c.key == "schema_version").values(value="4"))
    engine.dispose()


def _declared_lineage(url: str) -> str:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'golden_lineage'")).scalar()
    engine.dispose()
    return str(sql)


def test_a_version_4_store_keeps_its_lineage_in_a_table_without_rowids_on_sqlite(
    store_url: str, golden_set
) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        before = store.read_lineage().sort_values(["customer_id", "field"], ignore_index=True)
    _as_version_4(store_url)
    sqlite = store_url.startswith("sqlite")
    if sqlite:
        assert "WITHOUT ROWID" not in _declared_lineage(store_url)
    changed = lineage.assign(source_row=lineage["source_row"] + 100)
    with open_store(store_url) as store:
        after = store.read_lineage().sort_values(["customer_id", "field"], ignore_index=True)
        pd.testing.assert_frame_equal(after, before)
        store.load(golden, xref, changed, run_id="run-2")  # the next nightly load, then its undo
        assert sorted(store.read_lineage()["source_row"]) == sorted(changed["source_row"])
        store.rollback("run-2")
        back = store.read_lineage().sort_values(["customer_id", "field"], ignore_index=True)
        pd.testing.assert_frame_equal(back, before)
    if sqlite:
        assert "WITHOUT ROWID" in _declared_lineage(store_url)
