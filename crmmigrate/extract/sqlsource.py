"""A table or query from any database SQLAlchemy can reach (`path: postgresql://...`).

A table name is quoted by SQLAlchemy (never pasted into SQL text); `schema.table` is accepted.
A query is run as written; it comes from the config, never from the data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .chunk import RawChunk
from .text import dedupe_names, frame_text


def redact(url: str) -> str:
    """The URL without its password or secret query values, for messages."""
    from ..store.engine import mask_url

    return mask_url(url)


@dataclass
class SqlReader:
    url: str
    table: str | None = None
    query: str | None = None

    def _engine(self) -> Any:
        """An engine for the source, its URL read as the store's is (`mysql://` takes the
        shipped PyMySQL driver, `postgresql://` psycopg 3)."""
        import sqlalchemy as sa

        from ..errors import StoreError
        from ..store.engine import normalise_url, scrub

        try:
            url = normalise_url(self.url)
        except StoreError as exc:
            raise InputError(exc.message, file=redact(self.url), hint=exc.hint) from None
        try:
            return sa.create_engine(url)
        except Exception as exc:
            message = scrub(f"{type(exc).__name__}: {exc}", url)
            raise InputError(f"not a usable database URL ({message})", file=redact(self.url)) from None

    def _statement(self, engine: Any) -> Any:
        import sqlalchemy as sa

        if bool(self.table) == bool(self.query):
            raise InputError("a SQL source needs exactly one of `table:` or `query:`", file=redact(self.url))
        if self.query:
            return sa.text(self.query)
        schema, _, name = self.table.rpartition(".")
        try:
            table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=engine)
        except sa.exc.NoSuchTableError:
            names = sa.inspect(engine).get_table_names(schema=schema or None)
            raise InputError(
                f"no table {self.table!r} in the database",
                file=redact(self.url),
                hint=f"tables: {', '.join(names[:30]) or '(none)'}",
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise InputError(
                f"cannot reach the database ({type(exc).__name__})", file=redact(self.url)
            ) from None
        return sa.select(table)

    def columns(self) -> list[str]:
        import sqlalchemy as sa

        engine = self._engine()
        try:
            statement = self._statement(engine)
            with engine.connect() as conn:
                # a server-side cursor: the column names come without fetching the rows
                result = conn.execution_options(stream_results=True).execute(
                    statement if self.query else statement.limit(0)
                )
                names = list(result.keys())
                result.close()
                return dedupe_names(names)
        except sa.exc.SQLAlchemyError as exc:
            raise self._query_failed(exc) from None
        finally:
            engine.dispose()

    def _query_failed(self, exc: Exception) -> InputError:
        from ..store.engine import normalise_url, scrub

        first_line = scrub((str(exc).splitlines() or [""])[0], normalise_url(self.url))
        return InputError(
            f"the database query failed ({type(exc).__name__}: {first_line})", file=redact(self.url)
        )

    def chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        import sqlalchemy as sa

        engine = self._engine()
        number = 0
        try:
            statement = self._statement(engine)
            with engine.connect() as conn:
                conn = conn.execution_options(stream_results=True)
                result = conn.execute(statement)
                header = dedupe_names(list(result.keys()))
                while rows := result.fetchmany(chunk_rows):
                    frame = frame_text(pd.DataFrame.from_records(rows, columns=header))
                    yield RawChunk(frame, np.arange(number + 1, number + 1 + len(frame), dtype=np.int64))
                    number += len(frame)
                if number == 0:
                    yield RawChunk(pd.DataFrame(columns=header, dtype=object), np.zeros(0, dtype=np.int64))
        except sa.exc.SQLAlchemyError as exc:
            raise self._query_failed(exc) from None
        finally:
            engine.dispose()
