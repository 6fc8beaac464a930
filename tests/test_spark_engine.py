"""The Spark engine gives the pandas engine's answer: on the shipped samples the same clean rows,
golden records, cross-reference (customer ids included), lineage and review pairs, in a full and
in a nightly incremental run; blocking with large blocks windowed the same way. Runs on local[2]
(skipped without PySpark or Java)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmmigrate.config import parse_config
from crmmigrate.dedupe.blocking import automatic_keys, candidate_pairs
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.settings import DedupeSettings
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.pipeline import run
from crmmigrate.spark.settings import SparkSettings
from crmmigrate.store import open_store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OUTPUTS = ("golden.csv", "xref.csv", "review.csv", "golden_lineage.csv")


def test_the_samples_on_spark_give_the_pandas_engines_answer(
    tmp_path: Path, run_on_engine: Callable[[Path, str], Path]
) -> None:
    pandas_out = run_on_engine(SAMPLES / "crmmigrate.yml", "pandas")
    spark_out = run_on_engine(SAMPLES / "crmmigrate.yml", "spark")
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


def test_pysparks_warning_about_pandas_3_is_not_repeated_to_the_user(spark_settings: SparkSettings) -> None:
    import warnings

    from pyspark.sql.pandas.utils import require_minimum_pandas_version

    from crmmigrate.spark.session import quiet_pandas_warning

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        quiet_pandas_warning()
        require_minimum_pandas_version()  # PySpark's check on each conversion: warns on pandas 3
        warnings.warn("any other FutureWarning", FutureWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["any other FutureWarning"]


def test_shuffles_take_about_partition_rows_a_task_and_a_task_per_core_at_least() -> None:
    from crmmigrate.spark.session import shuffle_partitions

    assert shuffle_partitions(2_550_000, 50_000, cores=2) == 51  # pairs of 200k generated rows
    assert shuffle_partitions(50_000, 50_000, cores=2) == 2  # not one task on a two-core machine
    assert shuffle_partitions(0, 50_000, cores=2) == 2


def test_a_local_driver_gets_a_third_of_the_machine_unless_its_memory_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmmigrate.spark.session import local_driver_memory

    gib = 2**30
    local = SparkSettings(master="local[2]")
    assert local_driver_memory(local, {}, 24 * gib) == "8g"
    assert local_driver_memory(local, {}, 2 * gib) == "1g"  # never below Spark's own default
    assert local_driver_memory(local, {}, None) is None  # the system does not say
    assert local_driver_memory(SparkSettings(master="spark://head:7077"), {}, 24 * gib) is None
    mine = SparkSettings(master="local[2]", conf={"spark.driver.memory": "3g"})
    assert local_driver_memory(mine, {}, 24 * gib) is None  # the run's conf: as set there
    submit = {"PYSPARK_SUBMIT_ARGS": "--driver-memory 4g pyspark-shell"}
    assert local_driver_memory(local, submit, 24 * gib) is None
    (tmp_path / "spark-defaults.conf").write_text("spark.driver.memory   5g\n")
    assert local_driver_memory(local, {"SPARK_CONF_DIR": str(tmp_path)}, 24 * gib) is None
    monkeypatch.chdir(tmp_path.parent)  # a folder `conf` here is no Spark's without SPARK_HOME
    (tmp_path.parent / "conf").mkdir(exist_ok=True)
    (tmp_path.parent / "conf" / "spark-defaults.conf").write_text("spark.driver.memory 5g\n")
    assert local_driver_memory(local, {}, 24 * gib) == "8g"


def test_shuffle_partitions_set_in_a_runs_conf_are_kept(spark_settings: SparkSettings) -> None:
    from crmmigrate.spark.session import SHUFFLE_PARTITIONS, size_shuffles, spark_session

    spark = spark_session(spark_settings)
    assert spark_settings.conf[SHUFFLE_PARTITIONS] == "2"
    assert size_shuffles(spark, 10_000_000, 100) == 2
    assert spark.conf.get(SHUFFLE_PARTITIONS) == "2"


#: The nightly inbound file of test_dedupe_incremental: two returning customers (one with a new
#: email), the husband of one of them and someone new.
INBOUND = (Path(__file__).parent / "fixtures" / "nightly" / "inbound.csv").read_text(encoding="utf-8")
INBOUND_MAPPING = {
    "key": "id",
    "columns": {
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "phone": "phone",
        "address_line1": "street",
        "postal_code": "zip",
        "city": "city",
        "country": "country",
        "updated_at": "updated",
    },
}


def test_a_nightly_incremental_run_on_spark_gives_the_pandas_engines_answer(
    tmp_path: Path,
    spark_settings: SparkSettings,
    run_on_engine: Callable[[Path, str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The samples migrated on the pandas engine, then the same nightly run against a copy of
    that store on each engine: the same ids kept and given, golden records, report counts."""
    import crmmigrate.spark.linking as on_spark

    compared: list[int] = []
    compare_pairs = on_spark.compare_pairs

    def spied(spark, mf, comparisons, pairs, count, **options):  # noqa: ANN001, ANN003, ANN202
        compared.append(count)
        return compare_pairs(spark, mf, comparisons, pairs, count, **options)

    monkeypatch.setattr(on_spark, "compare_pairs", spied)
    migrated = run_on_engine(SAMPLES / "crmmigrate.yml", "pandas")
    (tmp_path / "inbound.csv").write_text(INBOUND, encoding="utf-8")
    outputs, stores = {}, {}
    for engine in ("pandas", "spark"):
        store = tmp_path / f"nightly_{engine}.db"
        shutil.copy(migrated.parent / "crm.db", store)
        config = parse_config(
            {
                "sources": [{"name": "inbound", "path": "inbound.csv", "mapping": INBOUND_MAPPING}],
                "dedupe": {"incremental": True},
                "store": f"sqlite:///{store}",
                "out": str(tmp_path / f"nightly_{engine}"),
            },
            base_dir=tmp_path,
        )
        config.engine, config.spark = engine, spark_settings  # type: ignore[assignment]
        result = run(config)
        assert result.exit_code == 0 and result.balanced
        assert result.reconciliation.extra["dedupe"]["mode"] == "incremental"
        outputs[engine], stores[engine] = Path(config.out), f"sqlite:///{store}"
    assert len(compared) == 1 and compared[0] > 0  # the nightly pairs were compared by Spark tasks
    for name in OUTPUTS:
        assert (outputs["spark"] / name).read_bytes() == (outputs["pandas"] / name).read_bytes(), name
    with open_store(stores["pandas"]) as on_pandas, open_store(stores["spark"]) as on_spark:
        pd.testing.assert_frame_equal(on_spark.read_customers(), on_pandas.read_customers())
        pd.testing.assert_frame_equal(on_spark.read_xref(), on_pandas.read_xref())
    xref = pd.read_csv(outputs["spark"] / "xref.csv", dtype={"source_key": str}).set_index("source_key")
    stored = pd.read_csv(migrated / "xref.csv", dtype={"source_key": str})
    lambert = stored[(stored["source"] == "erp") & (stored["source_key"] == "100114")]
    assert xref.loc["W-1", "customer_id"] == lambert["customer_id"].iloc[0]  # a returning customer
    assert xref.loc["W-3", "customer_id"] not in set(stored["customer_id"])  # someone new
