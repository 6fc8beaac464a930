"""Undoing a run: restore the before-images it recorded, in one transaction.

A run can only be undone while no later run changed the same customers or source rows: undoing
it then would silently throw away the later run's work, so the rollback refuses and names them.
Lineage of customers the run inserted is removed with them; the lineage of the others is put
back as it was (`lineage_history`). Customers the run retired by a merge come back (their
before-images) and their aliases go.

A before-image is put back whether or not its row is still there: a store upgraded from schema
version 1 holds images of cross-reference rows that a run overwrote with another source row's link
(the row numbers were the key then); undoing that run brings the overwritten link back.
"""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from ..errors import StoreError
from . import ledger, tables
from .plan import LoadPlan, TableCounts
from .privacy import suppressed_mask, suppression_hash
from .write import bulk_insert, delete_rows


def _histories(t: tables.StoreTables) -> tuple[tuple[sa.Table, sa.Table], ...]:
    """Each table whose updates keep before-images, with the table that keeps them."""
    return ((t.customers, t.customer_history), (t.customer_sources, t.source_history))


class Undo(Exception):
    """Raised inside a transaction to roll it back and hand its result out: a dry run does all the
    work and keeps none of it, so what it reports is exactly what the real run would do."""

    def __init__(self, result: object) -> None:
        super().__init__("dry run")
        self.result = result


def rollback_run(engine: sa.Engine, run_id: str, *, dry_run: bool = False) -> LoadPlan:
    """Restore the store to its state before `run_id`; the counts say how many rows were
    deleted (`inserts` undone) and restored (`updates` undone) per table. A dry run says the same
    and changes nothing."""
    try:
        with engine.connect() as conn, conn.begin():
            plan = _rollback(conn, run_id)
            if dry_run:
                raise Undo(plan)
            return plan
    except Undo as undone:
        return undone.result  # type: ignore[return-value]


def _rollback(conn: sa.Connection, run_id: str) -> LoadPlan:
    t = tables.of(conn)
    run = conn.execute(sa.select(t.load_runs).where(t.load_runs.c.run_id == run_id)).first()
    if run is None:
        raise StoreError(f"no run {run_id!r} in this store", hint="see `crmmigrate runs` for the run ids")
    if run.status != ledger.SUCCEEDED:
        raise StoreError(f"run {run_id!r} cannot be rolled back: its status is {run.status}")
    _refuse_if_depended_on(conn, run_id)
    counts: dict[str, TableCounts] = {}
    inserted_customers = pd.DataFrame({"customer_id": []})
    for table, history in _histories(t):
        inserted = _inserted_by(conn, table, history, run_id)
        delete_rows(conn, table, _key(table), inserted)
        restored = _restore_updates(conn, table, history, run_id)
        counts[tables.name_of(table)] = TableCounts(inserts=len(inserted), updates=restored)
        if table is t.customers:
            inserted_customers = inserted
    delete_rows(conn, t.golden_lineage, ["customer_id"], inserted_customers)
    _restore_lineage(conn, run_id)
    aliases = t.customer_aliases
    retired = conn.execute(aliases.delete().where(aliases.c[tables.RUN_COLUMN] == run_id)).rowcount
    counts[tables.name_of(aliases)] = TableCounts(inserts=max(int(retired or 0), 0))
    conn.execute(
        t.load_runs.update()
        .where(t.load_runs.c.run_id == run_id)
        .values(status=ledger.ROLLED_BACK, detail="rolled back with `crmmigrate rollback`")
    )
    return LoadPlan(counts)


