"""The store's tables, defined once with SQLAlchemy Core so SQLite, PostgreSQL and MariaDB get the
same shape. `SCHEMA_VERSION` is recorded in the meta table; a later release that changes the
tables bumps it and adds an upgrade step to `UPGRADES`.

A store may live in a schema of its own (a PostgreSQL schema, a MariaDB/MySQL database) and give
its tables a prefix (`crm_customers`): `define(prefix, schema)` builds that store's tables. A
`Store` hands them to every query through its connections (`of(conn)`), so the lock holder, the
ledger, loads, rollback, forget and reconcile all use the same ones.

Customer fields are text (the golden set is standardised: E.164 phones, ISO codes) except the
dates, stored typed (schema version 4):

- `date_of_birth`: DATE;
- `created_at`, `updated_at`: a moment in UTC: TIMESTAMP WITH TIME ZONE on PostgreSQL,
  DATETIME(6) holding UTC on MariaDB/MySQL; a time with an offset is converted to UTC, a time
  without one is taken as UTC;
- `extra` (custom fields): JSONB on PostgreSQL, JSON on MariaDB/MySQL (LONGTEXT checked with
  JSON_VALID).

SQLite has no such types: it holds ISO 8601 text and JSON text in columns declared DATE,
TIMESTAMP and JSON. Whatever the database, values are read back as the pipeline writes them
(`values.stored_text`): `1980-02-29`, `2019-08-02T18:45:00` (a time at midnight as the date alone),
canonical JSON. MySQL needs a length on every VARCHAR, so each text field has one; values are
checked against these limits before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .. import schema

SCHEMA_VERSION = 5

#: Timestamps keep microseconds everywhere (MySQL drops them unless asked), so runs sort in order.
#: The ledger's and suppression list's times are UTC, as timestamptz on PostgreSQL.
Timestamp = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class Declared(sa.types.UserDefinedType):
    """A column type named in DDL only: values go to and come from the driver as they are (text
    in, the driver's date, datetime or dict out), and `values` turns them into the pipeline's
    text in one place. SQLAlchemy's own Date or JSON types would convert them again on the way
    (a JSON type encodes a text value a second time)."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **_kw: object) -> str:
        return self.name


def _typed(sqlite: str, postgresql: str, mysql_: str) -> sa.types.TypeEngine:
    return (
        Declared(sqlite)
        .with_variant(Declared(postgresql), "postgresql")
        .with_variant(Declared(mysql_), "mysql", "mariadb")
    )


#: The typed customer columns (schema version 4) and the type each has per database.
DATE_COLUMNS = ("date_of_birth",)
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
JSON_COLUMNS = ("extra",)
COLUMN_TYPES = {
    "date_of_birth": ("DATE", "DATE", "DATE"),
    "created_at": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATETIME(6)"),
    "updated_at": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATETIME(6)"),
    "extra": ("JSON", "JSONB", "JSON"),
}

#: Tables are binary-collated on MySQL/MariaDB so keys compare exactly ('ABC' != 'abc').
_MYSQL = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

ID_LENGTH = 64
#: A source row's identity (`source_id`): its legacy key, or `#<source_row>` without one, or
#: `sha256:<hex>` of a key longer than this. Bounded because it is part of primary keys, and
#: MariaDB/MySQL (3072 bytes per key, 4 per utf8mb4 character) and PostgreSQL (~2700 bytes per
#: B-tree entry) limit those; 255 keeps source_history's key (run_id, source, source_id) at
#: 1676 bytes on MariaDB.
SOURCE_ID_LENGTH = 255
DEFAULT_LENGTH = schema.DEFAULT_MAX_LENGTH
FIELD_LENGTHS = schema.FIELD_MAX_LENGTH

#: The run that last inserted or updated a row: bookkeeping, never compared or checksummed.
#: A rollback finds the rows a run inserted by it, so inserts need no per-row history.
RUN_COLUMN = "last_run_id"

#: The execution option under which a Store's engine carries its tables (see `of`).
OPTION = "crmmigrate_tables"


def _field(name: str) -> sa.Column:
    if name in COLUMN_TYPES:
        return sa.Column(name, _typed(*COLUMN_TYPES[name]))
    return sa.Column(name, sa.String(FIELD_LENGTHS.get(name, DEFAULT_LENGTH)))


@dataclass(frozen=True)
class StoreTables:
    """One store's tables, named with its prefix, in its schema."""

    prefix: str
    schema: str | None
    metadata: sa.MetaData
    meta: sa.Table
    customers: sa.Table
    customer_sources: sa.Table
    golden_lineage: sa.Table
    customer_aliases: sa.Table
    load_runs: sa.Table
    customer_history: sa.Table
    source_history: sa.Table
    lineage_history: sa.Table
    suppressions: sa.Table


def define(prefix: str = "", schema_name: str | None = None) -> StoreTables:
    """The store's tables with `prefix` before every name, in `schema_name` (None: the
    connection's default schema or database). Names are checked by the config (`StoreConfig`)."""
    metadata = sa.MetaData(schema=schema_name)

    def table(name: str, *columns: sa.Column, **options: object) -> sa.Table:
        return sa.Table(prefix + name, metadata, *columns, info={"name": name}, **_MYSQL, **options)

    return StoreTables(
        prefix=prefix,
        schema=schema_name,
        metadata=metadata,
        meta=table(
            "crmmigrate_meta",
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(255), nullable=False),
        ),
        customers=table(
            "customers",
            sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("household_id", sa.String(ID_LENGTH), index=True),
            *(_field(f) for f in schema.FIELDS),
            sa.Column("member_count", sa.Integer),
            _field("extra"),  # custom fields as canonical JSON (sorted keys)
            sa.Column(RUN_COLUMN, sa.String(64), index=True),
        ),
        # The cross-reference: one row per source row *identity* (see `SOURCE_ID_LENGTH`), not per
        # row number, so a nightly file whose rows are numbered 1..N again, or a re-export that
        # shifts rows, adds or moves rows instead of overwriting another row's link (version 2).
        customer_sources=table(
            "customer_sources",
            sa.Column("source", sa.String(100), primary_key=True),
            sa.Column("source_id", sa.String(SOURCE_ID_LENGTH), primary_key=True),
            sa.Column("source_row", sa.BigInteger, nullable=False),  # in the file of the run that wrote it
            sa.Column("source_key", sa.Text),  # legacy keys can be of any length
            sa.Column("customer_id", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column("match_score", sa.Double),
            sa.Column(RUN_COLUMN, sa.String(64), index=True),
        ),
        # Where each golden value came from: the source row in the file of the run that chose the
        # value (a row number, like the lineage of staged rows; the cross-reference maps identities).
        # On SQLite a WITHOUT ROWID table (version 5): its rows live in the primary key's B-tree
        # instead of a table and a key index, the biggest table ~45% smaller and its inserts faster.
        golden_lineage=table(
            "golden_lineage",
            sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("field", sa.String(64), primary_key=True),
            sa.Column("source", sa.String(100), nullable=False),
            sa.Column("source_row", sa.BigInteger, nullable=False),
            sqlite_with_rowid=False,
        ),
        # Customers a merge retired: their id, the customer they were merged into, and the run that
        # did it (`RUN_COLUMN`), so that systems holding the old id can follow it
        # (`Store.resolve_ids`). A retired id is here and not in `customers` (version 3).
        customer_aliases=table(
            "customer_aliases",
            sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("survivor_id", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column(RUN_COLUMN, sa.String(64), index=True),  # the run that retired it
        ),
        load_runs=table(
            "load_runs",
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("started", Timestamp, nullable=False),
            sa.Column("finished", Timestamp),
            sa.Column("status", sa.String(16), nullable=False),  # running, succeeded, failed, rolled_back
            sa.Column("counts", sa.Text),  # JSON: {table: {inserts, updates, unchanged}}
            sa.Column("config_hash", sa.String(64)),
            sa.Column("forced", sa.Boolean, nullable=False, default=False),
            sa.Column("tool_version", sa.String(32)),
            sa.Column("detail", sa.Text),  # why a run failed (masked), or what rolled it back
        ),
        # Before-images of the rows a run updated (JSON text of the whole stored row, values as
        # `values.stored_text` gives them), and the run that had written that row before
        # (`prior_run_id`), so a rollback can tell when later runs depend on a run. Text, not JSON:
        # crmmigrate's own undo log, read whole, and searched as written by `forget`.
        customer_history=table(
            "customer_history",
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True, index=True),
            sa.Column("prior_run_id", sa.String(64), index=True),
            sa.Column("before_image", sa.Text),
        ),
        source_history=table(
            "source_history",
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("source", sa.String(100), primary_key=True),
            sa.Column("source_id", sa.String(SOURCE_ID_LENGTH), primary_key=True),
            sa.Column("prior_run_id", sa.String(64), index=True),
            sa.Column("before_image", sa.Text),
        ),
        # The field lineage a run replaced, per customer: JSON of {field: [source, source_row]} as
        # it was before the run (`{}` when the customer had none), so a rollback puts it back too.
        lineage_history=table(
            "lineage_history",
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True, index=True),
            sa.Column("before_image", sa.Text),
        ),
        # People erased with `forget`: only sha256 digests of their identifiers, so the list that
        # keeps them out of later runs holds no personal data itself. kind: email, source_key, ...
        suppressions=table(
            "suppressions",
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("value_hash", sa.String(64), primary_key=True),
            sa.Column("added", Timestamp, nullable=False),
        ),
    )


