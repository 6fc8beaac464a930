"""Shared store fixtures: `store_url` runs a test on SQLite, PostgreSQL and MariaDB.

PostgreSQL and MariaDB come from $CRMMIGRATE_TEST_POSTGRES_URL and $CRMMIGRATE_TEST_MARIADB_URL
(CI sets both); without them those cases skip, saying which variable to set. Each test gets a
fresh PostgreSQL schema or MariaDB database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import settings
from sqlalchemy.engine import URL

from crmmigrate.store.engine import normalise_url

#: No property test is timed: speed is measured by benchmarks, and a busy CI machine must not fail
#: a test that is right (hypothesis' default deadline is 200 ms per example).
settings.register_profile("crmmigrate", deadline=None)
settings.load_profile("crmmigrate")

POSTGRES_ENV = "CRMMIGRATE_TEST_POSTGRES_URL"
MARIADB_ENV = "CRMMIGRATE_TEST_MARIADB_URL"


def _server_url(env: str) -> URL:
    """The server URL from `env`, with the driver a user's bare `mysql://` or `postgresql://` gets."""
    url = os.environ.get(env)
    if not url:
        pytest.skip(f"set {env} to run this test against a real server")
    return normalise_url(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new, empty schema."""
    base = _server_url(POSTGRES_ENV)
    schema = f"crm_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A MariaDB/MySQL URL pointing at a new, empty database."""
    base = _server_url(MARIADB_ENV)
    database = f"crm_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"))
    try:
        yield base.set(database=database).render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{database}`"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty store, once per database kind."""
    return request.getfixturevalue(f"{'postgres' if request.param == 'postgresql' else request.param}_url")


GoldenSet = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


def _golden_set(n: int = 6, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`n` golden customers, two source rows for each even one, and some field lineage."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:05d}" for i in range(n)]
    golden = pd.DataFrame(
        {
            "customer_id": ids,
            "household_id": [f"H{i // 2:05d}" for i in range(n)],
            "first_name": rng.choice(["Anna", "Jörg", "Zoë", None], n),
            "last_name": [f"Müller-{i}" for i in range(n)],
            "email": [f"p{i}@example.com" if i % 3 else None for i in range(n)],
            "phone": [f"+4930{1000000 + i}" for i in range(n)],
            "country": rng.choice(["DE", "FR", "GB"], n),
            "date_of_birth": [None if i % 2 else "1980-02-29" for i in range(n)],
            "loyalty_no": [f"L{i}" if i % 2 else np.nan for i in range(n)],  # a custom field
        }
    )
    rows = [(cid, 1 + (i % 2 == 0)) for i, cid in enumerate(ids)]
    xref = pd.DataFrame(
        [
            {
                "source": f"crm{k}",
                "source_row": i + 1,
                "source_key": f"K{i}",
                "customer_id": cid,
                "match_score": 1.0 if k == 0 else 0.93,
            }
            for i, (cid, members) in enumerate(rows)
            for k in range(members)
        ]
    )
    golden["member_count"] = xref.groupby("customer_id").size().reindex(ids).to_numpy()
    lineage = pd.DataFrame(
        {"customer_id": ids, "field": "email", "source": "crm0", "source_row": range(1, n + 1)}
    )
    return golden, xref, lineage


def _merged(golden: pd.DataFrame, xref: pd.DataFrame, absorbed: str, survivor: str) -> tuple:
    """The golden set and cross-reference of a rerun that found `absorbed` to be `survivor`."""
    xref = xref.assign(customer_id=xref["customer_id"].replace(absorbed, survivor))
    golden = golden[golden["customer_id"] != absorbed].copy()
    golden["member_count"] = golden["customer_id"].map(xref["customer_id"].value_counts())
    return golden, xref


@pytest.fixture
def merged() -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    """`merged(golden, xref, absorbed=..., survivor=...)`: a rerun's golden set and cross-reference
    in which one stored customer was found to be another."""
    return _merged


@pytest.fixture
def golden_set() -> Callable[..., GoldenSet]:
    """`golden_set(n=6, seed=7)`: golden records, their cross-reference and lineage, for store tests."""
    return _golden_set


@pytest.fixture
def own_schema(request: pytest.FixtureRequest, store_url: str) -> Iterator[str | None]:
    """A name for a schema (PostgreSQL) or database (MariaDB) that a store configured with it
    creates, dropped afterwards; None on SQLite, which has no schemas."""
    backend = sa.engine.make_url(store_url).get_backend_name()
    if backend == "sqlite":
        yield None
        return
    name = f"crm_own_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        engine = sa.create_engine(normalise_url(store_url))
        with engine.begin() as conn:
            if backend == "postgresql":
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()


@pytest.fixture(scope="session")
def spark_settings() -> object:
    """One small local Spark (2 cores, few shuffle partitions) for every Spark test of the session;
    skipped, saying what is missing, where PySpark or Java is not installed."""
    pytest.importorskip("pyspark", reason='the Spark engine tests need PySpark: pip install ".[spark]"')
    from crmmigrate.errors import ConfigError
    from crmmigrate.spark.session import require_spark, spark_session
    from crmmigrate.spark.settings import SparkSettings

    try:
        require_spark()
    except ConfigError as exc:
        pytest.skip(f"the Spark engine tests need Java: {exc}")
    settings = SparkSettings(
        master="local[2]",
        conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
        },
        partition_rows=200,
    )
    spark_session(settings)
    return settings


@pytest.fixture
def run_on_engine(tmp_path: Path, spark_settings: object) -> Callable[[Path, str], Path]:
    """Runs a config on one engine ("pandas" or "spark") into its own store and out/ under
    tmp_path/ENGINE, checks it ended balanced with exit code 0, and gives its out/ folder."""
    from crmmigrate.config import load_config
    from crmmigrate.pipeline import run

    def run_config(config_path: Path, engine: str) -> Path:
        config = load_config(config_path)
        config.engine, config.spark = engine, spark_settings  # type: ignore[assignment]
        config.store = f"sqlite:///{tmp_path / engine / 'crm.db'}"
        config.out = str(tmp_path / engine / "out")
        (tmp_path / engine).mkdir()
        result = run(config)
        assert result.exit_code == 0 and result.balanced
        return Path(config.out)

    return run_config
