"""Store URLs: choosing the driver, masking passwords, and connecting with errors a person can act on.

A password never leaves this module in clear: every message, log line and report shows the URL
through `mask_url`, and driver messages are scrubbed of the password before they are shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ..errors import StoreError

#: Bare schemes -> the driver this tool ships with (psycopg 3 and PyMySQL).
DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
SECRET_QUERY_KEYS = ("password", "passwd", "secret", "token", "sslpassword")
SQLITE_BUSY_TIMEOUT_S = 30.0
SQLITE_CACHE_KIB = 64 * 1024


def _mask_userinfo(url: str) -> str:
    """`scheme://user:***@host...`: everything between the user's colon and the LAST @ before
    the path is the password, so an unencoded @ in it does not leak its tail as a host."""
    head, sep, rest = url.partition("://")
    if not sep:
        return url
    authority_end = len(rest)
    for stop in ("/", "?", "#"):
        found = rest.find(stop, rest.rfind("@") + 1 if "@" in rest else 0)
        if found >= 0:
            authority_end = min(authority_end, found)
    at = rest.rfind("@", 0, authority_end)
    if at < 0 or ":" not in rest[:at]:
        return url
    user = rest[:at].split(":", 1)[0]
    return f"{head}://{user}:***{rest[at:]}"


def _mask_query(url: str) -> str:
    base, sep, query = url.partition("?")
    if not sep:
        return url
    parts = []
    for item in query.split("&"):
        key, eq, _ = item.partition("=")
        parts.append(f"{key}=***" if eq and key.lower() in SECRET_QUERY_KEYS else item)
    return base + "?" + "&".join(parts)


def mask_url(url: str | URL) -> str:
    """The URL with its password (and any secret query value) replaced by `***`."""
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
    return _mask_query(_mask_userinfo(text))


def normalise_url(url: str) -> URL:
    """Parse `url` and pick the shipped driver for bare `postgresql://`, `mysql://`, `mariadb://`."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"not a store URL: {mask_url(url)!r}",
            hint="use e.g. sqlite:///crm.db, postgresql://user@host/db or mysql://user@host/db",
        ) from exc
    except ValueError as exc:  # SQLAlchemy reads the port with int()
        raise StoreError(
            f"not a store URL: {mask_url(url)!r}: the port after the host must be a number",
            hint="e.g. postgresql://user@db.example.com:5432/crm",
        ) from exc
    driver = DRIVERS.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def describe(url: URL) -> str:
    """`postgresql at db.example.com:5432/crm`: where the store is, without any credentials."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite file {url.database or ':memory:'}"
    port = url.port or {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}.get(backend, "")
    return f"{backend} at {url.host or 'localhost'}:{port}/{url.database or ''}"


def scrub(message: str, url: URL) -> str:
    """A driver message with the password (if any) removed, shortened to its first lines."""
    secrets = [str(url.password)] if url.password else []
    secrets += [str(v) for k, v in url.query.items() if k.lower() in SECRET_QUERY_KEYS and v]
    for secret in secrets:
        message = message.replace(secret, "***")
    lines = [line for line in message.strip().splitlines() if line.strip()][:3]
    text = " ".join(line.strip() for line in lines)
    return text if len(text) <= 400 else text[:397] + "..."


def create_engine(url: URL) -> sa.Engine:
    """An engine with the transaction behaviour the loader relies on, on every backend."""
    kwargs: dict[str, Any] = {"future": True}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)  # as `out:` is
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder of the SQLite store {database}: {exc.strerror or exc}",
                    hint="check the path in `store:` (or --store)",
                ) from None
    try:
        engine = sa.create_engine(url, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError, ArgumentError) as exc:
        raise StoreError(
            f"no database driver for {url.drivername!r} ({mask_url(url)})",
            hint="supported: sqlite, postgresql (psycopg 3), mysql/mariadb (PyMySQL)",
        ) from exc
    if url.get_backend_name() == "sqlite":
        _explicit_sqlite_transactions(engine)
    if url.get_backend_name() == "postgresql":
        _utc_sessions(engine)
    return engine


def _utc_sessions(engine: sa.Engine) -> None:
    """PostgreSQL reads a time without an offset in the session's zone and shows timestamptz
    values in it: the store's sessions run in UTC, so the UTC times it holds go in and come back
    as they are, whatever the server's default zone."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()


def _explicit_sqlite_transactions(engine: sa.Engine) -> None:
    """pysqlite starts transactions lazily, so reads before the first write would fall outside the
    load's transaction; SQLAlchemy's documented recipe makes BEGIN explicit instead."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")  # B-tree pages of big loads

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def check_connection(engine: sa.Engine) -> None:
    """Connect once, so a wrong host, port or password fails here with a clear StoreError."""
    url = engine.url
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        raise StoreError(
            f"cannot connect to the store ({describe(url)}): {scrub(str(exc.orig), url)}",
            hint="check the host, port, database name and credentials of the store URL "
            "(the password can come from $CRMMIGRATE_STORE_URL)",
        ) from None
    except (AttributeError, KeyError, LookupError, TypeError, ValueError) as exc:
        # A driver that chokes on an option of the URL (PyMySQL on an unknown `charset=`).
        options = ", ".join(f"{k}={v}" for k, v in url.query.items() if k.lower() not in SECRET_QUERY_KEYS)
        raise StoreError(
            f"cannot connect to the store ({describe(url)}): the driver refused the URL's options "
            f"({options or 'none'}): {scrub(f'{type(exc).__name__}: {exc}', url)}",
            hint="check the options after `?` in the store URL (e.g. charset=utf8mb4)",
        ) from None
