"""The CRM store behind one interface, whatever the database: open, lock, plan, load, read back."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType

import pandas as pd
import sqlalchemy as sa

from ..config import StoreConfig
from ..errors import StoreError
from ..interrupts import interrupts_held
from ..progress import Steps, tell
from . import ledger, tables
from .engine import check_connection, create_engine, describe, mask_url, normalise_url, scrub
from .frames import CHECKSUM_COLUMNS, combined_checksum, stored_texts, text_digests
from .lock import Lock, busy_error, lock_for
from .plan import (
    LoadPlan,
    TableCounts,
    fetch_frame,
    plan_diffs,
    plan_of,
    prepare,
    read_rows_in_slices,
)
from .privacy import ForgetResult, forget, without_suppressed
from .write import apply

DEFAULT_LOCK_TIMEOUT_S = 10.0
#: Stored customers made into Python values at once for the checksum.
CHECKSUM_SLICE_ROWS = 50_000
#: The `crmmigrate_meta` key under which the lock's holder says who it is.
LOCK_HOLDER = "lock_holder"


@dataclass(frozen=True)
class LoadResult:
    """What a load did (or, for a dry run, would do), per table."""

    run_id: str
    plan: LoadPlan
    dry_run: bool
    store: str  # the store URL, password masked
    seconds: float = 0.0
    suppressed: int = 0  # customers refused: erased with `forget` since the outputs were written

    @property
    def customers(self) -> TableCounts:
        return self.plan.counts("customers")

    @property
    def inserted(self) -> int:
        return self.customers.inserts

    @property
    def updated(self) -> int:
        return self.customers.updates

    @property
    def unchanged(self) -> int:
        return self.customers.unchanged

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "store": self.store,
            "seconds": round(self.seconds, 3),
            "tables": self.plan.as_dict(),
        }


class Store:
    """An open store. Use `open_store(url)`; close it (or use `with`) when done."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        #: This store's tables (its prefix and schema), also carried by every connection.
        self.tables = tables.of(engine)
        self.url = mask_url(engine.url)
        self._lock: Lock | None = None
        self._lock_depth = 0
        #: How long `lock` (and so `run`, `load`, `rollback`, `forget`) waits for another run's
        #: lock before giving up.
        self.lock_timeout_s = DEFAULT_LOCK_TIMEOUT_S
        #: What this process's lock is recorded as (a run id), for a run that has to wait for it.
        self.lock_owner: str | None = None
        #: Told once, with who holds the lock, when `lock` has to wait.
        self.on_wait: Callable[[str], None] | None = None

    # -- life cycle -------------------------------------------------------------------------

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        while self._lock_depth:
            self._release()
        self._engine.dispose()

    @contextmanager
    def lock(self, timeout_s: float | None = None) -> Iterator[Store]:
        """Hold the store's run lock; a second run waits up to `timeout_s` (default
        `lock_timeout_s`), then gets a StoreError. Re-entrant: `load` inside `lock` reuses it.
        `pipeline.run` holds it for the whole run, from before its first read of the store."""
        timeout_s = self.lock_timeout_s if timeout_s is None else timeout_s
        if self._lock_depth == 0:
            lock = lock_for(self._engine, self.tables.schema, self.tables.prefix)
            try:
                got = lock.acquire(0)
                if not got and timeout_s > 0:
                    if self.on_wait is not None:
                        self.on_wait(
                            f"the store is busy ({self.lock_holder()}); waiting up to {timeout_s:g} s"
                        )
                    got = lock.acquire(timeout_s)
            except sa.exc.DBAPIError as exc:
                raise self._error("cannot take the store lock", exc) from None
            if not got:
                raise busy_error(describe(self._engine.url), timeout_s, self.lock_holder())
            self._lock = lock
            self._say_who_holds_the_lock()
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._release()

    def _release(self) -> None:
        self._lock_depth -= 1
        if self._lock_depth == 0 and self._lock is not None:
            self._set_meta(LOCK_HOLDER, None)
            self._lock.release()
            self._lock = None

    def lock_holder(self) -> str:
        """Who holds the store's lock, as its holder recorded it: run, host, process, since when."""
        try:
            with self._engine.connect() as conn:
                text = conn.execute(
                    sa.select(self.tables.meta.c.value).where(self.tables.meta.c.key == LOCK_HOLDER)
                ).scalar()
            holder = json.loads(text) if text else {}
        except (sa.exc.SQLAlchemyError, ValueError):
            holder = {}
        if not isinstance(holder, dict) or not holder:
            return "held by a run that did not say who it is"
        run = f"run {holder['run']} " if holder.get("run") else "a run "
        host, pid, since = (holder.get(k, "?") for k in ("host", "pid", "since"))
        return f"held by {run}on {host} (process {pid}) since {since}"

    def _say_who_holds_the_lock(self) -> None:
        holder = {
            "run": self.lock_owner,
            "host": socket.gethostname()[:60],
            "pid": os.getpid(),
            "since": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self._set_meta(LOCK_HOLDER, json.dumps({k: v for k, v in holder.items() if v is not None}))

    def _set_meta(self, key: str, value: str | None) -> None:
        """Best effort: a store without its tables yet, or a read-only user, records nothing."""
        try:
            with self._engine.begin() as conn:
                conn.execute(self.tables.meta.delete().where(self.tables.meta.c.key == key))
                if value is not None:
                    conn.execute(self.tables.meta.insert().values(key=key, value=value[:255]))
        except sa.exc.SQLAlchemyError:
            pass

    @property
    def _db_errors(self) -> tuple[type[BaseException], ...]:
        """SQLAlchemy's wrapped errors, and the driver's own (raised by COPY on the raw connection)."""
        return (sa.exc.DBAPIError, self._engine.dialect.loaded_dbapi.Error)

    def _error(self, what: str, exc: BaseException) -> StoreError:
        orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        return StoreError(
            f"{what} ({describe(self._engine.url)}): {scrub(str(orig), self._engine.url)}",
            hint="nothing was changed; fix the cause and run again",
        )

    # -- schema -----------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create the tables (or upgrade them) when the store is new or older than this tool."""
        if self._schema_version() == tables.SCHEMA_VERSION:
            return
        with self.lock(timeout_s=60):
            self._create_schema()
            self.tables.metadata.create_all(self._engine)
            with self._engine.begin() as conn:
                version = self._read_version(conn)
                if version is None:
                    conn.execute(
                        self.tables.meta.insert().values(
                            key="schema_version", value=str(tables.SCHEMA_VERSION)
                        )
                    )
                    return
                for step in range(version, tables.SCHEMA_VERSION):
                    tables.UPGRADES[step](conn)
                conn.execute(
                    self.tables.meta.update()
                    .where(self.tables.meta.c.key == "schema_version")
                    .values(value=str(tables.SCHEMA_VERSION))
                )

    def _create_schema(self) -> None:
        """The store's own schema (PostgreSQL) or database (MariaDB/MySQL), when it names one."""
        schema = self.tables.schema
        if schema is None:
            return
        quoted = self._engine.dialect.identifier_preparer.quote_schema(schema)
        with self._engine.connect() as conn:
            if sa.inspect(conn).has_schema(schema):
                return
        sql = f"CREATE SCHEMA IF NOT EXISTS {quoted}"
        if self._engine.dialect.name in ("mysql", "mariadb"):
            sql = f"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        with self._engine.begin() as conn:
            conn.execute(sa.text(sql))

    def _schema_version(self) -> int | None:
        t = self.tables
        with self._engine.connect() as conn:
            inspector = sa.inspect(conn)
            if t.schema is not None and not inspector.has_schema(t.schema):
                return None
            if not inspector.has_table(t.meta.name, schema=t.schema):
                return None
            version = self._read_version(conn)
            missing = [
                tables.name_of(table)
                for table in t.metadata.sorted_tables
                if not inspector.has_table(table.name, schema=t.schema)
            ]
        if version is not None and version > tables.SCHEMA_VERSION:
            raise StoreError(
                f"the store was written by a newer crmmigrate (schema version {version}, "
                f"this one knows {tables.SCHEMA_VERSION})",
                hint="upgrade crmmigrate",
            )
        if version == tables.SCHEMA_VERSION and missing:
            raise StoreError(
                f"the store ({describe(self._engine.url)}) is incomplete: "
                f"table{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing",
                hint="restore the store from a backup, or point `store:` at a new database; "
                "crmmigrate does not recreate a table that held customers",
            )
        return version

    @staticmethod
    def _read_version(conn: sa.Connection) -> int | None:
        meta = tables.of(conn).meta
        value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if value is None:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise StoreError(
                f"the store's schema version is {str(value)[:20]!r}, not one crmmigrate writes",
                hint="the crmmigrate_meta table was changed by hand: restore it from a backup",
            ) from None

    # -- load -------------------------------------------------------------------------------

    def plan(
        self, golden: pd.DataFrame, xref: pd.DataFrame | None = None, lineage: pd.DataFrame | None = None
    ) -> LoadPlan:
        """What `load` would insert, update and leave unchanged, per table; writes nothing."""
        prepared = prepare(golden, xref, lineage)
        with self._engine.connect() as conn:
            return plan_of(plan_diffs(conn, prepared))

    def load(
        self,
        golden: pd.DataFrame,
        xref: pd.DataFrame | None,
        lineage: pd.DataFrame | None = None,
        *,
        run_id: str,
        config_hash: str = "",
        dry_run: bool = False,
        forced: bool = False,
        note: str = "",
        steps: Steps | None = None,
    ) -> LoadResult:
        """Upsert the golden set, its cross-reference and lineage in ONE transaction.

        A dry run computes the plan and writes nothing at all, not even a ledger row. Customers
        on the suppression list (erased with `forget`, perhaps after these outputs were written)
        are refused, with their source rows and lineage. `steps` hears the rows written. Ctrl-C
        during the transaction is raised after the statement running then (`interrupts_held`).
        """
        started = time.perf_counter()
        ledger.check_run_id(run_id)
        golden, xref, lineage, suppressed = without_suppressed(golden, xref, lineage, self.suppressions())
        if dry_run:
            plan = self.plan(golden, xref, lineage)
            return LoadResult(run_id, plan, True, self.url, time.perf_counter() - started, suppressed)
        prepared = prepare(golden, xref, lineage)
        with self.lock(), interrupts_held() as check:
            try:
                ledger.start(self._engine, run_id, config_hash=config_hash, forced=forced, note=note)
            except self._db_errors as exc:  # a read-only user fails at the ledger's first write
                raise self._error("cannot record the run in the store's ledger", exc) from None

            def written(done: int, total: int | None = None, step: str = "", unit: str = "rows") -> None:
                check()  # Ctrl-C is raised here, between statements: the rollback is clean
                tell(steps, done, total, step, unit)

            try:
                with self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                    written(0, None, "planning")
                    diffs = plan_diffs(conn, prepared)
                    plan = plan_of(diffs)
                    apply(conn, diffs, run_id, written)
                    check()
                    ledger.finish(conn, run_id, plan)
            except self._db_errors as exc:
                error = self._error("the load failed and was rolled back", exc)
                ledger.fail(self._engine, run_id, error.message)
                raise error from None
            except BaseException as exc:
                ledger.fail(
                    self._engine, run_id, f"the load failed and was rolled back: {type(exc).__name__}"
                )
                raise
        return LoadResult(run_id, plan, False, self.url, time.perf_counter() - started, suppressed)

    # -- reading back -----------------------------------------------------------------------

    def _read(self, table: sa.Table, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Stored rows as object columns (str, int, float or None): the values exactly as stored."""
        names = list(columns or tables.data_columns(table))
        with self._engine.connect() as conn:
            return fetch_frame(conn, sa.select(*(table.c[n] for n in names)), names)

    def read_customers(self, *, expand_extra: bool = True) -> pd.DataFrame:
        """Every stored customer; custom fields come back as their own columns (from `extra`)."""
        frame = self._read(self.tables.customers)
        frame["member_count"] = pd.array(frame["member_count"], dtype="Int64")
        if not expand_extra or not frame["extra"].notna().any():
            return frame.drop(columns="extra") if expand_extra else frame
        extra = pd.json_normalize(frame["extra"].map(lambda s: {} if s is None else _loads(s)).tolist())
        extra.index = frame.index
        return pd.concat([frame.drop(columns="extra"), extra], axis=1)

    def read_xref(self) -> pd.DataFrame:
        """source, source_row, source_key, customer_id, match_score and source_id (the row's identity,
        the table's key with source) of every stored source row. One row per identity: source_row is
        the row's number in the file of the run that last wrote it, so two rows of one source can
        share a source_row (e.g. row 1 of two nightly files)."""
        frame = self._read(
            self.tables.customer_sources,
            ("source", "source_row", "source_key", "customer_id", "match_score", "source_id"),
        )
        frame["source_row"] = pd.array(frame["source_row"], dtype="Int64")
        frame["match_score"] = pd.to_numeric(frame["match_score"], errors="coerce").astype(float)
        return frame

    def read_lineage(self) -> pd.DataFrame:
        return self._read(self.tables.golden_lineage)

    def read_aliases(self) -> pd.DataFrame:
        """customer_id, survivor_id of every customer a merge retired (survivor_id may itself be
        retired later: `resolve_ids` follows the chain)."""
        return self._read(self.tables.customer_aliases, ("customer_id", "survivor_id"))

    def resolve_ids(self, customer_ids: Iterable[str]) -> dict[str, str]:
        """Each id as the live customer it is now: itself, or the customer it was merged into."""
        survivor = dict(self.read_aliases().itertuples(index=False))
        live = set(self._read(self.tables.customers, ("customer_id",))["customer_id"])
        survivor = {k: v for k, v in survivor.items() if k not in live}
        out = {}
        for customer_id in customer_ids:
            seen, now = {customer_id}, customer_id
            while now in survivor and survivor[now] not in seen:
                now = survivor[now]
                seen.add(now)
            out[customer_id] = now
        return out

    def integrity(self) -> tuple[int, int]:
        """(customers without a source row, source rows whose customer is not stored): both 0 in a
        store that only crmmigrate loads wrote, from cross-references."""
        c, x = self.tables.customers, self.tables.customer_sources
        with self._engine.connect() as conn:
            alone = conn.execute(
                sa.select(sa.func.count())
                .select_from(c)
                .where(~sa.exists().where(x.c.customer_id == c.c.customer_id))
            ).scalar_one()
            dangling = conn.execute(
                sa.select(sa.func.count())
                .select_from(x)
                .where(~sa.exists().where(c.c.customer_id == x.c.customer_id))
            ).scalar_one()
        return int(alone), int(dangling)

    def count_customers(self) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(self.tables.customers)).scalar_one()
            )

    def checksum(self, customer_ids: Iterable[str] | None = None) -> str:
        """The golden checksum of the stored customers (all, or only `customer_ids`): equal to
        `golden_checksum(golden)` when the store holds exactly that golden set's values."""
        ids = None if customer_ids is None else pd.Series(list(customer_ids), dtype=object)
        columns, table = list(CHECKSUM_COLUMNS), self.tables.customers
        with self._engine.connect() as conn:
            slices = read_rows_in_slices(conn, table, "customer_id", ids, columns, CHECKSUM_SLICE_ROWS)
            # typed values come back as the pipeline's text (`stored_texts`)
            return combined_checksum([text_digests(stored_texts(rows, columns)) for rows in slices])

    def runs(self) -> pd.DataFrame:
        """The run ledger, oldest first."""
        with self._engine.connect() as conn:
            return ledger.runs(conn)

    def forget(
        self, *, email: str | None = None, customer_id: str | None = None, dry_run: bool = False
    ) -> ForgetResult:
        """Erase a person from the store (records, lineage, before-images) and suppress them in later
        runs; one transaction, under the run lock. A dry run counts the same and changes nothing."""
        from .rollback import Undo

        with self.lock():
            try:
                with self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                    result = forget(conn, email=email, customer_id=customer_id)
                    if dry_run:
                        raise Undo(result)
                    return result
            except Undo as undone:
                return undone.result  # type: ignore[return-value]
            except self._db_errors as exc:
                raise self._error("forgetting failed and was undone", exc) from None

    def suppressions(self) -> pd.DataFrame:
        """kind, value_hash of every suppressed identifier (see `privacy.suppressed_mask`)."""
        return self._read(self.tables.suppressions, ("kind", "value_hash"))

    def rollback(self, run_id: str, *, dry_run: bool = False) -> LoadPlan:
        """Undo a run (see `rollback.rollback_run`); a dry run counts the same and changes nothing."""
        from .rollback import rollback_run

        with self.lock():
            try:
                return rollback_run(self._engine, run_id, dry_run=dry_run)
            except self._db_errors as exc:
                raise self._error("the rollback failed and was undone", exc) from None


def _loads(text: str) -> dict:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def open_store(store: str | StoreConfig) -> Store:
    """Connect to the store at a URL (any SQLAlchemy URL), or where a `StoreConfig` says (its URL,
    schema and table prefix), creating or upgrading its tables."""
    where = (StoreConfig(url=store) if isinstance(store, str) else store).resolved()
    parsed = normalise_url(str(where.url))
    if where.schema_name and parsed.get_backend_name() == "sqlite":
        raise StoreError(
            f"a SQLite store has no schemas (schema: {where.schema_name})",
            hint="leave `schema` out for SQLite; `table_prefix` names its tables apart",
        )
    engine = create_engine(parsed).execution_options(
        **{tables.OPTION: tables.define(where.table_prefix, where.schema_name)}
    )
    try:
        check_connection(engine)
        store = Store(engine)
        store.ensure_schema()
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise StoreError(
            f"cannot prepare the store ({describe(parsed)}): {scrub(str(exc.orig), parsed)}",
            hint="the store's user needs the right to create tables",
        ) from None
    except BaseException:
        engine.dispose()
        raise
    return store


__all__ = ["LoadResult", "Store", "open_store"]