#: The tables of a store without prefix or schema (and the shape every store has).
DEFAULT = define()
metadata = DEFAULT.metadata
meta = DEFAULT.meta
customers = DEFAULT.customers
customer_sources = DEFAULT.customer_sources
golden_lineage = DEFAULT.golden_lineage
customer_aliases = DEFAULT.customer_aliases
load_runs = DEFAULT.load_runs
customer_history = DEFAULT.customer_history
source_history = DEFAULT.source_history
lineage_history = DEFAULT.lineage_history
suppressions = DEFAULT.suppressions


def of(conn: sa.Connection | sa.Engine) -> StoreTables:
    """The tables of the store `conn` belongs to (its prefix and schema); `DEFAULT` for a
    connection that did not come from a `Store`."""
    return conn.get_execution_options().get(OPTION, DEFAULT)


def name_of(table: sa.Table) -> str:
    """The table's name without the store's prefix (`customers`): what plans and reports call it."""
    return table.info.get("name", table.name)


def data_columns(table: sa.Table) -> tuple[str, ...]:
    """The columns a load compares and writes (all but the `RUN_COLUMN` bookkeeping)."""
    return tuple(c.name for c in table.columns if c.name != RUN_COLUMN)


CUSTOMER_COLUMNS = data_columns(customers)


def _key_sources_by_identity(conn: sa.Connection) -> None:
    from .upgrades import key_sources_by_identity

    key_sources_by_identity(conn)


def _retire_orphans(conn: sa.Connection) -> None:
    from .upgrades import retire_orphans

    retire_orphans(conn)


def _type_columns(conn: sa.Connection) -> None:
    from .upgrades import type_columns

    type_columns(conn)


def _lineage_without_rowid(conn: sa.Connection) -> None:
    from .upgrades import lineage_without_rowid

    lineage_without_rowid(conn)


#: Upgrade steps: UPGRADES[n] brings a store at version n to n + 1 (run inside the store lock).
#: Tables new in a version are created before the steps run.
UPGRADES: dict[int, Callable[[sa.Connection], None]] = {
    1: _key_sources_by_identity,
    2: _retire_orphans,
    3: _type_columns,
    4: _lineage_without_rowid,
}


def text_limits(table: sa.Table) -> dict[str, int]:
    """Column -> maximum length, for the VARCHAR columns of `table`."""
    return {
        c.name: c.type.length
        for c in table.columns
        if isinstance(c.type, sa.String) and not isinstance(c.type, sa.Text) and c.type.length
    }
