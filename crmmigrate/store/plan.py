"""What a load would do: the frames checked, compared with the store's rows, and counted.

Diffing in pandas (read the existing rows for the keys concerned, compare normalised values)
works the same on every database and lets a dry run report exactly what a load would write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ..errors import StoreError
from . import tables
from .frames import (
    arrow_column,
    arrow_of,
    checked_customer_texts,
    customer_rows,
    equal_rows,
    lineage_frame,
    xref_frame,
)
from .values import EXPECTED, KINDS, stored_text, to_text

READ_BATCH = 900  # keys per IN (...) query; below SQLite's oldest variable limit


@dataclass(frozen=True)
class TableCounts:
    inserts: int = 0
    updates: int = 0
    unchanged: int = 0
    deletes: int = 0  # customers: retired by a merge; lineage: values now empty or customers retired

    @property
    def total(self) -> int:
        """The rows of the load: inserted, updated or unchanged (deletes are stored rows)."""
        return self.inserts + self.updates + self.unchanged


@dataclass(frozen=True)
class LoadPlan:
    """Inserts, updates and unchanged rows per table: what a load did, or would do."""

    tables: Mapping[str, TableCounts] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return sum(c.inserts + c.updates + c.deletes for c in self.tables.values())

    @property
    def retired(self) -> int:
        """Stored customers merged into another one by this load."""
        return self.counts("customers").deletes

    def counts(self, table: str = "customers") -> TableCounts:
        return self.tables.get(table, TableCounts())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            name: {"inserts": c.inserts, "updates": c.updates, "unchanged": c.unchanged, "deletes": c.deletes}
            for name, c in self.tables.items()
        }


@dataclass(frozen=True)
class Prepared:
    """The run's rows in the store's shape, checked against the tables' keys and limits."""

    customers: pd.DataFrame
    xref: pd.DataFrame
    lineage: pd.DataFrame | None


@dataclass(frozen=True)
class TableDiff:
    table: sa.Table
    key: tuple[str, ...]
    inserts: pd.DataFrame
    updates: pd.DataFrame  # the new values
    before: pd.DataFrame  # the stored values of the updated rows, same order
    unchanged: int
    deletes: pd.DataFrame | None = None  # stored rows the load removes (whole rows, as read)
    images: pd.DataFrame | None = None  # lineage: customer_id, before_image of every customer touched

    def counts(self) -> TableCounts:
        deletes = 0 if self.deletes is None else len(self.deletes)
        return TableCounts(len(self.inserts), len(self.updates), self.unchanged, deletes)


def prepare(golden: pd.DataFrame, xref: pd.DataFrame | None, lineage: pd.DataFrame | None) -> Prepared:
    _require(golden, ("customer_id",), "the golden set")
    texts, unreadable = checked_customer_texts(golden)
    customers = customer_rows(golden, xref, texts)
    _check(customers, tables.customers, "the golden set", texts=texts, unreadable=unreadable)
    xrows = _empty(tables.customer_sources)
    if xref is not None and len(xref.columns):
        _require(xref, ("source", "source_row", "customer_id"), "the cross-reference")
        xrows = _one_row_per_identity(xref_frame(xref))
        _check(xrows, tables.customer_sources, "the cross-reference", unique=True)
    lrows = None
    if lineage is not None:
        _require(lineage, ("customer_id", "field", "source", "source_row"), "the field lineage")
        lrows = lineage_frame(lineage)
        _check(lrows, tables.golden_lineage, "the field lineage", check_nulls=False)
    return Prepared(customers, xrows, lrows)


def _empty(table: sa.Table) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in tables.data_columns(table)})


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StoreError(
            f"{what} has no column {', '.join(map(repr, missing))}",
            hint="load the golden.parquet / xref.csv written by `crmmigrate dedupe`",
        )


