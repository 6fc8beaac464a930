"""Standardise on Spark: each task standardises its own rows, but the date order of a source is
decided once over all of them, so every task reads an ambiguous date as the pandas engine does."""

from __future__ import annotations

import pandas as pd

from crmmigrate import schema
from crmmigrate.cleanse import StandardiseOptions, standardise
from crmmigrate.spark.settings import SparkSettings


def test_a_task_with_only_ambiguous_dates_reads_them_in_the_order_other_tasks_show(
    spark_settings: SparkSettings,
) -> None:
    from crmmigrate.spark.session import spark_session
    from crmmigrate.spark.standardise import spark_standardise

    ambiguous = [f"0{1 + i % 9}/0{1 + i % 7}/1980" for i in range(300)]  # day or month first?
    telling = [f"{13 + i % 15}/0{1 + i % 9}/1975" for i in range(100)]  # day first: 13..27
    staged = pd.DataFrame({column: None for column in schema.STAGED_COLUMNS}, index=range(400), dtype=object)
    staged["source"], staged["source_row"] = "erp", range(1, 401)
    staged["source_key"] = [f"K{i}" for i in range(400)]
    staged["first_name"], staged["last_name"] = "Anna", [f"Meyer{i}" for i in range(400)]
    staged["date_of_birth"] = ambiguous + telling
    options = StandardiseOptions(default_country="US")  # the US writes month first
    alone = standardise(staged.head(200), options)  # the first task's rows, decided alone
    assert alone.loc[7, "date_of_birth"] == "1980-08-01"  # 08/01/1980 read month first
    expected = standardise(staged, options)
    assert expected.loc[7, "date_of_birth"] == "1980-01-08"  # day first, as the source shows
    clean = spark_standardise(spark_session(spark_settings), staged, options, partition_rows=200)
    pd.testing.assert_frame_equal(clean, expected)
