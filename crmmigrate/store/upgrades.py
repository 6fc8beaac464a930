"""Upgrade steps of the store's tables (`tables.UPGRADES`), run by `Store.ensure_schema` under the
store lock, in one transaction.

Version 1 -> 2 keys the cross-reference (`customer_sources`) and its before-images
(`source_history`) by (source, source_id) instead of (source, source_row); see
`frames.source_ids`. Each table is rebuilt the same way on every database: set aside as
`<name>_v1`, created anew, filled source by source with `source_id` computed, the old one dropped.

Version 2 -> 3 retires customers that merges left without source rows (`retire_orphans`).

Version 3 -> 4 gives the dates and custom fields of `customers` their database types
(`type_columns`).

Version 4 -> 5 makes `golden_lineage` a WITHOUT ROWID table on SQLite (`lineage_without_rowid`);
the other databases keep theirs.

PostgreSQL and SQLite run all of it in the caller's transaction: it happens entirely or not at
all. MariaDB/MySQL commit each DDL statement at once, so a step cut short there leaves a table
half done, and the schema version still 1: the next open runs the step again, and it carries on.
While `<name>_v1` exists it holds every row, and the new table is emptied and filled again from
it; it is dropped only after the copy is committed (MySQL commits before a DROP TABLE).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa

from ..errors import StoreError
from . import tables
from .frames import source_ids
from .values import EXPECTED, KINDS, stored_text, to_text
from .write import bulk_insert

ASIDE = "_v1"

#: The version-1 columns of the two rebuilt tables, as they are read from the set-aside copy.
_V1_COLUMNS = {
    "customer_sources": (
        "source",
        "source_row",
        "source_key",
        "customer_id",
        "match_score",
        tables.RUN_COLUMN,
    ),
    "source_history": ("run_id", "source", "source_row", "prior_run_id", "before_image"),
}


def key_sources_by_identity(conn: sa.Connection) -> None:
    """Version 1 -> 2; every row is kept (see `_identities` for rows of one source sharing a key)."""
    t = tables.of(conn)
    order = _run_order(conn)
    _rebuild(conn, t.customer_sources, lambda old: _sources(old, order))
    _rebuild(conn, t.source_history, lambda old: _history(conn, old))


def _rebuild(conn: sa.Connection, table: sa.Table, convert: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    aside = table.name + ASIDE
    inspector = sa.inspect(conn)
    has_aside = inspector.has_table(aside, schema=table.schema)
    exists = inspector.has_table(table.name, schema=table.schema)
    columns = {c["name"] for c in inspector.get_columns(table.name, schema=table.schema)} if exists else set()
    if columns and "source_id" not in columns:
        if has_aside:
            raise StoreError(
                f"cannot upgrade the store: both {table.name} and {aside} hold version-1 rows",
                hint="keep the table with the complete data, drop the other, and open the store again",
            )
        _set_aside(conn, table, aside)
        table.create(conn)
    elif not has_aside:
        return  # converted already, by a step that stopped before recording the version
    elif not columns:
        table.create(conn)
    else:
        conn.execute(table.delete())  # a copy cut short (MariaDB): fill the table again
    old = sa.table(aside, *(sa.column(c) for c in _V1_COLUMNS[tables.name_of(table)]), schema=table.schema)
    expected = conn.execute(sa.select(sa.func.count()).select_from(old)).scalar_one()
    for source in conn.execute(sa.select(old.c.source).distinct().order_by(old.c.source)).scalars():
        rows = conn.execute(sa.select(old).where(old.c.source == source)).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=list(old.c.keys()), dtype=object)
        bulk_insert(conn, table, convert(frame))
    copied = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    if copied != expected:  # never expected: the guard that nothing is dropped unless all was copied
        raise StoreError(
            f"cannot upgrade the store: {copied} of the {expected} rows of {table.name} were copied",
            hint="nothing was dropped; report this, with the database's log",
        )
    conn.execute(sa.text(f"DROP TABLE {_quote(conn, aside, table.schema)}"))


def _set_aside(conn: sa.Connection, table: sa.Table, aside: str) -> None:
    """Rename the old table out of the way, and free the names the new table's indexes use
    (index and primary key names are per schema on PostgreSQL and SQLite, per table on MySQL)."""
    name, schema = table.name, table.schema
    inspector = sa.inspect(conn)
    dialect = conn.dialect.name
    if dialect not in ("mysql", "mariadb"):
        for index in inspector.get_indexes(name, schema=schema):
            conn.execute(sa.text(f"DROP INDEX {_quote(conn, index['name'], schema)}"))
    primary = inspector.get_pk_constraint(name, schema=schema).get("name")
    # the new name: in the same schema (PostgreSQL takes it unqualified; MySQL would move the table)
    target = _quote(conn, aside, schema if dialect in ("mysql", "mariadb") else None)
    conn.execute(sa.text(f"ALTER TABLE {_quote(conn, name, schema)} RENAME TO {target}"))
    if dialect == "postgresql" and primary:
        conn.execute(
            sa.text(
                f"ALTER TABLE {_quote(conn, aside, schema)} RENAME CONSTRAINT {_quote(conn, primary)} "
                f"TO {_quote(conn, aside + '_pkey')}"
            )
        )


def _quote(conn: sa.Connection, name: str, schema: str | None = None) -> str:
    quote = conn.dialect.identifier_preparer.quote
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


def _run_order(conn: sa.Connection) -> dict[str, int]:
    t = tables.of(conn)
    runs = t.load_runs
    query = sa.select(runs.c.run_id).order_by(runs.c.started, runs.c.run_id)
    return {run_id: n for n, run_id in enumerate(conn.execute(query).scalars())}


def _identities(
    frame: pd.DataFrame, ids: pd.Series, group: list[str], recency: pd.Series | None = None
) -> pd.Series:
    """`ids`, made unique within `group` + id. Version 1 could hold two rows of one source with one
    legacy key (a record at row 1 one night and at row 3 the next). The most recently written one
    (by `recency`, then row number) keeps the key as its identity; the others keep the identity
    version 1 gave them, `#<source_row>` (unique, as the row number was the key)."""
    ids = ids.copy()
    order = pd.DataFrame({"recency": 0 if recency is None else recency, "row": frame["source_row"]})
    ranked = order.sort_values(["recency", "row"], kind="stable").index
    keyed = frame[group].assign(source_id=ids).loc[ranked]
    earlier = keyed.index[keyed.duplicated(subset=[*group, "source_id"], keep="last").to_numpy()]
    ids[earlier] = frame.loc[earlier, "source_row"].map(lambda r: f"#{int(r)}")
    clash = frame[group].assign(source_id=ids).duplicated(subset=[*group, "source_id"], keep=False)
    if clash.any():
        rows = ", ".join(str(r) for r in frame.loc[clash, "source_row"].head(5))
        raise StoreError(
            f"cannot upgrade the store: rows {rows} of source {frame['source'].iloc[0]!r} "
            f"share the identity {ids[clash].iloc[0]!r} (a legacy key that looks like '#<row>')",
            hint="nothing was changed on PostgreSQL and SQLite; change the legacy key of one of them",
        )
    return ids


def _sources(old: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    """Version-1 cross-reference rows of one source, with their identity."""
    recency = old[tables.RUN_COLUMN].map(lambda run: order.get(run, -1) if run is not None else -1)
    ids = source_ids(old["source_key"], old["source_row"])
    return old.assign(source_id=_identities(old, ids, ["source"], recency))


def _history(conn: sa.Connection, old: pd.DataFrame) -> pd.DataFrame:
    """Version-1 before-images of one source, keyed by the identity of the row they hold: the
    identity its row has now when the run did not change the row's key, else the identity of the
    key in the image (the row a version-1 run overwrote with another source row's link). The
    image gains `source_row`, no longer part of the key, so a rollback restores it."""
    t = tables.of(conn)
    images = [json.loads(text) for text in old["before_image"]]
    keys = pd.Series([image.get("source_key") for image in images], index=old.index, dtype=object)
    x = t.customer_sources
    source = old["source"].iloc[0]
    now = conn.execute(sa.select(x.c.source_row, x.c.source_key, x.c.source_id).where(x.c.source == source))
    current = {int(row): (key, source_id) for row, key, source_id in now}
    ids = source_ids(keys, old["source_row"])
    for i, (row, key) in enumerate(zip(old["source_row"], keys, strict=True)):
        same = current.get(int(row))
        if same is not None and same[0] == key:
            ids.iat[i] = same[1]
    ids = _identities(old, ids, ["run_id", "source"])
    texts = [
        json.dumps({"source_row": int(row), **image}, ensure_ascii=False)
        for row, image in zip(old["source_row"], images, strict=True)
    ]
    return old.assign(source_id=ids, before_image=texts)


def retire_orphans(conn: sa.Connection) -> None:
    """Version 2 -> 3 (`customer_aliases` and `lineage_history` are new tables): customers that a
    merge left without source rows, as loads before version 3 did, are retired now, as a load
    retires them since. The survivor is the customer their former source rows belong to (found by
    the before-images of those rows); the run that moved the rows is recorded as the one that
    retired them, with the customer's before-image, so that rolling that run back restores it. A
    customer without source rows whose rows cannot be traced (loaded without a cross-reference)
    is left as it is."""
    t = tables.of(conn)
    c, x, h = t.customers, t.customer_sources, t.source_history
    linked = sa.select(x.c.customer_id).distinct()
    orphans = conn.execute(sa.select(c).where(c.c.customer_id.not_in(linked))).all()
    for orphan in orphans:
        marker = json.dumps({"customer_id": orphan.customer_id})[1:-1]  # "customer_id": "<id>"
        images = conn.execute(
            sa.select(h.c.run_id, h.c.source, h.c.source_id, h.c.before_image).where(
                h.c.before_image.contains(marker, autoescape=True)
            )
        ).all()
        moves: list[tuple[str, str]] = []
        for run_id, source, source_id, text in images:
            if json.loads(text).get("customer_id") != orphan.customer_id:
                continue
            now = conn.execute(
                sa.select(x.c.customer_id).where(x.c.source == source, x.c.source_id == source_id)
            ).scalar()
            if now is not None and now != orphan.customer_id:
                moves.append((run_id, now))
        if not moves:
            continue
        survivors = pd.Series([s for _, s in moves]).value_counts()
        survivor = str(survivors.index[0])
        run_id = max((r for r, _ in moves), key=lambda r: (r is not None, r))
        _retire(conn, orphan, survivor, run_id)


def _retire(conn: sa.Connection, row: sa.Row, survivor: str, run_id: str) -> None:
    t = tables.of(conn)
    c, history = t.customers, t.customer_history
    stored = stored_text(pd.DataFrame([dict(row._mapping)], dtype=object)).iloc[0]  # as a load keeps images
    values = {k: v for k, v in stored.items() if k != "customer_id"}
    known = conn.execute(
        sa.select(history.c.run_id).where(
            history.c.run_id == run_id, history.c.customer_id == row.customer_id
        )
    ).first()
    if known is None:
        conn.execute(
            history.insert().values(
                run_id=run_id,
                customer_id=row.customer_id,
                prior_run_id=values.get(tables.RUN_COLUMN),
                before_image=json.dumps(values, ensure_ascii=False),
            )
        )
    conn.execute(
        t.customer_aliases.insert().values(
            customer_id=row.customer_id, survivor_id=survivor, **{tables.RUN_COLUMN: run_id}
        )
    )
    conn.execute(c.delete().where(c.c.customer_id == row.customer_id))


#: Customers read per batch while the upgrade to typed columns checks their values.
TYPE_BATCH = 50_000
#: The typed columns of version 4, as version 3 held them: text.
_KINDS = dict(KINDS)


def type_columns(conn: sa.Connection) -> None:
    """Version 3 -> 4: dates of birth become DATE, created_at and updated_at UTC timestamps, the
    custom fields JSON (see `tables`), and on PostgreSQL the ledger's and suppression list's times
    timestamptz. Every stored value is checked first: one that is not a date (text put in by hand,
    or by a load of a hand-made file) stops the upgrade, naming the customers, before anything
    changes. Values in another ISO spelling are rewritten in the pipeline's form, then the columns
    are converted by the database in one statement (MariaDB: one ALTER TABLE, which is complete or
    not done at all; a rerun after it skips it). SQLite has no column types to change: its table
    is rebuilt with the new declarations around the same text."""
    t = tables.of(conn)
    c = t.customers
    declared = {col["name"]: col["type"] for col in sa.inspect(conn).get_columns(c.name, schema=c.schema)}
    if not isinstance(declared.get("date_of_birth"), sa.Date):
        _rewrite_canonical(conn, c)
        dialect = conn.dialect.name
        if dialect == "postgresql":
            _alter_postgresql(conn, c)
        elif dialect in ("mysql", "mariadb"):
            _alter_mysql(conn, c)
        else:
            _rebuild_sqlite(conn, c)
    if conn.dialect.name == "postgresql":
        _utc_times(conn, t.load_runs, ("started", "finished"))
        _utc_times(conn, t.suppressions, ("added",))


def _rewrite_canonical(conn: sa.Connection, c: sa.Table) -> None:
    """Check every stored value of the typed columns; rewrite those in another spelling."""
    columns = [c.c.customer_id, *(c.c[name] for name in _KINDS)]
    problems: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    last = None
    while True:
        query = sa.select(*columns).order_by(c.c.customer_id).limit(TYPE_BATCH)
        if last is not None:
            query = query.where(c.c.customer_id > last)
        rows = conn.execute(query).all()
        if not rows:
            break
        last = rows[-1][0]
        frame = pd.DataFrame([tuple(r) for r in rows], columns=[col.name for col in columns], dtype=object)
        changed = pd.Series(False, index=frame.index)
        for name, kind in _KINDS.items():
            text = pd.Series(  # object dtype: pandas 3 would infer its string dtype (NaN for None)
                [(v.strip() or None) if isinstance(v, str) else v for v in frame[name]],
                index=frame.index,
                dtype=object,
            )
            canonical, bad = _json_texts(text) if kind == "json" else to_text(text, kind)
            if bad.any():
                counts[name] = counts.get(name, 0) + int(bad.sum())
                problems.setdefault(name, []).extend(frame.loc[bad, "customer_id"].head(5).tolist())
            differs = ~bad & (canonical.to_numpy(dtype=object) != frame[name].to_numpy(dtype=object))
            frame[name] = canonical
            changed |= differs
        if changed.any() and not problems:
            update_rows_by_id(conn, c, frame.loc[changed])
    if problems:
        detail = "; ".join(
            f"{counts[name]} values of {name} are not {EXPECTED[_KINDS[name]]} "
            f"(customer_id {', '.join(ids[:5])})"
            for name, ids in problems.items()
        )
        raise StoreError(
            f"cannot upgrade the store to typed date columns: {detail}",
            hint=f"nothing was changed; correct or empty those values in {c.name} "
            "(e.g. UPDATE ... SET date_of_birth = NULL WHERE customer_id = ...) and open the store again",
        )


def _json_texts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical JSON of stored custom-field texts, and which are not JSON objects."""
    out, bad = [], []
    for value in values:
        try:
            parsed = None if value is None else json.loads(value)
        except ValueError:
            parsed = value
        ok = value is None or isinstance(parsed, dict)
        bad.append(not ok)
        out.append(
            json.dumps(parsed, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            if ok and value is not None
            else value
        )
    return pd.Series(out, index=values.index, dtype=object), pd.Series(bad, index=values.index)


def update_rows_by_id(conn: sa.Connection, c: sa.Table, frame: pd.DataFrame) -> None:
    """Write the rewritten text values back, by customer id."""
    names = [n for n in frame.columns if n != "customer_id"]
    query = (
        c.update()
        .where(c.c.customer_id == sa.bindparam("key"))
        .values({n: sa.bindparam(f"v_{n}") for n in names})
    )
    records = [
        {"key": row[0], **{f"v_{n}": v for n, v in zip(names, row[1:], strict=True)}}
        for row in frame[["customer_id", *names]].itertuples(index=False)
    ]
    conn.execute(query, records)


def _alter_postgresql(conn: sa.Connection, c: sa.Table) -> None:
    q = conn.dialect.identifier_preparer.quote
    using = {
        "date": "{col}::date",
        "timestamp": "{col}::timestamp AT TIME ZONE 'UTC'",
        "json": "{col}::jsonb",
    }
    changes = ", ".join(
        f"ALTER COLUMN {q(name)} TYPE {tables.COLUMN_TYPES[name][1]} USING {using[kind].format(col=q(name))}"
        for name, kind in _KINDS.items()
    )
    conn.execute(sa.text(f"ALTER TABLE {_quote(conn, c.name, c.schema)} {changes}"))


def _alter_mysql(conn: sa.Connection, c: sa.Table) -> None:
    q = conn.dialect.identifier_preparer.quote
    changes = ", ".join(f"MODIFY {q(name)} {tables.COLUMN_TYPES[name][2]} NULL" for name in _KINDS)
    conn.execute(sa.text(f"ALTER TABLE {_quote(conn, c.name, c.schema)} {changes}"))


def _rebuild_sqlite(conn: sa.Connection, c: sa.Table, aside_suffix: str = "_v3") -> None:
    """The table created anew as `c` declares it, holding the same rows."""
    aside = c.name + aside_suffix
    _set_aside(conn, c, aside)
    c.create(conn)
    q = conn.dialect.identifier_preparer.quote
    names = ", ".join(q(col.name) for col in c.columns)
    conn.execute(sa.text(f"INSERT INTO {q(c.name)} ({names}) SELECT {names} FROM {q(aside)}"))
    conn.execute(sa.text(f"DROP TABLE {q(aside)}"))


def _utc_times(conn: sa.Connection, table: sa.Table, columns: tuple[str, ...]) -> None:
    """PostgreSQL: the ledger's naive UTC times as timestamptz (a no-op once they are)."""
    declared = {
        col["name"]: col["type"] for col in sa.inspect(conn).get_columns(table.name, schema=table.schema)
    }
    todo = [name for name in columns if not getattr(declared.get(name), "timezone", False)]
    if not todo:
        return
    q = conn.dialect.identifier_preparer.quote
    changes = ", ".join(
        f"ALTER COLUMN {q(n)} TYPE TIMESTAMP WITH TIME ZONE USING {q(n)} AT TIME ZONE 'UTC'" for n in todo
    )
    conn.execute(sa.text(f"ALTER TABLE {_quote(conn, table.name, table.schema)} {changes}"))


def lineage_without_rowid(conn: sa.Connection) -> None:
    """Version 4 -> 5: on SQLite, `golden_lineage` is rebuilt as a WITHOUT ROWID table with the same
    rows (a no-op once it is one, and on the other databases)."""
    if conn.dialect.name != "sqlite":
        return
    lineage = tables.of(conn).golden_lineage
    declared = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": lineage.name}
    ).scalar()
    if declared is not None and "WITHOUT ROWID" not in declared.upper():
        _rebuild_sqlite(conn, lineage, "_v4")
