"""The Spark session of a run: from the `spark:` settings, with what the engine relies on set.

Python work inside a Spark task runs on one core: Spark already runs one task per core, so the
standardise process pool and rapidfuzz's threads would otherwise oversubscribe every executor
(`CRMMIGRATE_WORKERS=1` in the executors' environment; `task_workers` reads it).

On `local[...]` the driver's JVM runs every task, and Spark gives it 1 GiB unless told otherwise:
too little for blocking a few hundred thousand rows. Unless `spark.driver.memory` is set (in
`spark.conf`, `PYSPARK_SUBMIT_ARGS` or `spark-defaults.conf`), a local session gets a third of this
machine's memory (`local_driver_memory`).

Shuffles are sized to the data (`size_shuffles`): Spark's default of 200 partitions per shuffle
suits a cluster's gigabytes, but each task has a fixed cost (a Python worker's batch, a
scheduler round), and on a few hundred thousand rows 200 tasks a shuffle are most of the work.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import warnings
from collections.abc import Mapping
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


#: The driver's memory setting, and the share of this machine's memory a local driver gets.
DRIVER_MEMORY = "spark.driver.memory"
LOCAL_DRIVER_SHARE = 3


def local_driver_memory(
    settings: SparkSettings, environ: Mapping[str, str], physical_bytes: int | None
) -> str | None:
    """`spark.driver.memory` for a local session that nothing else sizes: a third of
    `physical_bytes` in whole GiB (at least 1), or None (not local, set elsewhere, unknown)."""
    if not settings.master.startswith("local") or DRIVER_MEMORY in settings.conf or not physical_bytes:
        return None
    if "--driver-memory" in environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return None
    home = environ.get("SPARK_HOME")
    for folder in (environ.get("SPARK_CONF_DIR"), os.path.join(home, "conf") if home else None):
        defaults = os.path.join(folder, "spark-defaults.conf") if folder else ""
        if defaults and os.path.isfile(defaults):
            with open(defaults, encoding="utf-8", errors="replace") as file:
                if any(line.split()[:1] == [DRIVER_MEMORY] for line in file):
                    return None
    return f"{max(1, physical_bytes // LOCAL_DRIVER_SHARE // 2**30)}g"


def physical_memory() -> int | None:
    """This machine's memory in bytes, where the system says (not on Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def spark_session(settings: SparkSettings) -> SparkSession:
    """The session of `settings.master` (an existing one with the same master is reused)."""
    require_spark()
    quiet_pandas_warning()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    if settings.master.startswith("local"):  # this machine's tasks run this interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    memory = local_driver_memory(settings, os.environ, physical_memory())
    sized = {DRIVER_MEMORY: memory} if memory else {}
    for key, value in {**ENGINE_CONF, **sized, **settings.conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")  # a run's own lines say how it goes
    return spark


#: What PySpark 4 warns on every pandas conversion when pandas is 3.x.
PANDAS_WARNING = "PySpark does not yet fully support pandas >= 3.0.0"


def quiet_pandas_warning() -> None:
    """Silence PySpark's warning about pandas 3, which it repeats a dozen times a run: the engine's
    tests run on pandas 3 and check that its answer is the pandas engine's."""
    warnings.filterwarnings("ignore", message=re.escape(PANDAS_WARNING), category=FutureWarning)


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
