"""pandas frames to Spark and back, with column names and types Spark takes as they are.

Spark columns are named c0, c1, … (a custom column may be called anything); text stays text,
missing stays null, and a task gets object columns with None for missing, as the pandas engine's
frames have them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .session import shuffle_partitions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def spark_type(series: pd.Series) -> str:
    """The Spark SQL type a column travels as: numbers and booleans as such, the rest as text."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    return "string"


def safe_names(frame: pd.DataFrame) -> list[str]:
    return [f"c{i}" for i in range(len(frame.columns))]


def for_arrow(frame: pd.DataFrame) -> pd.DataFrame:
    """A task's output with its text columns as object text (None for missing): PySpark's Arrow
    conversion does not take pandas 3's string columns (a ChunkedArray where it wants an Array)."""
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c]) and frame[c].dtype != object]
    if not text:
        return frame
    return frame.assign(**{c: as_text(frame[c]) for c in text})


def as_text(series: pd.Series) -> pd.Series:
    """A column as object text with None for missing (what Arrow sends as a string column)."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # text already
        out = values.copy()
    else:
        out = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
    out[missing] = None
    return pd.Series(out, index=series.index, dtype=object)


def to_spark(spark: SparkSession, frame: pd.DataFrame, partition_rows: int, order: str) -> DataFrame:
    """`frame` as a Spark DataFrame of about `partition_rows` rows per partition (a partition per
    core at least), each partition a run of consecutive values of the column `order` (as the
    pandas engine's chunks are)."""
    names = safe_names(frame)
    types = [spark_type(frame[c]) for c in frame.columns]
    data = {
        name: (frame[column] if kind != "string" else as_text(frame[column])).to_numpy()
        for name, column, kind in zip(names, frame.columns, types, strict=True)
    }
    schema = ", ".join(f"{name} {kind}" for name, kind in zip(names, types, strict=True))
    sdf = spark.createDataFrame(pd.DataFrame(data), schema=schema)
    by = names[list(frame.columns).index(order)]
    parts = shuffle_partitions(len(frame), partition_rows, cores=spark.sparkContext.defaultParallelism)
    return sdf.repartitionByRange(parts, by)


def from_batch(batch: pd.DataFrame, columns: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    """A task's batch with the frame's own column names back, text as object with None."""
    out = batch.copy(deep=False)
    out.columns = columns
    for column in columns:
        if kinds.get(column, "string") == "string":
            out[column] = arrow_text(out[column])
    return out


def stacked_from_batch(
    batch: pd.DataFrame, first: int, columns: list[str], kinds: dict[str, str]
) -> pd.DataFrame:
    """A task's batch of pairs (from column `first` on: the left rows' columns, then the right
    rows') as one frame of the frame's columns, the left rows then the right rows."""
    width = len(columns)
    stacked = {}
    for k, column in enumerate(columns):
        sides = [batch.iloc[:, first + k], batch.iloc[:, first + width + k]]
        if kinds.get(column, "string") == "string":
            stacked[column] = np.concatenate([arrow_text(s).to_numpy() for s in sides])
        else:
            stacked[column] = pd.concat(sides, ignore_index=True)
    return pd.DataFrame(stacked)


def arrow_text(series: pd.Series) -> pd.Series:
    """A Spark text column in a task's batch (str, or None for missing, as Arrow gives it) as
    object text with None: `as_text` without a Python call per value."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return pd.Series(values, index=series.index, dtype=object)
