"""The run ledger (`load_runs`): one row per load, so a team can see what ran, when, with what.

A run's row is first written as `running` in its own transaction, then set to `succeeded` inside
the load's transaction, so the two commit together. A run killed mid-load leaves `running`
behind; the next run, holding the lock, marks it failed (the store itself was never changed).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa

from .. import __version__
from ..errors import StoreError
from . import tables
from .plan import LoadPlan

RUNNING, SUCCEEDED, FAILED, ROLLED_BACK = "running", "succeeded", "failed", "rolled_back"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


#: The ledger's run id column holds this many characters on every database.
RUN_ID_LENGTH = 64


def check_run_id(run_id: str) -> str:
    """`run_id` when the ledger can hold it; a StoreError saying what is wrong otherwise."""
    if not run_id or len(run_id) > RUN_ID_LENGTH or not run_id.isprintable() or run_id != run_id.strip():
        raise StoreError(
            f"the run id {run_id[:80]!r} cannot be recorded: it must be 1 to {RUN_ID_LENGTH} printable "
            f"characters without surrounding spaces (it has {len(run_id)})",
            hint="leave --run-id out for a new one, e.g. 20261130T070511Z-4cbb46",
        )
    return run_id


def start(engine: sa.Engine, run_id: str, *, config_hash: str, forced: bool, note: str = "") -> None:
    """Record the run as running (and any run left running by a killed process as failed)."""
    with engine.begin() as conn:
        load_runs = tables.of(conn).load_runs
        conn.execute(
            load_runs.update()
            .where(load_runs.c.status == RUNNING)
            .values(status=FAILED, finished=_now(), detail="interrupted: the process ended before finishing")
        )
        status = conn.execute(sa.select(load_runs.c.status).where(load_runs.c.run_id == run_id)).scalar()
        if status is not None and status != FAILED:
            raise StoreError(
                f"run {run_id!r} is already in the ledger ({status})",
                hint="each load needs a new run id; see `crmmigrate runs`",
            )
        if status is not None:
            conn.execute(load_runs.delete().where(load_runs.c.run_id == run_id))
        conn.execute(
            load_runs.insert().values(
                run_id=run_id,
                started=_now(),
                status=RUNNING,
                config_hash=config_hash,
                forced=forced,
                tool_version=__version__,
                detail=note or None,
            )
        )


def finish(conn: sa.Connection, run_id: str, plan: LoadPlan) -> None:
    load_runs = tables.of(conn).load_runs
    conn.execute(
        load_runs.update()
        .where(load_runs.c.run_id == run_id)
        .values(status=SUCCEEDED, finished=_now(), counts=json.dumps(plan.as_dict(), sort_keys=True))
    )


def fail(engine: sa.Engine, run_id: str, detail: str) -> bool:
    """Record a running run as failed; True if it was. A run whose transaction committed (an
    interrupt that came after the commit) is left as succeeded: the ledger says what the store
    holds."""
    with engine.begin() as conn:
        load_runs = tables.of(conn).load_runs
        changed = conn.execute(
            load_runs.update()
            .where(load_runs.c.run_id == run_id, load_runs.c.status == RUNNING)
            .values(status=FAILED, finished=_now(), detail=detail[:2000])
        )
    return bool(changed.rowcount)


def runs(conn: sa.Connection) -> pd.DataFrame:
    load_runs = tables.of(conn).load_runs
    columns = [c.name for c in load_runs.columns]
    rows = conn.execute(sa.select(load_runs).order_by(load_runs.c.started, load_runs.c.run_id)).all()
    # object dtype: a NULL stays None (pandas 3 would make a text column of NULLs NaN)
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns).astype(object)
    frame = frame.where(frame.notna(), None)
    if len(frame):
        frame["forced"] = frame["forced"].astype(bool)
    return frame
