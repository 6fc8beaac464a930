"""Rows handed to the database driver: plain Python values, None for every kind of missing value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from crmmigrate.errors import StoreError
from crmmigrate.store import golden_checksum, open_store, write
from crmmigrate.store.write import _Rows


def test_rows_come_a_batch_at_a_time_with_none_for_every_missing_value() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["C1", "C1", None, "C2", "C2"]),
            "field": pd.Series(["email", np.nan, "city", "", None], dtype=object),
            "text": pd.Series(["a", None, "c", "d", "e"], dtype="string[pyarrow]"),
            "source_row": np.array([1, 2, 3, 4, 5], dtype=np.int64),
            "score": [0.5, np.nan, 1.0, 1.0, 1.0],
            "count": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        }
    )
    rows = _Rows(frame, ["customer_id", "field", "text", "source_row", "score", "count"])
    batches = list(rows.batches(size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [row for batch in batches for row in batch] == [
        ("C1", "email", "a", 1, 0.5, 1),
        ("C1", None, None, 2, None, None),
        (None, "city", "c", 3, 1.0, 3),
        ("C2", "", "d", 4, 1.0, 4),
        ("C2", None, "e", 5, 1.0, 5),
    ]
    assert all(type(row[3]) is int for batch in batches for row in batch)  # not numpy's int64


def test_rows_held_in_arrow_come_as_the_same_python_values_a_batch_at_a_time() -> None:
    from crmmigrate.store.frames import arrow_column

    frame = pd.DataFrame(
        {
            "customer_id": arrow_column(pa.array(["C1", None, "C3"])),
            "member_count": arrow_column(pa.array([2, None, 1], type=pa.int64())),
            "match_score": arrow_column(pa.array([0.5, None, 1.0])),
        }
    )
    rows = _Rows(frame, ["customer_id", "member_count", "match_score"])
    expected = [("C1", 2, 0.5), (None, None, None), ("C3", 1, 1.0)]
    assert [row for batch in rows.batches(size=2) for row in batch] == expected
    assert [tuple(row) for row in rows.block(1, 5).tolist()] == expected[1:]
    assert [type(v) for v in rows.batch(0, 3)[0]] == [str, int, float]  # not numpy's scalars


def _indexes(store_url: str) -> set[str]:
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        listed = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        names = {row[0] for row in listed}
    engine.dispose()
    return names


def test_a_first_load_into_sqlite_builds_the_indexes_after_the_rows_and_a_failure_keeps_them(
    sqlite_url: str, golden_set, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden, xref, lineage = golden_set()
    monkeypatch.setattr(write, "DEFER_INDEXES_ROWS", 2)
    with open_store(sqlite_url) as store:
        declared = _indexes(sqlite_url)
        statements: list[str] = []
        sa.event.listen(store._engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        broken = pd.concat([lineage, lineage.iloc[:1].assign(field=None)], ignore_index=True)
        with pytest.raises(StoreError, match="rolled back"):  # the last lineage row breaks a NOT NULL
            store.load(golden, xref, broken, run_id="run-1")
        assert any("DROP INDEX" in s for s in statements)
        assert _indexes(sqlite_url) == declared and store.count_customers() == 0
        store.load(golden, xref, lineage, run_id="run-2")
        assert _indexes(sqlite_url) == declared
        assert store.checksum() == golden_checksum(golden) and len(store.read_lineage()) == len(lineage)
        statements.clear()
        store.load(golden.assign(city="Bonn"), xref, lineage, run_id="run-3")
        assert not any("DROP INDEX ix_customers_" in s for s in statements)  # a table holding rows


def _stored(store_url: str, table: str) -> list[tuple]:
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_sqlite_takes_several_rows_a_statement_and_stores_each_row_as_one_at_a_time_would(
    sqlite_url: str, tmp_path, golden_set, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden, xref, lineage = golden_set(n=11)
    with open_store(sqlite_url) as store:  # the default: many rows a statement
        statements: list[str] = []
        sa.event.listen(store._engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        store.load(golden, xref, lineage, run_id="run-1")
        assert any(s.count("), (") >= 10 for s in statements if "INSERT INTO golden_lineage" in s)
    one_at_a_time = f"sqlite:///{tmp_path / 'one.db'}"
    monkeypatch.setattr(write, "SQLITE_ROWS_PER_STATEMENT", 1)
    with open_store(one_at_a_time) as store:
        store.load(golden, xref, lineage, run_id="run-1")
    monkeypatch.setattr(write, "SQLITE_ROWS_PER_STATEMENT", 4)  # batches of 7 rows: 4 and 3, then 4
    monkeypatch.setattr(write, "BATCH", 7)
    four_at_a_time = f"sqlite:///{tmp_path / 'four.db'}"
    with open_store(four_at_a_time) as store:
        store.load(golden, xref, lineage, run_id="run-1")
    for table in ("customers", "customer_sources", "golden_lineage"):
        rows = _stored(one_at_a_time, table)
        assert len(rows) == {"customers": 11, "customer_sources": len(xref), "golden_lineage": 11}[table]
        assert _stored(sqlite_url, table) == rows == _stored(four_at_a_time, table), table