def _key(table: sa.Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _refuse_if_depended_on(conn: sa.Connection, run_id: str) -> None:
    """Later runs that updated rows this run wrote (their before-images name this run)."""
    t = tables.of(conn)
    runs = t.load_runs
    blocking: set[str] = set()
    for _, history in _histories(t):
        query = (
            sa.select(history.c.run_id)
            .distinct()
            .join(runs, runs.c.run_id == history.c.run_id)
            .where(
                history.c.prior_run_id == run_id, runs.c.status == ledger.SUCCEEDED, runs.c.run_id != run_id
            )
        )
        blocking.update(conn.execute(query).scalars())
    blocking.update(_later_writers(conn, run_id))
    if blocking:
        later = ", ".join(sorted(blocking))
        raise StoreError(
            f"run {run_id!r} cannot be rolled back: later runs changed the same records ({later})",
            hint="roll back the later runs first, newest first",
        )


def _later_writers(conn: sa.Connection, run_id: str) -> set[str]:
    """Other runs that last wrote a row this run has a before-image for. After a load that never
    happens without a before-image naming this run (found above); it does for images converted
    from schema version 1, whose row a later run may have inserted again under its new key."""
    t = tables.of(conn)
    writers: set[str] = set()
    for table, history in _histories(t):
        same_row = sa.and_(*(table.c[k] == history.c[k] for k in _key(table)))
        query = (
            sa.select(table.c[tables.RUN_COLUMN])
            .distinct()
            .join(history, same_row)
            .where(history.c.run_id == run_id, table.c[tables.RUN_COLUMN] != run_id)
        )
        writers.update(w for w in conn.execute(query).scalars() if w is not None)
    return writers


def _frame(conn: sa.Connection, query: sa.Select) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()), dtype=object)


def _inserted_by(conn: sa.Connection, table: sa.Table, history: sa.Table, run_id: str) -> pd.DataFrame:
    """Keys of the rows the run wrote that have no before-image: the rows it inserted."""
    key = _key(table)
    written = _frame(conn, sa.select(*(table.c[k] for k in key)).where(table.c[tables.RUN_COLUMN] == run_id))
    updated = _frame(conn, sa.select(*(history.c[k] for k in key)).where(history.c.run_id == run_id))
    if not len(updated):
        return written
    merged = written.merge(updated, on=key, how="left", indicator=True)
    return merged.loc[merged["_merge"] == "left_only", key].reset_index(drop=True)


def _restore_updates(conn: sa.Connection, table: sa.Table, history: sa.Table, run_id: str) -> int:
    key = _key(table)
    frame = _frame(
        conn,
        sa.select(*(history.c[k] for k in key), history.c.before_image).where(history.c.run_id == run_id),
    )
    if not len(frame):
        return 0
    # object dtype: integers stay integers next to None (COPY refuses "3.0" for an integer column)
    before = pd.DataFrame([json.loads(t) for t in frame["before_image"]], index=frame.index, dtype=object)
    restored = pd.concat([frame[key], before], axis=1).reindex(columns=[c.name for c in table.columns])
    restored = restored.astype(object).where(restored.notna(), None)
    forgotten = _forgotten(conn, table, restored)
    delete_rows(conn, table, key, restored)
    bulk_insert(conn, table, restored.loc[~forgotten])
    return int((~forgotten).sum())


def _restore_lineage(conn: sa.Connection, run_id: str) -> int:
    """Put back the lineage the run replaced, customer by customer; returns the customers."""
    t = tables.of(conn)
    history = t.lineage_history
    images = _frame(
        conn, sa.select(history.c.customer_id, history.c.before_image).where(history.c.run_id == run_id)
    )
    if not len(images):
        return 0
    delete_rows(conn, t.golden_lineage, ["customer_id"], images[["customer_id"]])
    rows = [
        (customer_id, field, source, int(row))
        for customer_id, text in zip(images["customer_id"], images["before_image"], strict=True)
        for field, (source, row) in json.loads(text).items()
    ]
    columns = [c.name for c in t.golden_lineage.columns]
    bulk_insert(conn, t.golden_lineage, pd.DataFrame(rows, columns=columns, dtype=object))
    return len(images)


def _forgotten(conn: sa.Connection, table: sa.Table, rows: pd.DataFrame) -> pd.Series:
    """Rows a restore must not bring back: a customer erased with `forget` since (by customer
    id or identifiers), or a source row of theirs (by legacy key or customer id)."""
    t = tables.of(conn)
    suppressions = _frame(conn, sa.select(t.suppressions.c.kind, t.suppressions.c.value_hash))
    if not len(suppressions) or not len(rows):
        return pd.Series(False, index=rows.index)
    by_kind = suppressions.groupby("kind")["value_hash"].apply(set).to_dict()
    ids = rows["customer_id"].astype(str)
    gone = ids.map(lambda v: suppression_hash("customer_id", v) in by_kind.get("customer_id", set()))
    gone |= pd.Series(suppressed_mask(rows.reset_index(drop=True), suppressions), index=rows.index)
    return gone.astype(bool)
