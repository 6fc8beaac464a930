"""What the orchestrator (`pipeline`) calls when a run's `engine` is spark.

Today's split: standardise runs as Spark tasks; in dedupe, blocking, the comparisons (the work
that grows with the pairs) and survivorship run as Spark jobs, while u, EM, scoring, clustering
and ids run on the driver on what they return; extract, validate, load and reconcile run on the
driver as in the pandas engine.
"""

from __future__ import annotations

import pandas as pd

from ..cleanse import StandardiseOptions
from ..dedupe.linking import LinkSteps
from ..errors import ConfigError
from .settings import SparkSettings


def check_supported(incremental: bool) -> None:
    """What the Spark engine cannot run yet, said before any work."""
    if incremental:
        raise ConfigError(
            "dedupe.incremental (a nightly run against the store) is not supported by the Spark engine yet",
            hint="run nightly increments with --engine pandas, or re-cluster all rows with --full",
        )


def standardise_on_spark(
    staged: pd.DataFrame, options: StandardiseOptions, settings: SparkSettings
) -> pd.DataFrame:
    from .session import spark_session
    from .standardise import spark_standardise

    return spark_standardise(spark_session(settings), staged, options, partition_rows=settings.partition_rows)


def link_steps_on_spark(settings: SparkSettings) -> LinkSteps:
    from .linking import spark_steps
    from .session import spark_session

    return spark_steps(spark_session(settings), settings.partition_rows)
