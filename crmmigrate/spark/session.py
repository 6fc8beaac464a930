"""The Spark session of a run: from the `spark:` settings, with what the engine relies on set.

Python work inside a Spark task runs on one core: Spark already runs one task per core, so the
standardise process pool and rapidfuzz's threads would otherwise oversubscribe every executor
(`CRMMIGRATE_WORKERS=1` in the executors' environment; `task_workers` reads it).

Shuffles are sized to the data (`size_shuffles`): Spark's default of 200 partitions per shuffle
suits a cluster's gigabytes, but each task has a fixed cost (a Python worker's batch, a
scheduler round), and on a few hundred thousand rows 200 tasks a shuffle are most of the work.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Environment variable that caps the processes and threads one task's Python work uses.
WORKERS_ENV = "CRMMIGRATE_WORKERS"

#: Partitions of each shuffle; the engine sizes it to the data unless a run's conf sets it.
SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"

#: Conf the engine needs (a user's `spark.conf` may override any of it).
ENGINE_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    f"spark.executorEnv.{WORKERS_ENV}": "1",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}


def require_spark() -> None:
    """PySpark and Java are there, or a ConfigError saying what to install."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError(
            "the Spark engine needs PySpark, which is not installed",
            hint='pip install "crmmigrate[spark]" (and Java 17), or run with --engine pandas',
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ConfigError(
            "the Spark engine needs Java (17), which was not found (no JAVA_HOME, no java on PATH)",
            hint="install a Java 17 runtime (e.g. apt install openjdk-17-jre-headless) or set JAVA_HOME",
        )


def spark_session(settings: SparkSettings) -> SparkSession:
    """The session of `settings.master` (an existing one with the same master is reused)."""
    require_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    if settings.master.startswith("local"):  # this machine's tasks run this interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**ENGINE_CONF, **settings.conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")  # a run's own lines say how it goes
    return spark


def task_workers() -> int:
    """Workers one task may use: 1 inside a Spark task, else every core (-1 for rapidfuzz)."""
    return int(os.environ.get(WORKERS_ENV, "-1"))


def shuffle_partitions(items: int, per_task: int, *, cores: int) -> int:
    """Partitions for `items` rows (or pairs): about `per_task` a task, and a task per core."""
    return max(cores, math.ceil(items / per_task), 1)


def size_shuffles(spark: SparkSession, items: int, per_task: int) -> int:
    """Shuffles of the jobs to come sized to `items` (see `shuffle_partitions`), unless the session
    was started with `spark.sql.shuffle.partitions` set (a run's `spark.conf`): then as set."""
    if spark.sparkContext.getConf().contains(SHUFFLE_PARTITIONS):
        return int(spark.conf.get(SHUFFLE_PARTITIONS))
    partitions = shuffle_partitions(items, per_task, cores=spark.sparkContext.defaultParallelism)
    spark.conf.set(SHUFFLE_PARTITIONS, str(partitions))
    return partitions
