"""Upgrade steps of the store's tables (`tables.UPGRADES`), run by `Store.ensure_schema` under the
store lock, in one transaction.

Version 1 -> 2 keys the cross-reference (`customer_sources`) and its before-images
(`source_history`) by (source, source_id) instead of (source, source_row); see
`frames.source_ids`. Each table is rebuilt the same way on every database: set aside as
`<name>_v1`, created anew, filled source by source with `source_id` computed, the old one dropped.

Version 2 -> 3 retires customers that merges left without source rows (`retire_orphans`).

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
    order = _run_order(conn)
    _rebuild(conn, tables.customer_sources, lambda old: _sources(old, order))
    _rebuild(conn, tables.source_history, lambda old: _history(conn, old))


def _rebuild(conn: sa.Connection, table: sa.Table, convert: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    aside = table.name + ASIDE
    inspector = sa.inspect(conn)
    has_aside = inspector.has_table(aside)
    exists = inspector.has_table(table.name)
    columns = {c["name"] for c in inspector.get_columns(table.name)} if exists else set()
    if columns and "source_id" not in columns:
        if has_aside:
            raise StoreError(
                f"cannot upgrade the store: both {table.name} and {aside} hold version-1 rows",
                hint="keep the table with the complete data, drop the other, and open the store again",
            )
        _set_aside(conn, table.name, aside)
        table.create(conn)
    elif not has_aside:
        return  # converted already, by a step that stopped before recording the version
    elif not columns:
        table.create(conn)
    else:
        conn.execute(table.delete())  # a copy cut short (MariaDB): fill the table again
    old = sa.table(aside, *(sa.column(c) for c in _V1_COLUMNS[table.name]))
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
    conn.execute(sa.text(f"DROP TABLE {_quote(conn, aside)}"))


def _set_aside(conn: sa.Connection, name: str, aside: str) -> None:
    """Rename the version-1 table out of the way, and free the names the new table's indexes use
    (index and primary key names are per schema on PostgreSQL and SQLite, per table on MySQL)."""
    inspector = sa.inspect(conn)
    dialect = conn.dialect.name
    if dialect not in ("mysql", "mariadb"):
        for index in inspector.get_indexes(name):
            conn.execute(sa.text(f"DROP INDEX {_quote(conn, index['name'])}"))
    primary = inspector.get_pk_constraint(name).get("name")
    conn.execute(sa.text(f"ALTER TABLE {_quote(conn, name)} RENAME TO {_quote(conn, aside)}"))
    if dialect == "postgresql" and primary:
        conn.execute(
            sa.text(
                f"ALTER TABLE {_quote(conn, aside)} RENAME CONSTRAINT {_quote(conn, primary)} "
                f"TO {_quote(conn, aside + '_pkey')}"
            )
        )


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _run_order(conn: sa.Connection) -> dict[str, int]:
    runs = tables.load_runs
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
    images = [json.loads(text) for text in old["before_image"]]
    keys = pd.Series([image.get("source_key") for image in images], index=old.index, dtype=object)
    x = tables.customer_sources
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
    c, x, h = tables.customers, tables.customer_sources, tables.source_history
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
    c, history = tables.customers, tables.customer_history
    values = {k: v for k, v in row._mapping.items() if k != "customer_id"}
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
        tables.customer_aliases.insert().values(
            customer_id=row.customer_id, survivor_id=survivor, **{tables.RUN_COLUMN: run_id}
        )
    )
    conn.execute(c.delete().where(c.c.customer_id == row.customer_id))
