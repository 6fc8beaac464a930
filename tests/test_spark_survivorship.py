"""Survivorship on Spark: whole clusters per task give the driver's golden values and lineage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmmigrate import schema
from crmmigrate.dedupe.settings import SurvivorshipSettings
from crmmigrate.dedupe.survivorship import survive
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.spark.settings import SparkSettings


def test_clusters_spread_over_tasks_choose_the_drivers_golden_values(spark_settings: SparkSettings) -> None:
    from crmmigrate.spark.session import spark_session
    from crmmigrate.spark.survivorship import spark_survive

    clean = clean_frame(300, seed=4)
    for column in schema.STAGED_COLUMNS:  # every canonical column, missing as None (as standardised)
        values = clean[column] if column in clean.columns else pd.Series(None, index=clean.index)
        clean[column] = values.astype(object).where(values.notna(), None)
    clusters = pd.factorize(clean["person_id"])[0] * 7 % 1000  # clusters numbered out of row order
    settings = SurvivorshipSettings(source_priority=["crm"])
    expected = survive(clean, clusters, settings)
    found = spark_survive(spark_session(spark_settings), clean, clusters, settings, partition_rows=100)
    assert (np.bincount(clusters) > 1).sum() > 20  # merged clusters, in several tasks
    pd.testing.assert_frame_equal(found.golden, expected.golden)
    order = ["cluster", "field"]
    pd.testing.assert_frame_equal(
        found.lineage.sort_values(order).reset_index(drop=True),
        expected.lineage.sort_values(order).reset_index(drop=True),
    )
