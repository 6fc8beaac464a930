"""Standardise on Spark: each task standardises its own rows, but the date order of a source is
decided once over all of them, so every task reads an ambiguous date as the pandas engine does."""

from __future__ import annotations

from pathlib import Path

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
    done = spark_standardise(spark_session(spark_settings), staged, options, partition_rows=200)
    done.release()
    assert done.clean.loc[7, "date_of_birth"] == "1980-01-08"
    pd.testing.assert_series_equal(done.clean["date_of_birth"], expected["date_of_birth"])


def test_the_driver_takes_what_later_stages_read_and_the_written_rows_are_the_pandas_engines(
    spark_settings: SparkSettings, tmp_path: Path
) -> None:
    """The `_raw` twins and the phone's zone and extension stay in Spark: clean.parquet written a
    slice at a time from there is the pandas engine's, the report's counts are the same, and a
    keyless row is known by the same content id although its raw values never reach the driver."""
    from crmmigrate import outputs
    from crmmigrate.dedupe.ids import CONTENT_DIGEST, content_ids
    from crmmigrate.reconcile.model import clean_facts
    from crmmigrate.spark import standardise as on_spark
    from crmmigrate.spark.session import spark_session

    staged = pd.DataFrame({column: None for column in schema.STAGED_COLUMNS}, index=range(60), dtype=object)
    staged["source"], staged["source_row"] = "crm", range(1, 61)
    staged["source_key"] = [None if i % 3 == 0 else f"K{i}" for i in range(60)]  # a third keyless
    staged["first_name"] = [" anna ", "BEN", "Chloé"] * 20
    staged["last_name"] = ["Meyer", "Okafor", "Dupont"] * 20
    staged["email"] = [f"Person{i % 25}@Example.com" for i in range(60)]  # keyless repeats among them
    staged["phone"] = ["+49 30 1234567 ext. 12", "030 7654321", None] * 20
    staged["country"] = "DE"
    options = StandardiseOptions(default_country="DE")
    expected = standardise(staged, options)
    assert expected["address_line2_raw"].isna().all()  # a column with no value anywhere

    done = on_spark.spark_standardise(spark_session(spark_settings), staged, options, partition_rows=20)
    try:
        held = [c for c in expected.columns if on_spark.written_only(c)]
        assert "phone_raw" in held and "phone_extension" in held
        assert not set(held) & set(done.clean.columns)
        kept = [c for c in expected.columns if c not in held]
        pd.testing.assert_frame_equal(done.clean.drop(columns=CONTENT_DIGEST), expected[kept])
        keyless = expected["source_key"].isna()
        pd.testing.assert_series_equal(content_ids(done.clean[keyless]), content_ids(expected[keyless]))
        assert done.facts == clean_facts(expected)
        outputs.write_clean(done.rows, tmp_path)
    finally:
        done.release()
    outputs.write_clean(expected, path=tmp_path / "pandas.parquet")
    written, by_pandas = (pd.read_parquet(tmp_path / name) for name in ("clean.parquet", "pandas.parquet"))
    pd.testing.assert_frame_equal(written, by_pandas)
