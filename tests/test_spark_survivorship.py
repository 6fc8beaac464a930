"""Survivorship on Spark: whole clusters per task give the driver's golden values and lineage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmmigrate import schema
from crmmigrate.dedupe.settings import SurvivorshipSettings
from crmmigrate.dedupe.survivorship import survive
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.spark.settings import SparkSettings


def test_clusters_spread_over_tasks_choose_the_drivers_golden_values(
    spark_settings: SparkSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmmigrate.spark import survivorship as on_spark
    from crmmigrate.spark.session import spark_session
    from crmmigrate.spark.survivorship import spark_survive

    jobs = []
    by_range = on_spark.batches_by_range

    def counted(sdf: object, column: str, count: int, rows: int) -> object:
        jobs.append(-(-count // rows))
        return by_range(sdf, column, count, rows)

    monkeypatch.setattr(on_spark, "batches_by_range", counted)
    monkeypatch.setattr(on_spark, "RANGE_ROWS", 4000)  # the lineage comes in a few jobs

    clean = clean_frame(300, seed=4)
    for column in schema.STAGED_COLUMNS:  # every canonical column, missing as None (as standardised)
        values = clean[column] if column in clean.columns else pd.Series(None, index=clean.index)
        clean[column] = values.astype(object).where(values.notna(), None)
    clusters = pd.factorize(clean["person_id"])[0] * 7 % 1000  # clusters numbered out of row order
    settings = SurvivorshipSettings(source_priority=["crm"])
    expected = survive(clean, clusters, settings)
    found = spark_survive(spark_session(spark_settings), clean, clusters, settings, partition_rows=100)
    assert (np.bincount(clusters) > 1).sum() > 20  # merged clusters, in several tasks
    assert jobs[0] > 1
    pd.testing.assert_frame_equal(found.golden, expected.golden)
    order = ["cluster", "field"]
    pd.testing.assert_frame_equal(
        found.lineage.sort_values(order).reset_index(drop=True),
        expected.lineage.sort_values(order).reset_index(drop=True),
    )


def test_survivorship_reads_the_clean_rows_spark_kept_from_standardise_and_sends_none(
    spark_settings: SparkSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Standardise kept every clean column in Spark (the driver took fewer): survivorship reads
    them there, each row with its cluster, and chooses what the driver chooses from all of them."""
    from crmmigrate.cleanse import StandardiseOptions, standardise
    from crmmigrate.spark import survivorship as on_spark
    from crmmigrate.spark.session import spark_session
    from crmmigrate.spark.standardise import spark_standardise

    people = clean_frame(300, seed=4)
    staged = pd.DataFrame(
        {c: people[c].astype(object) if c in people.columns else None for c in schema.STAGED_COLUMNS}
    )
    staged = staged.where(staged.notna(), None)
    options = StandardiseOptions(default_country="DE")
    clusters = pd.factorize(people["person_id"])[0] * 7 % 1000
    settings = SurvivorshipSettings(source_priority=["crm"])
    expected = survive(standardise(staged, options), clusters, settings)
    spark = spark_session(spark_settings)
    done = spark_standardise(spark, staged, options, partition_rows=100)

    def sent(*args: object, **kwargs: object) -> None:
        raise AssertionError("the clean rows were sent to Spark again")

    monkeypatch.setattr(on_spark, "to_spark", sent)
    try:
        found = on_spark.spark_survive(
            spark, done.clean, clusters, settings, partition_rows=100, held=done.held
        )
    finally:
        done.release()
    assert (np.bincount(clusters) > 1).sum() > 20
    pd.testing.assert_frame_equal(found.golden, expected.golden)
    order = ["cluster", "field"]
    pd.testing.assert_frame_equal(
        found.lineage.sort_values(order).reset_index(drop=True),
        expected.lineage.sort_values(order).reset_index(drop=True),
    )
