"""The Spark engine gives the pandas engine's answer: on the shipped samples the same clean rows,
golden records, cross-reference (customer ids included), lineage and review pairs; blocking with
large blocks windowed the same way. Runs on local[2] (skipped without PySpark or Java)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmmigrate.config import load_config
from crmmigrate.dedupe.blocking import automatic_keys, candidate_pairs
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.settings import DedupeSettings
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.errors import ConfigError
from crmmigrate.pipeline import run
from crmmigrate.spark.engine import check_supported
from crmmigrate.spark.settings import SparkSettings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OUTPUTS = ("golden.csv", "xref.csv", "review.csv", "golden_lineage.csv")


def _run(tmp_path: Path, engine: str, spark: SparkSettings) -> Path:
    config = load_config(SAMPLES / "crmmigrate.yml")
    config.engine, config.spark = engine, spark  # type: ignore[assignment]
    config.store = f"sqlite:///{tmp_path / engine / 'crm.db'}"
    config.out = str(tmp_path / engine / "out")
    (tmp_path / engine).mkdir()
    result = run(config)
    assert result.exit_code == 0 and result.balanced
    return Path(config.out)


def test_the_samples_on_spark_give_the_pandas_engines_answer(
    tmp_path: Path, spark_settings: SparkSettings
) -> None:
    pandas_out = _run(tmp_path, "pandas", spark_settings)
    spark_out = _run(tmp_path, "spark", spark_settings)
    for name in OUTPUTS:
        assert (spark_out / name).read_bytes() == (pandas_out / name).read_bytes(), name
    pd.testing.assert_frame_equal(
        pd.read_parquet(spark_out / "clean.parquet"), pd.read_parquet(pandas_out / "clean.parquet")
    )
    xref = pd.read_csv(spark_out / "xref.csv")
    assert xref["customer_id"].notna().all() and len(xref) == 297


def test_large_blocks_are_sorted_neighbourhoods_as_in_the_pandas_engine(
    spark_settings: SparkSettings,
) -> None:
    from crmmigrate.spark.blocking import spark_candidates
    from crmmigrate.spark.session import spark_session

    mf = prepare(clean_frame(800, seed=11))
    settings = DedupeSettings(max_block_size=4, window=2)  # most blocks are windowed
    expected = candidate_pairs(automatic_keys(mf), len(mf), 4, 2)
    found = spark_candidates(spark_session(spark_settings), mf, settings, [], partition_rows=200)
    assert expected.windowed and found.windowed == expected.windowed
    assert np.array_equal(found.left, expected.left) and np.array_equal(found.right, expected.right)
    assert found.per_key == expected.per_key
    assert list(found.found_by) == list(expected.found_by)
    for name, mask in expected.found_by.items():
        assert np.array_equal(found.found_by[name], mask), name


def test_a_task_uses_one_core_and_the_driver_all(spark_settings: SparkSettings) -> None:
    from crmmigrate.spark.session import spark_session, task_workers

    spark = spark_session(spark_settings)
    inside = spark.sparkContext.parallelize([0, 1], 2).map(lambda _: task_workers()).collect()
    assert inside == [1, 1]
    assert task_workers() == -1


def test_incremental_runs_are_refused_before_any_work() -> None:
    with pytest.raises(ConfigError, match="not supported by the Spark engine yet"):
        check_supported(incremental=True)
    check_supported(incremental=False)