def _one_row_per_identity(rows: pd.DataFrame) -> pd.DataFrame:
    """The cross-reference with one row per (source, source_id), as the store keys it.

    Two rows of one file with the same legacy key are one identity. When they belong to one
    customer (a record exported twice) the last is kept, as `dedupe.ids` keeps the last link of a
    repeated identity; the customer keeps its link. When they belong to different customers,
    keeping either would silently drop the other's link, so the load is refused.
    """
    key = ["source", "source_id"]
    repeated = rows.duplicated(subset=key, keep=False).to_numpy()
    if not repeated.any():
        return rows
    shared = rows.loc[repeated]
    customers = shared.groupby(key, dropna=False, sort=False)["customer_id"].nunique(dropna=False)
    conflicts = customers[customers > 1]
    if len(conflicts):
        source, source_id = conflicts.index[0]
        group = shared[(shared["source"] == source) & (shared["source_id"] == source_id)]
        legacy = group["source_key"].dropna()
        named = f"the legacy key {legacy.iloc[0]!r}" if len(legacy) else f"the identity {source_id!r}"
        more = f" (and {len(conflicts) - 1} more keys like it)" if len(conflicts) > 1 else ""
        raise StoreError(
            f"the cross-reference links rows {', '.join(map(str, group['source_row']))} of source "
            f"{source!r}, which share {named}, to {int(conflicts.iloc[0])} different customers{more}; "
            "the store keeps one link per legacy key, so one of them would be lost",
            hint="give each record of the source its own key (or remove the duplicates) and run again",
        )
    return rows.loc[~rows.duplicated(subset=key, keep="last").to_numpy()].reset_index(drop=True)


def _check(
    rows: pd.DataFrame,
    table: sa.Table,
    what: str,
    *,
    check_nulls: bool = True,
    unique: bool = False,
    texts: Mapping[str, pa.Array] | None = None,
    unreadable: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Fail before writing anything on a missing required value, a duplicate key (unless the
    caller made the keys `unique`), a value too long for its column or a typed value that is not
    readable as its kind. `texts` (the rows' text columns in Arrow) and `unreadable` (which typed
    values are not readable), when the caller has them, spare converting the rows again.

    The database would refuse these too, but only midway through the load and with a message
    naming no row; SQLite would not refuse a long value at all.
    """
    key = [c.name for c in table.primary_key.columns]
    if check_nulls:
        required = [c.name for c in table.columns if not c.nullable and c.name in rows.columns]
        missing = rows[required].isna().sum()
        if missing.any():
            named = ", ".join(f"{int(n)} without {column}" for column, n in missing.items() if n)
            raise StoreError(
                f"{what} has rows missing a required value ({named})",
                hint="every golden record needs a customer_id, every cross-reference row its source, "
                "source_row and customer_id; run `crmmigrate dedupe` again",
            )
    dup = _duplicated(rows, key) if not unique else np.zeros(len(rows), dtype=bool)
    if dup.any():
        first = rows.loc[dup, key].iloc[0].tolist()
        raise StoreError(
            f"{what} has {int(dup.sum())} rows sharing a key ({', '.join(key)} = {first})",
            hint="keys must be unique in one load",
        )
    _check_typed(rows, key[0], what, unreadable or {})
    for column, limit in tables.text_limits(table).items():
        if column not in rows.columns:
            continue
        longest, has_nul = _text_facts(texts[column] if texts and column in texts else rows[column])
        if has_nul:
            raise StoreError(
                f"{what}: values of {column!r} hold a NUL character, which PostgreSQL cannot store",
                column=column,
                hint="remove control characters from the source values",
            )
        if longest <= limit:
            continue
        lengths = rows[column].dropna().astype(object).map(len)  # categorical lineage too
        too_long = lengths[lengths > limit]
        if len(too_long):
            where = rows.loc[too_long.index[0], key[0]]
            raise StoreError(
                f"{what}: {len(too_long)} values of {column!r} are longer than the store allows "
                f"({limit} characters), e.g. at {key[0]} {where!r} ({int(too_long.iloc[0])} characters)",
                column=column,
                hint="shorten or clean those values before loading",
            )


def _duplicated(rows: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Rows whose key another row has too (`duplicated(keep=False)`). Keys of categorical columns
    (the lineage's 9M rows at a million customers) are compared by their codes, in one integer."""
    columns = [rows[k] for k in key]
    coded = all(isinstance(c.dtype, pd.CategoricalDtype) for c in columns)
    if not coded or not len(rows) or np.prod([len(c.cat.categories) + 1.0 for c in columns]) >= 2**62:
        return rows.duplicated(subset=key, keep=False).to_numpy()
    combined = np.zeros(len(rows), dtype=np.int64)
    for column in columns:  # codes + 1: a missing value (-1) is a value of its own, as pandas has it
        combined = combined * (len(column.cat.categories) + 1) + (column.cat.codes.to_numpy() + 1)
    if (np.diff(combined) > 0).all():  # keys in order, as dedupe gives the lineage: all distinct
        return np.zeros(len(rows), dtype=bool)
    return pd.Series(combined).duplicated(keep=False).to_numpy()


def _check_typed(rows: pd.DataFrame, key: str, what: str, unreadable: Mapping[str, np.ndarray]) -> None:
    """Dates the store's DATE and timestamp columns cannot hold, named before anything is written
    (the value itself is not shown: a birth date is personal data)."""
    for column in (c for c in rows.columns if c in KINDS):
        bad = unreadable.get(column)
        if bad is None:
            bad = to_text(rows[column], KINDS[column])[1].to_numpy(dtype=bool)
        if bad.any():
            where = ", ".join(repr(k) for k in rows.loc[bad, key].head(3))
            raise StoreError(
                f"{what}: {int(bad.sum())} values of {column!r} are not {EXPECTED[KINDS[column]]}, "
                f"e.g. at {key} {where}",
                column=column,
                hint="standardise the file with `crmmigrate standardise`, or correct those values",
            )


def _text_facts(values: pd.Series | pa.Array) -> tuple[int, bool]:
    """Longest text of a str/None column (or Arrow text), and whether any holds NUL; in Arrow, as a
    Python loop would cost seconds per million values. A categorical column's facts are its used
    categories'."""
    if isinstance(values, pa.Array):
        text = values
    elif isinstance(values.dtype, pd.ArrowDtype):
        text = arrow_of(values)
    else:
        if isinstance(values.dtype, pd.CategoricalDtype):  # its used categories, found without a sort
            codes = values.cat.codes.to_numpy()
            used = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories)) > 0
            values = pd.Series(values.cat.categories[used], dtype=object)
        text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    longest = pc.max(pc.utf8_length(text)).as_py()
    has_nul = pc.any(pc.match_substring(text, "\x00")).as_py()
    return int(longest or 0), bool(has_nul)


