"""How frames travel to Spark and back as Arrow (`spark.frames`): no Spark session needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.extract.text import text_dtype
from crmmigrate.spark.frames import from_arrow, to_arrow


def _mixed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": pd.Series(["Ann", None, "Bo", np.nan], dtype=object),
            "postcode": pd.Series([10115, "80331", None, 1.5], dtype=object),  # numbers in a text column
            "staged": pd.Series(["x", None, "y", "z"], dtype=text_dtype()),
            "row": np.arange(4, dtype=np.int64),
            "score": [0.5, np.nan, 1.0, 2.0],
            "role": [True, False, False, True],
            "status": pd.Categorical(["valid", None, "invalid", "valid"]),
            "seen": pd.to_datetime(["2024-01-02 00:00", None, "2024-03-04 05:06", "2024-01-02 00:00"]),
            "code": pd.Categorical([1, 2, 2, 1]),
        }
    )


def test_a_frame_goes_as_arrow_columns_named_c0_c1_with_the_types_spark_takes() -> None:
    table = to_arrow(_mixed())

    assert table.column_names == [f"c{k}" for k in range(9)]
    assert [str(t) for t in table.schema.types] == ["string"] * 3 + ["int64", "double", "bool"] + [
        "string"
    ] * 3
    assert table.column("c0").to_pylist() == ["Ann", None, "Bo", None]
    assert table.column("c1").to_pylist() == ["10115", "80331", None, "1.5"]
    assert table.column("c2").to_pylist() == ["x", None, "y", "z"]
    assert table.column("c4").to_pylist() == [0.5, None, 1.0, 2.0]  # NaN travels as null
    assert table.column("c6").to_pylist() == ["valid", None, "invalid", "valid"]
    assert table.column("c7").to_pylist() == [
        "2024-01-02 00:00:00",
        None,
        "2024-03-04 05:06:00",
        "2024-01-02 00:00:00",
    ]
    assert table.column("c8").to_pylist() == ["1", "2", "2", "1"]  # as str() writes them


def test_what_spark_gives_back_comes_in_the_order_asked_with_the_frames_dtypes() -> None:
    frame = _mixed().drop(columns=["postcode", "status", "seen", "code"])
    table = to_arrow(frame)
    shuffled = table.append_column("pos", pa.array(np.arange(4, dtype=np.int64))).take([2, 0, 3, 1])

    back = from_arrow(shuffled, dict(frame.dtypes), order="pos")

    expected = frame.assign(name=pd.Series(["Ann", None, "Bo", None], dtype=object))
    pd.testing.assert_frame_equal(back, expected)


def test_categories_that_are_not_text_come_back_as_themselves() -> None:
    frame = _mixed()[["status", "code"]].assign(
        day=pd.Categorical(pd.to_datetime(["2024-01-02", None, "2024-03-04", "2024-01-02"]))
    )

    back = from_arrow(to_arrow(frame), dict(frame.dtypes))

    pd.testing.assert_frame_equal(back, frame)


def test_text_comes_back_as_one_python_string_per_distinct_value() -> None:
    statuses = pd.DataFrame({"phone_status": pd.Series(["valid", "invalid"] * 500, dtype=object)})

    back = from_arrow(to_arrow(statuses), dict(statuses.dtypes))

    assert len({id(v) for v in back["phone_status"]}) == 2


@given(st.lists(st.one_of(st.none(), st.text()), max_size=30))
def test_any_text_survives_the_round_trip(values: list[str | None]) -> None:
    frame = pd.DataFrame({"value": pd.Series(values, dtype=object)})

    back = from_arrow(to_arrow(frame), dict(frame.dtypes))

    assert back["value"].tolist() == values


def test_spark_rows_come_to_the_driver_a_few_columns_at_a_time_in_their_order(spark_settings: object) -> None:
    from crmmigrate.spark.frames import COLLECT_COLUMNS, collect
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)  # type: ignore[arg-type]
    width = COLLECT_COLUMNS * 2 + 3  # three groups of columns
    frame = pd.DataFrame({f"field {k}": [f"{k}-{i % 7}" for i in range(50)] for k in range(width)})
    frame["n"] = np.arange(50, dtype=np.int64) * 10
    table = to_arrow(frame).append_column("pos", pa.array(np.arange(50, dtype=np.int64)))
    backwards = spark.createDataFrame(table).orderBy("pos", ascending=False)  # not in row order

    back = collect(backwards, dict(frame.dtypes), order="pos")

    pd.testing.assert_frame_equal(back, frame)


def test_rows_the_caller_persisted_come_back_without_a_second_copy_in_spark(
    spark_settings: object, monkeypatch: object
) -> None:
    from crmmigrate.spark.frames import collect
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)  # type: ignore[arg-type]
    frame = pd.DataFrame({"name": [f"person {i}" for i in range(20)], "n": np.arange(20)})
    table = to_arrow(frame).append_column("pos", pa.array(np.arange(20, dtype=np.int64)))
    done = spark.createDataFrame(table.append_column("more", table.column("c0"))).persist()
    done.count()
    cached = len(spark.sparkContext._jsc.getPersistentRDDs())  # done's, and any other test's
    cached_while_fetching = []
    kind = type(done)  # (PySpark's classic DataFrame)
    fetch = kind.toArrow

    def counting(self: object) -> pa.Table:
        result = fetch(self)
        cached_while_fetching.append(len(spark.sparkContext._jsc.getPersistentRDDs()))
        return result

    monkeypatch.setattr(kind, "toArrow", counting)  # type: ignore[attr-defined]
    back = collect(done.select("c0", "c1", "pos"), dict(frame.dtypes), order="pos", computed=True)

    pd.testing.assert_frame_equal(back, frame)
    assert set(cached_while_fetching) == {cached} and done.is_cached  # the caller's copy, still there
    done.unpersist()


def test_a_frame_goes_to_spark_in_slices_with_its_numbering_and_comes_back_whole(
    spark_settings: object, monkeypatch: object
) -> None:
    from crmmigrate.spark import frames
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)  # type: ignore[arg-type]
    monkeypatch.setattr(frames, "SEND_ROWS", 3)  # type: ignore[attr-defined]
    frame = pd.concat([_mixed()] * 5, ignore_index=True)  # 20 rows: seven slices, the last of two
    frame = frame[["name", "postcode", "row", "score", "role", "status"]]
    numbered = {"pos": np.arange(len(frame), dtype=np.int64)[::-1].copy()}  # counts down

    sent = frames.to_spark(spark, frame, 4, "pos", extra=numbered)

    assert sent.rdd.getNumPartitions() == 5  # 20 rows, 4 a partition
    back = frames.collect(sent, {**dict(frame.dtypes), "pos": np.dtype("int64")}, order="pos")
    expected = frame.iloc[::-1].reset_index(drop=True).assign(pos=np.arange(len(frame)))
    for column in ("name", "postcode"):  # text as object with None for missing, numbers as str() writes them
        texts = [None if pd.isna(v) else str(v) for v in expected[column]]
        expected[column] = pd.Series(texts, dtype=object)
    pd.testing.assert_frame_equal(back, expected)


def test_only_the_rows_asked_for_go_to_spark(spark_settings: object, monkeypatch: object) -> None:
    from crmmigrate.spark import frames
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)  # type: ignore[arg-type]
    monkeypatch.setattr(frames, "SEND_ROWS", 2)  # type: ignore[attr-defined]
    frame = pd.DataFrame({"name": [f"person {i}" for i in range(10)], "n": np.arange(10) * 10})
    rows = np.array([1, 4, 5, 8, 9])

    sent = frames.to_spark(spark, frame, 2, "pos", extra={"pos": rows}, rows=rows)

    back = frames.collect(sent, {**dict(frame.dtypes), "pos": np.dtype("int64")}, order="pos")
    assert back["name"].tolist() == ["person 1", "person 4", "person 5", "person 8", "person 9"]
    assert back["n"].tolist() == [10, 40, 50, 80, 90] and back["pos"].tolist() == rows.tolist()


def test_rows_sent_to_spark_are_stored_apart_so_the_drivers_heap_can_let_them_go(
    spark_settings: object,
) -> None:
    from crmmigrate.spark import frames
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)  # type: ignore[arg-type]
    frame = pd.DataFrame({"name": [f"person {i}" for i in range(10)], "n": np.arange(10) * 10})

    sent = frames.to_spark(spark, frame, 5, "pos", extra={"pos": np.arange(10, dtype=np.int64)})

    plan = sent._jdf.queryExecution().analyzed().toString()  # type: ignore[attr-defined]
    assert "LogicalRDD" in plan and "LocalRelation" not in plan  # read from the stored copy, not the rows
    back = frames.collect(sent, {**dict(frame.dtypes), "pos": np.dtype("int64")}, order="pos")
    pd.testing.assert_frame_equal(back.drop(columns="pos"), frame)


def test_numbered_rows_come_to_the_driver_a_job_per_range_of_numbers(
    spark_settings: object, monkeypatch: object
) -> None:
    from crmmigrate.spark.frames import batches_by_range
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)  # type: ignore[arg-type]
    frame = pd.DataFrame({"p": np.arange(10, dtype=np.int64)[::-1].copy(), "total": np.arange(10) / 4})
    pairs = spark.createDataFrame(frame)
    jobs = []
    kind = type(pairs)
    fetch = kind.toArrow

    def counting(self: object) -> pa.Table:
        result = fetch(self)
        jobs.append(result.num_rows)
        return result

    monkeypatch.setattr(kind, "toArrow", counting)  # type: ignore[attr-defined]
    back = pa.Table.from_batches(list(batches_by_range(pairs, "p", 10, rows=4))).to_pandas()

    assert jobs == [4, 4, 2]  # 0-3, 4-7, 8-9
    expected = frame.iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(back.sort_values("p", ignore_index=True), expected)
