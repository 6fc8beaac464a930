"""pandas frames to Spark and back, with column names and types Spark takes as they are.

Spark columns are named c0, c1, … (a custom column may be called anything); text stays text,
missing stays null, and a task gets object columns with None for missing, as the pandas engine's
frames have them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import reduce
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..memory import give_back_memory
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


#: Arrow's types of the Spark SQL types a column travels as (`spark_type`).
ARROW_TYPES = {"boolean": pa.bool_(), "bigint": pa.int64(), "double": pa.float64(), "string": pa.string()}


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """`frame` as an Arrow table of columns c0, c1, … of the types `spark_type` gives, missing as
    null. Text is read into Arrow from the column as it is (pandas 3's Arrow text without a copy),
    with no Python object made per value on the way."""
    arrays = []
    for column in frame.columns:
        series = frame[column]
        kind = ARROW_TYPES[spark_type(series)]
        if kind == pa.string() and not _text_already(series):
            series = as_text(series)  # numbers, dates, times in a text column: as str() writes them
        array = pa.array(series, from_pandas=True)
        arrays.append(array if array.type == kind else array.cast(kind))
    return pa.Table.from_arrays(arrays, names=safe_names(frame))


def _text_already(series: pd.Series) -> bool:
    """Whether a column holds only text (or missing), which Arrow reads as it is."""
    if isinstance(series.dtype, pd.StringDtype):
        return True
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(series.cat.categories, skipna=True) in ("string", "empty")
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


#: Rows made into Arrow and handed to Spark at once by `to_spark`: the driver holds an Arrow copy
#: of that many rows at a time, not of the whole frame.
SEND_ROWS = 100_000


def stored_apart(sent: DataFrame) -> DataFrame:
    """`sent` (a frame made from the driver's rows) written to the executors' disks, and a frame
    that reads it there. Spark keeps a frame made from local rows in the driver's JVM heap, twice
    (the rows and the plan's scan of them), for as long as any frame computed from it lives: a
    million staged rows held 1 GiB of heap until the run ended, and blocking's rows as much
    again. The frame returned does not refer to those rows, so they go once `sent` does."""
    from pyspark import StorageLevel

    return sent.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)


def to_spark(
    spark: SparkSession,
    frame: pd.DataFrame,
    partition_rows: int,
    order: str,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    rows: np.ndarray | None = None,
) -> DataFrame:
    """`frame` (or only its `rows`, positions, in that order) as a Spark DataFrame of columns c0,
    c1, … (`to_arrow`), then the `extra` columns (a value per row sent) under their own names,
    with about `partition_rows` rows per partition (a partition per core at least), each partition
    a run of consecutive values of the column `order` (a column of `frame` or an extra one), as
    the pandas engine's chunks are. The rows go to Spark as Arrow, SEND_ROWS at a time, each
    slice let go once Spark has it and has stored it apart (`stored_apart`), so the JVM's heap
    holds one slice at a time too."""
    extra = dict(extra or {})
    by = order if order in extra else safe_names(frame)[list(frame.columns).index(order)]
    count = len(frame) if rows is None else len(rows)
    sent = []
    for start in range(0, max(count, 1), SEND_ROWS):
        taken = slice(start, start + SEND_ROWS) if rows is None else rows[start : start + SEND_ROWS]
        piece = to_arrow(frame.iloc[taken])
        for name, values in extra.items():
            piece = piece.append_column(name, pa.array(values[start : start + SEND_ROWS]))
        sent.append(stored_apart(spark.createDataFrame(piece)))
        del piece
    parts = shuffle_partitions(count, partition_rows, cores=spark.sparkContext.defaultParallelism)
    return reduce(lambda a, b: a.unionAll(b), sent).repartitionByRange(parts, by)


def from_arrow(table: pa.Table, dtypes: dict[str, Any], order: str | None = None) -> pd.DataFrame:
    """A table Spark gave back (`DataFrame.toArrow()`: columns c0, c1, … in the order of `dtypes`,
    and any after them) as a pandas frame with `dtypes`' names, its rows in the order of the
    column `order`. Each column is converted on its own and let go from the table, so no second
    whole copy of the rows exists at once. Text becomes `dtypes`' text: object columns with one
    Python string per distinct value and None for missing (as the pandas engine's frames hold
    them), or Arrow text as it is (pandas 3's `str`); other columns convert as `toPandas` does."""
    taken = sorting(table.column(order)) if order is not None else None
    return pd.DataFrame(_columns(table, dtypes, taken), columns=list(dtypes), copy=False)


def _columns(table: pa.Table, dtypes: dict[str, Any], taken: pa.Array | None) -> dict[str, pd.Series]:
    """`from_arrow`'s columns, each let go from the table once converted."""
    arrays = list(table.columns)[: len(dtypes)]
    del table
    out: dict[str, Any] = {}
    for k, (column, dtype) in enumerate(dtypes.items()):
        array, arrays[k] = arrays[k], None
        if taken is not None:
            array = array.take(taken)
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            out[column] = array.to_pandas()
        elif isinstance(dtype, pd.StringDtype):
            out[column] = pd.Series(dtype.__from_arrow__(array))
        elif isinstance(dtype, pd.CategoricalDtype) and not _text_already(dtype.categories.to_series()):
            out[column] = _categories_from_text(object_text(array), dtype)
        else:
            out[column] = pd.Series(object_text(array), dtype=object).astype(dtype)
        del array
    return out


def _categories_from_text(texts: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Series:
    """A column of categories that are not text (numbers, dates), sent as the text `as_text` made
    of them, back as those categories."""
    written = pd.Index([str(c) for c in dtype.categories])
    return pd.Series(pd.Categorical.from_codes(written.get_indexer(texts), dtype=dtype))


def object_text(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Arrow text as an object array with one Python string per distinct value and None for
    missing (Arrow's own conversion gives pandas 3's `str` and NaN, and a string per row)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    words = np.append(encoded.dictionary.to_numpy(zero_copy_only=False).astype(object), None)
    return words[pc.fill_null(encoded.indices, -1).to_numpy()]


def sorting(key: pa.ChunkedArray | pa.Array) -> pa.Array | None:
    """The positions that put `key` in ascending order (stable); None when it is in order already
    (as Spark's range partitions come back)."""
    values = key.to_numpy()
    if len(values) < 2 or bool((values[1:] >= values[:-1]).all()):
        return None
    return pa.array(np.argsort(values, kind="stable"))


#: Columns brought to the driver at once by `collect`: the Arrow copy of the rows in flight is
#: that many columns, not all of them.
COLLECT_COLUMNS = 8


def collect(sdf: DataFrame, dtypes: dict[str, Any], order: str, *, computed: bool = False) -> pd.DataFrame:
    """`from_arrow(sdf.toArrow(), dtypes, order)`, with the rows computed once (persisted) and
    brought to the driver COLLECT_COLUMNS columns at a time. `computed`: `sdf` reads a frame its
    caller has persisted already (a second copy would be a second copy in the JVM's memory)."""
    from pyspark import StorageLevel

    if not computed:
        sdf = sdf.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        taken = sorting(sdf.select(order).toArrow().column(0))
        items = list(dtypes.items())
        out: dict[str, pd.Series] = {}
        for start in range(0, len(items), COLLECT_COLUMNS):
            names = sdf.columns[start : start + COLLECT_COLUMNS]
            chunk = dict(items[start : start + COLLECT_COLUMNS])
            out.update(_columns(sdf.select(*names).toArrow(), chunk, taken))
            give_back_memory()  # the columns' Arrow copy, before the next ones come
    finally:
        if not computed:
            sdf.unpersist()
    return pd.DataFrame(out, columns=list(dtypes), copy=False)  # (not copied into one block)


#: Rows one job brings to the driver in `batches_by_range`: Spark ends a job whose results pass
#: `spark.driver.maxResultSize` (1 GiB unless set), and a few numbers a row make 128 MiB.
RANGE_ROWS = 8_000_000


def batches_by_range(
    sdf: DataFrame, column: str, count: int, rows: int = RANGE_ROWS
) -> Iterator[pa.RecordBatch]:
    """The rows of `sdf`, whose `column` numbers them 0 … count - 1, as Arrow batches: a job
    for each `rows` consecutive numbers, so no job's results pass Spark's limit and the driver
    holds one job's at a time."""
    from pyspark.sql import functions as F

    for start in range(0, count, rows):
        part = sdf.where(F.col(column).between(start, start + rows - 1)).toArrow()
        batches = part.to_batches()
        del part
        while batches:
            yield batches.pop()


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
