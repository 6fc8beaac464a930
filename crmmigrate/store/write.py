"""Writing a planned load: bulk inserts (COPY on PostgreSQL, multi-row INSERTs on SQLite,
executemany batches elsewhere), updates by key, and the before-images a rollback needs. Everything
runs on the caller's connection, inside the caller's single transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from ..progress import Steps, tell
from . import tables
from .frames import arrow_of
from .plan import TableDiff, before_images

BATCH = 10_000
#: Inserting at least this many rows into an empty SQLite table, its secondary indexes are dropped
#: first and built again after the rows, in the same transaction (so a failure restores them):
#: building an index from all rows at once costs a fraction of keeping it up to date row by row
#: (a first load of a million rows: customers and source rows 12.2 -> 9.2 CPU seconds).
DEFER_INDEXES_ROWS = 50_000
#: Rows per INSERT statement on SQLite (fewer when the columns would pass its limit on variables).
#: sqlite3's executemany costs about as much per statement as SQLite costs per row, so one
#: statement of many rows halves a big insert (a million customers' 8.9M lineage rows: 10.9 ->
#: 5.1 CPU s of inserts at 50 rows a statement).
SQLITE_ROWS_PER_STATEMENT = 100
#: SQLite's limit on variables in one statement before 3.32 (newer ones allow 32,766); used when
#: the connection cannot say (Python before 3.11).
SQLITE_OLD_VARIABLE_LIMIT = 999


class _Rows:
    """A frame's rows as the driver takes them (tuples; None for every missing value, as pandas 3
    text columns hold NaN), made a batch at a time: each column is made ready once (missing
    values found in one pass, a categorical column kept as codes), so the rows of a load exist
    as Python objects only a batch at a time (9M lineage rows at a million customers)."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str]) -> None:
        self._columns = [_values(frame[c]) for c in columns]
        self.count = len(frame)
        self.width = len(columns)

    def batch(self, start: int, stop: int) -> list[tuple]:
        return list(zip(*(column(start, stop).tolist() for column in self._columns), strict=True))

    def block(self, start: int, stop: int) -> np.ndarray:
        """Rows `start:stop` as a 2-D object array of the same Python values as `batch` gives."""
        out = np.empty((len(range(start, min(stop, self.count))), self.width), dtype=object)
        for j, column in enumerate(self._columns):
            out[:, j] = column(start, stop)  # numpy's numbers become Python int, float, bool
        return out

    def batches(self, size: int = BATCH) -> Iterator[list[tuple]]:
        for start in range(0, self.count, size):
            yield self.batch(start, start + size)


def _values(series: pd.Series) -> Callable[[int, int], np.ndarray]:
    """The values of `series[start:stop]`: numbers in a numpy array, or Python objects (None for
    missing ones) in an object array."""
    if isinstance(series.dtype, pd.ArrowDtype):  # rows held in Arrow (`frames.customer_rows`)
        array = arrow_of(series)
        return lambda start, stop: _python(array.slice(start, max(0, stop - start)))
    if isinstance(series.dtype, pd.CategoricalDtype):
        texts = np.append(series.cat.categories.to_numpy(dtype=object), None)  # code -1: missing
        codes = series.cat.codes.to_numpy()
        return lambda start, stop: texts[codes[start:stop]]
    plain = isinstance(series.dtype, np.dtype)  # numbers in a numpy array; nullable Int64 not
    if plain and (series.dtype.kind in "iub" or (series.dtype.kind == "f" and not series.hasnans)):
        numbers = series.to_numpy()
        return lambda start, stop: numbers[start:stop]
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return lambda start, stop: values[start:stop]


def _python(values: pa.Array) -> np.ndarray:
    """Arrow values as Python objects (None for null) in an object array: text made by Arrow itself,
    faster than pandas' `to_numpy`; numbers through Python's own (a null int is no NaN float)."""
    if pa.types.is_string(values.type):
        return values.to_numpy(zero_copy_only=False)
    return np.array(values.to_pylist(), dtype=object)


def _marker(conn: sa.Connection) -> str:
    return "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _table(conn: sa.Connection, table: sa.Table) -> str:
    """The table's quoted name, with its schema when the store has one."""
    return conn.dialect.identifier_preparer.format_table(table)


