"""The standardise stage as a Spark job: the per-chunk standardisers in `mapInPandas`, with the
one decision taken over all rows (the date order per source and column) made first, on the
driver, and shipped to every task. Each task standardises on one core (Spark runs a task per
core); rows keep their order and their lineage columns.

The clean rows stay in Spark, computed once. The driver takes the columns the later stages read
(`stage_results.Standardised`); the `_raw` twins and the phone's zone and extension are read
only to write `clean.parquet`, a slice at a time (`SparkClean`), and for the report's counts,
which the tasks make (`reconcile.model.clean_counts`). A keyless row's identity is made from its
`_raw` twins, so each task sends that row's digest (`dedupe.ids.CONTENT_DIGEST`) instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..cleanse.options import StandardiseOptions
from ..cleanse.stage import decide_date_orders, standardise
from ..dedupe.ids import CONTENT_DIGEST, content_digests
from ..dedupe.prepare import text_column
from ..reconcile.model import CleanCounts, clean_counts, clean_facts
from ..stage_results import Standardised
from ..tables import PARQUET_SLICE_ROWS
from .frames import as_text, collect, from_arrow, from_batch, safe_names, sorting, spark_type, to_spark

if TYPE_CHECKING:
    from pyspark import Broadcast
    from pyspark.sql import DataFrame, SparkSession

#: Rows standardised on the driver to learn the output's columns and their types.
PROBE_ROWS = 200
POS = "\0pos"
#: Columns of the clean rows no later stage reads on the driver (beside the `_raw` twins).
WRITTEN_ONLY = ("phone_timezone", "phone_extension")


def written_only(column: str) -> bool:
    """Whether the clean rows' `column` is read only to write clean.parquet and count for the
    report: it stays in Spark."""
    return column.endswith("_raw") or column in WRITTEN_ONLY


def spark_standardise(
    spark: SparkSession, staged: pd.DataFrame, options: StandardiseOptions, *, partition_rows: int
) -> Standardised:
    """`cleanse.standardise(staged, options)`, computed by Spark tasks: the same rows, order,
    index and values, of which the driver takes the columns later stages read."""
    from pyspark import StorageLevel

    orders = decide_date_orders(staged, options)
    one_core = options.model_copy(update={"workers": 1})
    probe = standardise(staged.head(PROBE_ROWS), one_core, orders=orders)
    columns = list(staged.columns)
    kinds = {c: spark_type(staged[c]) for c in columns}
    out_columns = list(probe.columns)
    out_kinds = {c: spark_type(probe[c]) for c in out_columns}
    out_names = safe_names(probe)

    def task(batches):  # noqa: ANN001, ANN202 - a Spark task: staged batches in, clean batches out
        for batch in batches:
            pos = batch.iloc[:, -1].to_numpy(dtype=np.int64)
            part = from_batch(batch.iloc[:, :-1], columns, kinds)
            clean = standardise(part, one_core, orders=orders)
            out = pd.DataFrame(
                {
                    name: as_text(clean[c]) if out_kinds[c] == "string" else clean[c].to_numpy()
                    for name, c in zip(out_names, out_columns, strict=True)
                }
            )
            out["digest"] = keyless_digests(clean)
            out["pos"] = pos
            yield out

    typed = (f"{n} {out_kinds[c]}" for n, c in zip(out_names, out_columns, strict=True))
    spark_schema = ", ".join([*typed, "digest string", "pos long"])
    numbered = {POS: np.arange(len(staged), dtype=np.int64)}
    source = to_spark(spark, staged, partition_rows, POS, extra=numbered)  # the staged rows, numbered
    done = source.mapInPandas(task, spark_schema).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        dtypes = dict(probe.dtypes)
        kept = [(n, c) for n, c in zip(out_names, out_columns, strict=True) if not written_only(c)]
        # back in their order, with the dtypes the pandas engine gives, a few columns at a time
        clean = collect(
            done.select(*(n for n, _ in kept), "digest", "pos"),
            {**{c: dtypes[c] for _, c in kept}, CONTENT_DIGEST: np.dtype(object)},
            order="pos",
            computed=True,
        )
        counts = count_clean(done.select(*out_names), out_columns, out_kinds)
    except BaseException:
        done.unpersist()
        raise
    clean.index = staged.index
    held = SparkClean(done, out_names, dtypes, out_kinds, len(staged))
    return Standardised(clean=clean, facts=clean_facts(counts), rows=held)


def keyless_digests(clean: pd.DataFrame) -> np.ndarray:
    """`dedupe.ids.content_digests` of the rows without a legacy key; None for the others."""
    digest = np.full(len(clean), None, dtype=object)
    keyless = text_column(clean, "source_key").isna().to_numpy()
    if keyless.any():
        digest[keyless] = content_digests(clean.loc[keyless]).to_numpy(dtype=object)
    return digest


def count_clean(done: DataFrame, columns: list[str], kinds: dict[str, str]) -> CleanCounts:
    """`clean_counts` of the clean rows, each task counting its own and the driver adding them."""

    def task(batches):  # noqa: ANN001, ANN202 - a Spark task: clean batches in, their counts out
        for batch in batches:
            counts = clean_counts(from_batch(batch, columns, kinds))
            as_json = json.dumps({"rows": counts.rows, "filled": counts.filled, "outcomes": counts.outcomes})
            yield pd.DataFrame({"counts": [as_json]})

    parts = done.mapInPandas(task, "counts string").toArrow().column(0).to_pylist()
    return sum((CleanCounts(**json.loads(p)) for p in parts), CleanCounts())


@dataclass
class SparkClean:
    """The whole clean rows as Spark computed them (`stage_results.HeldRows`): persisted, with the
    position of each row, until `release`."""

    frame: DataFrame  # the clean columns (c0, c1, …), then "digest" and "pos"
    names: list[str]
    dtypes: dict[str, Any]
    kinds: dict[str, str]  # the Spark type each column travels as (`frames.spark_type`)
    rows: int

    def schema(self) -> pa.Schema:
        return self._schema

    @cached_property
    def _schema(self) -> pa.Schema:
        """As pandas gives it for the whole rows: a text column that holds no value anywhere is
        Arrow's null type, so the first value of each column (where any) stands for it."""
        from pyspark.sql import functions as F

        firsts = self.frame.select(*(F.first(n, ignorenulls=True).alias(n) for n in self.names)).toArrow()
        return pa.Schema.from_pandas(from_arrow(firsts, self.dtypes), preserve_index=False)

    def slices(self) -> Iterator[pa.Table]:
        from pyspark.sql import functions as F

        target = self._schema
        pos = F.col("pos")
        for start in range(0, self.rows, PARQUET_SLICE_ROWS):
            taken = self.frame.where((pos >= start) & (pos < start + PARQUET_SLICE_ROWS))
            part = taken.select(*self.names, "pos").toArrow()
            order = sorting(part.column("pos"))
            if order is not None:
                part = part.take(order)
            yield _as_schema(part, target)

    def numbered(self, clusters: np.ndarray, cluster: str, row: str) -> tuple[DataFrame, Broadcast]:
        """The clean columns, then each row's number in `clusters` (as the column `cluster`) and
        its position (`row`); `clusters` go to the tasks as a broadcast, to be destroyed once
        the frame has been used."""
        from pyspark.sql import functions as F

        labels = self.frame.sparkSession.sparkContext.broadcast(np.asarray(clusters, dtype=np.int64))

        @F.pandas_udf("long")  # type: ignore[call-overload]
        def cluster_of(pos: pd.Series) -> pd.Series:
            return pd.Series(labels.value[pos.to_numpy(dtype=np.int64)])

        position = F.col("pos")
        columns = [*self.names, cluster_of(position).alias(cluster), position.alias(row)]
        return self.frame.select(*columns), labels

    def release(self) -> None:
        self.frame.unpersist()


def _as_schema(part: pa.Table, target: pa.Schema) -> pa.Table:
    """Spark's columns (c0, c1, …) as `target`'s, each cast to its type (a column of no values
    at all as nulls)."""
    arrays = []
    for k, field in enumerate(target):
        column = part.column(k)
        arrays.append(pa.nulls(len(column)) if pa.types.is_null(field.type) else column.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=target)