def read_rows(
    conn: sa.Connection, table: sa.Table, column: str, values: pd.Series, columns: list[str] | None = None
) -> pd.DataFrame:
    """Stored rows whose `column` is one of `values` (their `columns`, by default all): batched IN
    lookups, or one scan when the lookups would touch a large part of the table anyway."""
    names = columns or [c.name for c in table.columns]  # RUN_COLUMN too: the before-images keep it
    stored = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    if stored == 0:  # (a first load: no Python value made of the keys)
        return _frame([], names)
    wanted = pd.unique(values.dropna().to_numpy(dtype=object))
    if not len(wanted):
        return _frame([], names)
    select = sa.select(*(table.c[n] for n in names))
    if stored <= 3 * len(wanted):
        frame = fetch_frame(conn, select, names)
        keep = frame[column].isin(wanted).to_numpy()  # a set would be copied into a list again
        return frame if keep.all() else frame[keep].reset_index(drop=True)
    query = select.where(table.c[column].in_(sa.bindparam("keys", expanding=True)))
    rows: list[tuple] = []
    for start in range(0, len(wanted), READ_BATCH):
        rows += _fetch(conn, query, {"keys": list(wanted[start : start + READ_BATCH])})
    return _frame(rows, names)


def read_rows_in_slices(
    conn: sa.Connection, table: sa.Table, column: str, values: pd.Series | None, columns: list[str], size: int
) -> Iterator[list[tuple]]:
    """The driver's rows (tuples of `columns`, values as the driver gives them) whose `column` is
    one of `values` (every row when `values` is None), a slice of about `size` rows at a time, for
    work that needs the rows once each and in no order (a checksum): the stored rows are never all
    Python values at once (a million customers' text is gigabytes so). Batched IN lookups, or one
    scan when the lookups would touch a large part of the table anyway."""
    select = sa.select(*(table.c[n] for n in columns))
    wanted = None if values is None else pd.unique(values.dropna().to_numpy(dtype=object))
    stored = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    if stored == 0 or (wanted is not None and not len(wanted)):
        return
    if wanted is None or stored <= 3 * len(wanted):
        keep, at = (None if wanted is None else set(wanted)), columns.index(column)
        # The driver's cursor, read a slice at a time (SQLite's reads rows as asked; psycopg's holds
        # the result in libpq's memory, not as Python values). No `stream_results`: SQLAlchemy
        # would buffer rows of the cursor ahead of it.
        result = conn.execute(select)
        try:
            while rows := result.cursor.fetchmany(size):
                rows = rows if keep is None else [row for row in rows if row[at] in keep]
                if rows:
                    yield rows
        finally:
            result.close()
        return
    query = select.where(table.c[column].in_(sa.bindparam("keys", expanding=True)))
    rows: list[tuple] = []
    for start in range(0, len(wanted), READ_BATCH):
        rows += _fetch(conn, query, {"keys": list(wanted[start : start + READ_BATCH])})
        if rows and (len(rows) >= size or start + READ_BATCH >= len(wanted)):
            yield rows
            rows = []


