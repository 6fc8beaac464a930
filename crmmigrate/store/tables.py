"""The store's tables, defined once with SQLAlchemy Core so SQLite, PostgreSQL and MariaDB get the
same shape. `SCHEMA_VERSION` is recorded in `crmmigrate_meta`; a later release that changes the
tables bumps it and adds an upgrade step to `UPGRADES`.

Every customer field is text: the golden set is already standardised (ISO dates, E.164 phones),
and text round-trips exactly on every database. MySQL needs a length on every VARCHAR, so each
field has one; values are checked against these limits before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .. import schema

SCHEMA_VERSION = 3

#: Timestamps keep microseconds everywhere (MySQL drops them unless asked), so runs sort in order.
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

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

metadata = sa.MetaData()

meta = sa.Table(
    "crmmigrate_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
    **_MYSQL,
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("household_id", sa.String(ID_LENGTH), index=True),
    *(sa.Column(f, sa.String(FIELD_LENGTHS.get(f, DEFAULT_LENGTH))) for f in schema.FIELDS),
    sa.Column("member_count", sa.Integer),
    sa.Column("extra", sa.Text),  # custom fields as canonical JSON text (sorted keys)
    sa.Column(RUN_COLUMN, sa.String(64), index=True),
    **_MYSQL,
)

#: The cross-reference: one row per source row *identity* (see `SOURCE_ID_LENGTH`), not per row
#: number, so a nightly file whose rows are numbered 1..N again, or a re-export that shifts rows,
#: adds or moves rows instead of overwriting another row's link (schema version 2).
customer_sources = sa.Table(
    "customer_sources",
    metadata,
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("source_id", sa.String(SOURCE_ID_LENGTH), primary_key=True),
    sa.Column("source_row", sa.BigInteger, nullable=False),  # in the file of the run that wrote it
    sa.Column("source_key", sa.Text),  # legacy keys can be of any length
    sa.Column("customer_id", sa.String(ID_LENGTH), nullable=False, index=True),
    sa.Column("match_score", sa.Double),
    sa.Column(RUN_COLUMN, sa.String(64), index=True),
    **_MYSQL,
)

#: Where each golden value came from: the source row in the file of the run that chose the value
#: (a row number, like the lineage of staged rows; the cross-reference maps identities).
golden_lineage = sa.Table(
    "golden_lineage",
    metadata,
    sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("source_row", sa.BigInteger, nullable=False),
    **_MYSQL,
)

#: Customers a merge retired: their id, the customer they were merged into, and the run that did
#: it (`RUN_COLUMN`), so that systems holding the old id can follow it (`Store.resolve_ids`). A
#: retired id is in this table and not in `customers` (schema version 3).
customer_aliases = sa.Table(
    "customer_aliases",
    metadata,
    sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("survivor_id", sa.String(ID_LENGTH), nullable=False, index=True),
    sa.Column(RUN_COLUMN, sa.String(64), index=True),  # the run that retired it
    **_MYSQL,
)

load_runs = sa.Table(
    "load_runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("started", Timestamp, nullable=False),
    sa.Column("finished", Timestamp),
    sa.Column("status", sa.String(16), nullable=False),  # running, succeeded, failed, rolled_back
    sa.Column("counts", sa.Text),  # JSON: {table: {inserts, updates, unchanged}}
    sa.Column("config_hash", sa.String(64)),
    sa.Column("forced", sa.Boolean, nullable=False, default=False),
    sa.Column("tool_version", sa.String(32)),
    sa.Column("detail", sa.Text),  # why a run failed (masked), or what rolled it back
    **_MYSQL,
)

#: Before-images of the rows a run updated (JSON of the whole stored row), and the run that had
#: written that row before (`prior_run_id`), so a rollback can tell when later runs depend on a run.
customer_history = sa.Table(
    "customer_history",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True, index=True),
    sa.Column("prior_run_id", sa.String(64), index=True),
    sa.Column("before_image", sa.Text),
    **_MYSQL,
)

source_history = sa.Table(
    "source_history",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("source_id", sa.String(SOURCE_ID_LENGTH), primary_key=True),
    sa.Column("prior_run_id", sa.String(64), index=True),
    sa.Column("before_image", sa.Text),
    **_MYSQL,
)

#: The field lineage a run replaced, per customer: JSON of {field: [source, source_row]} as it was
#: before the run (`{}` when the customer had none), so a rollback puts the lineage back too.
lineage_history = sa.Table(
    "lineage_history",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(ID_LENGTH), primary_key=True, index=True),
    sa.Column("before_image", sa.Text),
    **_MYSQL,
)

#: People erased with `forget`: only sha256 digests of their identifiers, so the list that keeps
#: them out of later runs holds no personal data itself. kind: email, source_key or customer_id.
suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value_hash", sa.String(64), primary_key=True),
    sa.Column("added", Timestamp, nullable=False),
    **_MYSQL,
)


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


#: Upgrade steps: UPGRADES[n] brings a store at version n to n + 1 (run inside the store lock).
#: Tables new in a version are created before the steps run.
UPGRADES: dict[int, Callable[[sa.Connection], None]] = {1: _key_sources_by_identity, 2: _retire_orphans}


def text_limits(table: sa.Table) -> dict[str, int]:
    """Column -> maximum length, for the VARCHAR columns of `table`."""
    return {
        c.name: c.type.length
        for c in table.columns
        if isinstance(c.type, sa.String) and not isinstance(c.type, sa.Text) and c.type.length
    }
