"""The nightly audit: the same rules, run on the customers table of the live CRM store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..errors import StoreError
from .report import ValidationReport
from .rules import load_rules
from .runner import run_rules


def _safe_url(url: str) -> tuple[str, str]:
    """The URL with its password hidden, and `host:port` (for messages)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    host = parsed.host or "localhost"
    where = f"{host}:{parsed.port}" if parsed.port else (parsed.host or parsed.database or "")
    return parsed.render_as_string(hide_password=True), where


def _scrub(text: str, url: str) -> str:
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    return text.replace(str(password), "***") if password else text


def read_store_table(url: str, table: str = "customers", schema: str | None = None) -> pd.DataFrame:
    """The whole table as a DataFrame; every failure is a StoreError without the password."""
    import sqlalchemy as sa

    try:
        safe, where = _safe_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreError(
            "not a valid store URL", hint="use a SQLAlchemy URL such as postgresql+psycopg://user@host/db"
        ) from exc
    from ..store.engine import normalise_url

    try:
        engine = sa.create_engine(normalise_url(url))  # `mysql://` as for --store: the shipped drivers
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"cannot use store {safe}: {_scrub(str(exc), url)}") from None
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(table, schema=schema):
                name = f"{schema}.{table}" if schema else table
                raise StoreError(
                    f"the store {safe} has no table {name!r}",
                    hint="load the golden records first (crmmigrate load)",
                )
            return pd.read_sql_table(table, connection, schema=schema)
    except sa.exc.SQLAlchemyError as exc:
        detail = _scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url)
        raise StoreError(
            f"cannot read the store at {where} ({safe}): {detail}",
            hint="check that the database server is running and the URL is right",
        ) from None
    finally:
        engine.dispose()


def audit_store(
    url: str,
    rules: Sequence[str | Path],
    *,
    table: str = "customers",
    schema: str | None = None,
    base_dir: Path | None = None,
    now: datetime | None = None,
) -> ValidationReport:
    """Validate the store's customers table (the nightly audit); rules are checked first."""
    parsed = load_rules(rules, base_dir=base_dir)
    return run_rules(read_store_table(url, table, schema), parsed, now=now)