def fetch_frame(conn: sa.Connection, query: sa.Select, names: list[str]) -> pd.DataFrame:
    """The rows of `query` as object columns, the values exactly as the driver gives them."""
    return _frame(_fetch(conn, query), names)


def _fetch(conn: sa.Connection, query: sa.Select, params: dict | None = None) -> list[tuple]:
    """The driver's own rows (tuples): a million SQLAlchemy Row objects cost seconds. The store's
    columns are text and numbers, which SQLAlchemy hands over from the driver unchanged."""
    result = conn.execute(query, params or {})
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()


def _frame(rows: list[tuple] | list[sa.Row], names: list[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    tuples = rows if isinstance(rows[0], tuple) else [tuple(r) for r in rows]
    # typed columns (dates, timestamps, JSON) as the pipeline's text
    return stored_text(pd.DataFrame(tuples, columns=names, dtype=object))


def _keys(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Index:
    if len(key) == 1:
        return pd.Index(frame[key[0]].to_numpy(dtype=object))
    return pd.MultiIndex.from_arrays([frame[k].to_numpy(dtype=object) for k in key])


def diff(table: sa.Table, new: pd.DataFrame, existing: pd.DataFrame) -> TableDiff:
    """Split `new` into inserts, updates (with their before-images) and unchanged rows."""
    key = tuple(c.name for c in table.primary_key.columns)
    values = [c for c in tables.data_columns(table) if c not in key]
    if not len(existing):
        return TableDiff(table, key, new, new.iloc[0:0], existing.iloc[0:0], 0)
    position = _keys(existing, key).get_indexer(_keys(new, key))  # stored keys are unique (primary key)
    found = position >= 0
    before = existing.iloc[position[found]].reset_index(drop=True)  # values and, if stored, RUN_COLUMN
    same = equal_rows(new.loc[found].reset_index(drop=True), before, values)
    changed = np.zeros(len(new), dtype=bool)
    changed[np.flatnonzero(found)[~same]] = True
    return TableDiff(
        table,
        key,
        inserts=new.loc[~found].reset_index(drop=True),
        updates=new.loc[changed].reset_index(drop=True),
        before=before.loc[~same].reset_index(drop=True),
        unchanged=int(same.sum()),
    )


def plan_diffs(conn: sa.Connection, prepared: Prepared) -> list[TableDiff]:
    """Diff every table of the load against what the store holds now.

    A stored customer whose every source row now belongs to another customer (this run merged it
    into that one) is retired: its row is deleted, its id kept in `customer_aliases` pointing at
    the survivor. Lineage rows of fields that are now empty, or of retired customers, go too.
    Deleted rows and replaced lineage keep before-images, so a rollback restores them."""
    t = tables.of(conn)
    c = prepared.customers
    customers = diff(t.customers, c, read_rows(conn, t.customers, "customer_id", c["customer_id"]))
    x = prepared.xref
    existing_x = read_rows(conn, t.customer_sources, "source", x["source"])
    sources = diff(t.customer_sources, x, _numeric_keys(existing_x))
    aliases = retirements(conn, sources, c["customer_id"])
    retired = read_rows(conn, t.customers, "customer_id", aliases["customer_id"])
    customers = replace(customers, deletes=retired)
    existing_a = read_rows(conn, t.customer_aliases, "customer_id", aliases["customer_id"])
    # an id this load brings as a customer is live again: it is no longer another customer's alias
    revived = read_rows(conn, t.customer_aliases, "customer_id", c["customer_id"])
    alias_diff = replace(diff(t.customer_aliases, aliases, existing_a), deletes=revived)
    diffs = [customers, sources, alias_diff]
    lineage = lineage_diff(conn, prepared, set(aliases["customer_id"]), customers.inserts["customer_id"])
    return [*diffs, *([lineage] if lineage is not None else [])]


def retirements(conn: sa.Connection, sources: TableDiff, loaded: pd.Series) -> pd.DataFrame:
    """customer_id, survivor_id of the stored customers this load leaves without a source row:
    their links move to another customer (the survivor is the one most of them move to), none
    stays, and the load does not bring the customer itself."""
    moved = pd.DataFrame(
        {
            "customer_id": sources.before["customer_id"].to_numpy(dtype=object),
            "survivor_id": sources.updates["customer_id"].to_numpy(dtype=object),
        }
    )
    moved = moved[moved["customer_id"] != moved["survivor_id"]]
    if len(moved):  # (a first load moves nothing: the loaded ids are not searched)
        moved = moved[~moved["customer_id"].isin(loaded.to_numpy(dtype=object))]
    if not len(moved):
        return pd.DataFrame({"customer_id": pd.Series(dtype=object), "survivor_id": pd.Series(dtype=object)})
    links = read_rows(conn, tables.of(conn).customer_sources, "customer_id", moved["customer_id"])
    leaving = _keys(sources.updates, ("source", "source_id"))
    stays = ~_keys(links, ("source", "source_id")).isin(leaving)
    kept = set(links.loc[stays, "customer_id"])
    moved = moved[~moved["customer_id"].isin(kept)]
    votes = moved.groupby(["customer_id", "survivor_id"]).size().reset_index(name="n")
    votes = votes.sort_values(["customer_id", "n", "survivor_id"], ascending=[True, False, True])
    out = votes.drop_duplicates("customer_id")[["customer_id", "survivor_id"]].reset_index(drop=True)
    return out.astype(object)


def lineage_diff(
    conn: sa.Connection, prepared: Prepared, retired: set[str], inserted: pd.Series
) -> TableDiff | None:
    """The lineage of the loaded customers as the run gives it: a stored row of a field the run
    gives no lineage for (the value is now empty), or of a retired customer, is deleted. `images`
    holds the whole stored lineage of each stored customer whose lineage changes (`inserted`: the
    ids of the customers this load inserts, which had none)."""
    table = tables.of(conn).golden_lineage
    if prepared.lineage is None and not retired:
        return None
    new = prepared.lineage if prepared.lineage is not None else _empty(table)
    ids = [pa.array(sorted(retired), pa.string())]
    if prepared.lineage is not None:
        ids.insert(0, arrow_of(prepared.customers["customer_id"]))
    covered = arrow_column(pa.concat_arrays(ids))
    existing = _numeric_keys(read_rows(conn, table, "customer_id", covered))
    result = diff(table, new, existing)
    key = ("customer_id", "field")
    gone = existing.iloc[0:0]  # a first load: nothing stored, so nothing gone (no keys of 9M rows built)
    if len(existing):
        gone = existing[~_keys(existing, key).isin(_keys(new, key))].reset_index(drop=True)
    touched = set(result.updates["customer_id"]) | set(gone["customer_id"])
    given = pd.Series(pd.unique(result.inserts["customer_id"]), dtype=object)  # customers given lineage
    touched |= set(given[~given.isin(inserted.to_numpy(dtype=object))])
    return replace(result, deletes=gone, images=_lineage_images(existing, touched))


def _lineage_images(existing: pd.DataFrame, touched: set[str]) -> pd.DataFrame:
    images = {cid: {} for cid in sorted(touched)}
    mine = existing[existing["customer_id"].isin(touched)]
    for cid, name, source, row in mine[["customer_id", "field", "source", "source_row"]].itertuples(
        index=False
    ):
        images[cid][name] = [source, int(row)]
    return pd.DataFrame(
        {
            "customer_id": pd.Series(list(images), dtype=object),
            "before_image": pd.Series([json.dumps(v, sort_keys=True) for v in images.values()], dtype=object),
        }
    )


def _numeric_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Stored source_row values as Python ints, like the frames being loaded (merge keys must match)."""
    if len(frame) and "source_row" in frame.columns:
        frame = frame.copy()
        frame["source_row"] = frame["source_row"].map(int)
    return frame


def plan_of(diffs: list[TableDiff]) -> LoadPlan:
    return LoadPlan({tables.name_of(d.table): d.counts() for d in diffs})


def before_images(rows: pd.DataFrame, key: tuple[str, ...]) -> list[str]:
    """Stored rows an update or delete replaces (bookkeeping included), as JSON: what a rollback
    restores."""
    columns = [c for c in rows.columns if c not in key]
    records = rows[columns].astype(object).where(rows[columns].notna(), None)
    rows = records.itertuples(index=False)
    return [json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) for row in rows]
