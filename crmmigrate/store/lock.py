"""One run at a time per store.

The lock must vanish with its holder, even after `kill -9`, or a crashed run would block every
later one: PostgreSQL advisory locks and MySQL `GET_LOCK` belong to a session the server ends
when the client dies, and for a SQLite file an OS lock on `<file>.lock` is released by the OS.

A run holds the lock from before it reads the store (its cross-reference, its suppression list)
to its end: a second run that matched against a cross-reference read before the first one
loaded could give a customer the first run just added a second customer_id.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa

from ..errors import StoreError

POLL_S = 0.1


class Lock(Protocol):
    def acquire(self, timeout_s: float) -> bool: ...

    def release(self) -> None: ...


def busy_error(where: str, timeout_s: float, holder: str | None = None) -> StoreError:
    by = f": {holder}" if holder else ""
    return StoreError(
        f"another crmmigrate run is running on this store ({where}){by}; gave up after {timeout_s:g} s",
        hint="wait for the other run to finish, then run again, or give --wait SECONDS "
        "(`crmmigrate runs` lists the runs that have reached the load)",
    )


def _wait(try_once: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + max(timeout_s, 0.0)
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


def _release_session_lock(lock: PostgresLock | MySqlLock, sql: str, params: dict) -> None:
    """Unlock on the session that holds a server lock, then end that session."""
    if lock._conn is not None:
        lock._conn.execute(sa.text(sql), params)
        lock._conn.commit()
        lock._conn.close()
        lock._conn = None


class PostgresLock:
    """A session-level advisory lock keyed on the database, the store's schema (its own, or the
    search_path's) and its table prefix."""

    def __init__(self, engine: sa.Engine, schema: str | None = None, prefix: str = "") -> None:
        self._engine = engine
        self._conn: sa.Connection | None = None
        self._key = 0
        self._schema = schema
        self._prefix = prefix

    def acquire(self, timeout_s: float) -> bool:
        conn = self._engine.connect()
        where = conn.execute(
            sa.text("SELECT current_database() || '.' || coalesce(:schema, current_schema())"),
            {"schema": self._schema},
        ).scalar()
        digest = hashlib.sha256(f"crmmigrate:{where}{_scope(self._prefix)}".encode()).digest()
        self._key = int.from_bytes(digest[:8], "big", signed=True)

        def try_once() -> bool:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar()
            conn.commit()
            return bool(got)

        if _wait(try_once, timeout_s):
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        _release_session_lock(self, "SELECT pg_advisory_unlock(:k)", {"k": self._key})


class MySqlLock:
    """A named `GET_LOCK` per database (the store's own, or the URL's) and table prefix."""

    def __init__(self, engine: sa.Engine, schema: str | None = None, prefix: str = "") -> None:
        self._engine = engine
        self._conn: sa.Connection | None = None
        self._name = ""
        self._schema = schema
        self._prefix = prefix

    def acquire(self, timeout_s: float) -> bool:
        conn = self._engine.connect()
        database = self._schema or conn.execute(sa.text("SELECT DATABASE()")).scalar() or ""
        name = f"crmmigrate:{database}{_scope(self._prefix)}"
        self._name = (
            name if len(name) <= 64 else "crmmigrate:" + hashlib.sha256(name.encode()).hexdigest()[:40]
        )
        got = conn.execute(
            sa.text("SELECT GET_LOCK(:n, :t)"), {"n": self._name, "t": max(timeout_s, 0)}
        ).scalar()
        conn.commit()
        if got == 1:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        _release_session_lock(self, "SELECT RELEASE_LOCK(:n)", {"n": self._name})


class FileLock:
    """An exclusive OS lock on a file beside the SQLite database.

    Whether the OS refuses a second lock taken by the same process depends on the file system
    (flock over NFS, for one, becomes a per-process POSIX lock that a second `open` shares and any
    `close` drops), so the lock files this process holds are also kept in `_HELD`: a second
    Store in the same process waits like another process would, and never opens (nor closes) the
    file while the first holds it.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._key = os.path.normcase(os.path.realpath(path))
        self._file: IO[bytes] | None = None

    def acquire(self, timeout_s: float) -> bool:
        return _wait(self._try_once, timeout_s)

    def _try_once(self) -> bool:
        with _HELD_GUARD:
            if self._key in _HELD:
                return False  # another Store of this process holds it
            _HELD.add(self._key)
        try:
            handle = open(self._path, "a+b")  # noqa: SIM115 - held open while locked
        except BaseException:
            _forget(self._key)
            raise  # the lock file cannot be opened at all: not a busy store
        try:
            _lock_file(handle)
        except BaseException as exc:
            handle.close()
            _forget(self._key)
            if isinstance(exc, OSError):
                return False  # another process holds it
            raise
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        try:
            _unlock_file(handle)
        finally:
            handle.close()
            _forget(self._key)


#: Real paths of the lock files this process holds (see FileLock).
_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


def _forget(key: str) -> None:
    with _HELD_GUARD:
        _HELD.discard(key)


if hasattr(os, "register_at_fork"):  # a forked child holds none of its parent's locks
    os.register_at_fork(after_in_child=_HELD.clear)


class ThreadLock:
    """For in-memory SQLite, which only this process can see."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, timeout_s: float) -> bool:
        return self._lock.acquire(timeout=max(timeout_s, 0.001))

    def release(self) -> None:
        self._lock.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_file(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _scope(prefix: str) -> str:
    """Stores told apart by their table prefix in one schema lock apart (none: as before prefixes)."""
    return f":{prefix}" if prefix else ""


def lock_for(engine: sa.Engine, schema: str | None = None, prefix: str = "") -> Lock:
    """The lock that fits the store's database. A SQLite file has one lock whatever the prefix
    of its tables: SQLite lets one writer at a time into a file anyway."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        return PostgresLock(engine, schema, prefix)
    if backend in ("mysql", "mariadb"):
        return MySqlLock(engine, schema, prefix)
    database = engine.url.database
    if (
        backend == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file::memory")
    ):
        # the real path: a symlink or another spelling of the path must find the same lock
        return FileLock(Path(os.path.realpath(database) + ".lock"))
    return ThreadLock()
