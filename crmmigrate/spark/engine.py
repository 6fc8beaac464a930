"""What the Spark engine (`engines.SparkEngine`, which `pipeline` picks when a run's `engine` is spark) calls.

Today's split: a glob or directory source (local or on a cluster file system) is extracted by
Spark tasks, a file per task, and a large single CSV or Parquet file a span of its records per
task (other single files and database tables on the driver); standardise runs as Spark tasks,
which keep the clean rows (the driver takes the columns later stages read, and clean.parquet is
written from Spark a slice at a time); in
dedupe, the work that grows with the pairs runs as Spark jobs and the pairs stay in Spark
(blocking, comparisons, the pattern counts EM fits on, scores, the selection of the pairs that
matter, the components of the links and the components the chaining guard must rebuild), and so
does survivorship, while u, EM, the prior's calibration (on every pair's total), the guard's
rebuilding of those components and ids run on the driver (an incremental run takes the same
steps, with the stored customers as anchors); validate runs the compiled rules on GX's Spark data
source; load and reconcile run on the driver as in the pandas engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..cleanse import StandardiseOptions
from ..dedupe.linking import LinkSteps
from ..extract import CHUNK_ROWS, ExtractResult, extract_source
from ..extract.files import is_many, is_remote
from ..progress import Steps, tell
from .settings import SparkSettings

if TYPE_CHECKING:
    from ..config import RunConfig, SourceConfig
    from ..stage_results import HeldRows, Standardised
    from ..validate.runner import Runner


def extract_source_on_spark(
    source: SourceConfig, config: RunConfig, chunk_rows: int = CHUNK_ROWS, *, steps: Steps | None = None
) -> ExtractResult:
    """`extract.extract_source` with a glob or directory source's files, or a large CSV file's
    spans of records, read by Spark tasks."""
    from .extract import spark_extract_source, spark_spans

    location = config.source_path(source)
    many = is_many(location) or is_remote(location)
    spans = None if many else spark_spans(source, config)
    if spans is None and not many:
        return extract_source(source, config, chunk_rows, steps=steps)
    from .session import spark_session

    result = spark_extract_source(spark_session(config.spark), source, config, spans)
    tell(steps, result.read, None, source.name)
    return result


def standardise_on_spark(
    staged: pd.DataFrame, options: StandardiseOptions, settings: SparkSettings
) -> Standardised:
    """The clean rows computed and kept by Spark tasks (none to share out: here)."""
    if not len(staged):
        from ..cleanse import standardise
        from ..engines import standardised_here

        return standardised_here(standardise(staged, options))
    from .session import spark_session
    from .standardise import spark_standardise

    return spark_standardise(spark_session(settings), staged, options, partition_rows=settings.partition_rows)


def link_steps_on_spark(settings: SparkSettings, held: HeldRows | None = None) -> LinkSteps:
    """`held`: the clean rows standardise kept in Spark (`spark.standardise.SparkClean`), for
    survivorship to read there; rows held elsewhere (a frame) are sent as before."""
    from .linking import spark_steps
    from .session import spark_session
    from .standardise import SparkClean

    kept = held if isinstance(held, SparkClean) else None
    return spark_steps(spark_session(settings), settings.partition_rows, kept)


def validate_runner_on_spark(settings: SparkSettings) -> Runner:
    from .session import spark_session
    from .validate import spark_runner

    return spark_runner(spark_session(settings))