def bulk_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert every row of `frame` (columns named as in `table`) as fast as the driver allows."""
    if not len(frame):
        return
    columns = [c.name for c in table.columns]
    rows = _Rows(frame, columns)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy(conn, table, columns, (row for batch in rows.batches() for row in batch))
        return
    cols = ", ".join(_quote(conn, c) for c in columns)
    marks = "(" + ", ".join([_marker(conn)] * len(columns)) + ")"
    sql = f"INSERT INTO {_table(conn, table)} ({cols}) VALUES "
    with _indexes_built_after(conn, table, len(frame)):
        if conn.dialect.name == "sqlite":
            _sqlite_insert(conn, sql, marks, rows)
            return
        for batch in rows.batches():
            conn.exec_driver_sql(sql + marks, batch)


def _sqlite_insert(conn: sa.Connection, sql: str, marks: str, rows: _Rows) -> None:
    """`rows` inserted by `sql` (INSERT ... VALUES) with several rows of `marks` per statement:
    see `SQLITE_ROWS_PER_STATEMENT`."""
    limit = getattr(conn.connection.driver_connection, "getlimit", None)
    variables = limit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if limit else SQLITE_OLD_VARIABLE_LIMIT
    per = max(1, min(SQLITE_ROWS_PER_STATEMENT, variables // rows.width))
    many = sql + ", ".join([marks] * per)
    for start in range(0, rows.count, BATCH):
        block = rows.block(start, start + BATCH)
        whole = len(block) - len(block) % per  # rows that fill whole statements
        if whole:
            conn.exec_driver_sql(many, list(map(tuple, block[:whole].reshape(-1, per * rows.width).tolist())))
        if whole < len(block):  # the rest in one statement of its own
            rest = block[whole:]
            conn.exec_driver_sql(sql + ", ".join([marks] * len(rest)), tuple(rest.ravel().tolist()))


@contextmanager
def _indexes_built_after(conn: sa.Connection, table: sa.Table, rows: int) -> Iterator[None]:
    """See `DEFER_INDEXES_ROWS`. Only on SQLite, whose DDL is part of the transaction (MariaDB
    commits at each DDL statement), and only into an empty table (a first load): a nightly load
    of a few rows into a big table keeps its indexes."""
    deferred = conn.dialect.name == "sqlite" and rows >= DEFER_INDEXES_ROWS and bool(table.indexes)
    if deferred:
        deferred = conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None
    if deferred:
        for index in table.indexes:
            index.drop(conn)
    yield
    if deferred:
        for index in table.indexes:
            index.create(conn)


def _copy(conn: sa.Connection, table: sa.Table, columns: list[str], rows: Iterable[tuple]) -> None:
    raw = conn.connection.driver_connection
    cols = ", ".join(_quote(conn, c) for c in columns)
    with raw.cursor() as cursor, cursor.copy(f"COPY {_table(conn, table)} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def update_rows(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """UPDATE ... WHERE key = ... for every row of `frame`, in executemany batches."""
    if not len(frame):
        return
    key = [c.name for c in table.primary_key.columns]
    values = [c.name for c in table.columns if c.name not in key]
    mark = _marker(conn)
    sets = ", ".join(f"{_quote(conn, c)} = {mark}" for c in values)
    sql = f"UPDATE {_table(conn, table)} SET {sets} WHERE {_where(conn, key)}"
    for rows in _Rows(frame, [*values, *key]).batches():
        conn.exec_driver_sql(sql, rows)


def delete_rows(conn: sa.Connection, table: sa.Table, key: Sequence[str], frame: pd.DataFrame) -> None:
    """DELETE ... WHERE key = ... for every row of `frame`."""
    if not len(frame):
        return
    sql = f"DELETE FROM {_table(conn, table)} WHERE {_where(conn, key)}"
    for rows in _Rows(frame, key).batches():
        conn.exec_driver_sql(sql, rows)


def _where(conn: sa.Connection, key: Sequence[str]) -> str:
    return " AND ".join(f"{_quote(conn, k)} = {_marker(conn)}" for k in key)


def write_history(conn: sa.Connection, diff: TableDiff, run_id: str) -> None:
    """Before-images of the updated and deleted rows, and the lineage a run replaces, for rollback
    (inserted rows are found by RUN_COLUMN)."""
    t = tables.of(conn)
    history = {t.customers: t.customer_history, t.customer_sources: t.source_history}.get(diff.table)
    if diff.images is not None and diff.table is t.golden_lineage:
        bulk_insert(conn, t.lineage_history, diff.images.assign(run_id=run_id))
    replaced = (
        diff.before if diff.deletes is None else pd.concat([diff.before, diff.deletes], ignore_index=True)
    )
    if history is None or not len(replaced):
        return
    frame = replaced[list(diff.key)].assign(
        run_id=run_id,
        prior_run_id=replaced.get(tables.RUN_COLUMN),
        before_image=before_images(replaced, diff.key),
    )
    bulk_insert(conn, history, frame)


def _stamped(diff: TableDiff, frame: pd.DataFrame, run_id: str) -> pd.DataFrame:
    return frame.assign(**{tables.RUN_COLUMN: run_id}) if tables.RUN_COLUMN in diff.table.c else frame


def apply(conn: sa.Connection, diffs: list[TableDiff], run_id: str, steps: Steps | None = None) -> None:
    """Write the planned changes; `steps` hears which table is being written, and the rows
    written after each table's inserts, updates and deletes."""
    total = sum(d.counts().inserts + d.counts().updates + d.counts().deletes for d in diffs)
    done = 0
    for diff in diffs:
        tell(steps, done, total, diff.table.name)
        bulk_insert(conn, diff.table, _stamped(diff, diff.inserts, run_id))
        done += len(diff.inserts)
        tell(steps, done, total, diff.table.name)
        update_rows(conn, diff.table, _stamped(diff, diff.updates, run_id))
        done += len(diff.updates)
        tell(steps, done, total, diff.table.name)
        write_history(conn, diff, run_id)
        if diff.deletes is not None:
            delete_rows(conn, diff.table, diff.key, diff.deletes)
            done += len(diff.deletes)
            tell(steps, done, total, diff.table.name)
