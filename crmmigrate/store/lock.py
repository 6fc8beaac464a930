"""One run at a time per store.

The lock must vanish with its holder, even after `kill -9`, or a crashed run would block every
later one: PostgreSQL advisory locks and MySQL `GET_LOCK` belong to a session the server ends
when the client dies, and for a SQLite file an OS lock on `<file>.lock` is released by the OS.
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


def busy_error(where: str, timeout_s: float) -> StoreError:
    return StoreError(
        f"another crmmigrate run is loading into this store ({where}); gave up after {timeout_s:g} s",
        hint="wait for the other run to finish (see `crmmigrate runs`), then run again",
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
    """A session-level advisory lock keyed on the database and schema (search_path)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._conn: sa.Connection | None = None
        self._key = 0

    def acquire(self, timeout_s: float) -> bool:
        conn = self._engine.connect()
        where = conn.execute(sa.text("SELECT current_database() || '.' || current_schema()")).scalar()
        digest = hashlib.sha256(f"crmmigrate:{where}".encode()).digest()
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
    """A named `GET_LOCK` per database."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._conn: sa.Connection | None = None
        self._name = ""

    def acquire(self, timeout_s: float) -> bool:
        conn = self._engine.connect()
        database = conn.execute(sa.text("SELECT DATABASE()")).scalar() or ""
        name = f"crmmigrate:{database}"
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
    """An exclusive OS lock on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    def acquire(self, timeout_s: float) -> bool:
        handle = open(self._path, "a+b")  # noqa: SIM115 - held open while locked

        def try_once() -> bool:
            try:
                _lock_file(handle)
            except OSError:
                return False
            return True

        if _wait(try_once, timeout_s):
            self._file = handle
            return True
        handle.close()
        return False

    def release(self) -> None:
        if self._file is not None:
            _unlock_file(self._file)
            self._file.close()
            self._file = None


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


def lock_for(engine: sa.Engine) -> Lock:
    """The lock that fits the store's database."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        return PostgresLock(engine)
    if backend in ("mysql", "mariadb"):
        return MySqlLock(engine)
    database = engine.url.database
    if (
        backend == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file::memory")
    ):
        return FileLock(Path(os.path.abspath(database) + ".lock"))
    return ThreadLock()
