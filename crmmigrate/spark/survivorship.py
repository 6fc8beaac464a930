"""Survivorship as a Spark job: `dedupe.survivorship.survive` on whole clusters per task
(`applyInPandas`, clusters grouped into buckets), with the pandas engine's golden values.

A cluster's golden values depend only on its own rows and their order: every rule ranks values
within the cluster, and the tie-break (source, source_row, row) is an order, not a number. So a
task that holds whole clusters, rows in their original order, chooses what the driver would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..dedupe.settings import SurvivorshipSettings
from ..dedupe.survivorship import Survivors, survive
from .frames import (
    RANGE_ROWS,
    as_text,
    batches_by_range,
    collect,
    from_batch,
    safe_names,
    spark_type,
    to_spark,
)
from .session import size_shuffles

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from .standardise import SparkClean

#: Clusters survived on the driver to learn the golden columns, their types and the field list.
PROBE_CLUSTERS = 20
CLUSTER, ROW = "\0cluster", "\0row"


def spark_survive(
    spark: SparkSession,
    clean: pd.DataFrame,
    clusters: np.ndarray,
    settings: SurvivorshipSettings,
    *,
    partition_rows: int,
    held: SparkClean | None = None,
) -> Survivors:
    """`survive(clean, clusters, settings)`, computed by Spark tasks over whole clusters. The clean
    rows are those Spark `held` since standardise (the same rows, every column), or go to Spark in
    slices (`to_spark`); the golden records come back a few columns at a time (`collect`), so the
    driver never holds a second whole copy of either."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    clusters = np.asarray(clusters, dtype=np.int64)
    first = np.isin(clusters, np.unique(clusters)[:PROBE_CLUSTERS])
    probe = survive(clean[first].reset_index(drop=True), clusters[first], settings)
    golden_columns = list(probe.golden.columns)
    golden_kinds = {c: spark_type(probe.golden[c]) for c in golden_columns}
    fields = probe.lineage["field"].cat.categories
    buckets = size_shuffles(spark, len(clean), partition_rows)
    shared = None  # the clusters, broadcast to the tasks that number the held rows
    if held is not None:
        assert held.rows == len(clean), "Spark holds the rows survived"
        kinds = {**held.kinds, CLUSTER: "bigint", ROW: "bigint"}
        names = [f"c{i}" for i in range(len(kinds))]
        rows, shared = held.numbered(clusters, names[-2], names[-1])  # each with its cluster and row
    else:
        kinds = {**{c: spark_type(clean[c]) for c in clean.columns}, CLUSTER: "bigint", ROW: "bigint"}
        names = [f"c{i}" for i in range(len(kinds))]
        numbered = {names[-2]: clusters, names[-1]: np.arange(len(clean), dtype=np.int64)}
        rows = to_spark(spark, clean, partition_rows, names[-1], extra=numbered)  # with cluster and row
    columns = list(kinds)
    golden_names = safe_names(probe.golden)

    def task(batch: pd.DataFrame) -> pd.DataFrame:  # whole clusters of one bucket
        part = from_batch(batch, columns, kinds).sort_values(ROW, kind="stable")
        position = part.pop(ROW).to_numpy(dtype=np.int64)
        labels = part.pop(CLUSTER).to_numpy(dtype=np.int64)
        done = survive(part.reset_index(drop=True), labels, settings)
        out = pd.DataFrame(
            {
                name: as_text(done.golden[c]) if golden_kinds[c] == "string" else done.golden[c].to_numpy()
                for name, c in zip(golden_names, golden_columns, strict=True)
            }
        )
        out.insert(0, "cluster", done.golden.index.to_numpy(dtype=np.int64))
        out["fields"], out["rows"] = _lineage_lists(out["cluster"].to_numpy(), done.lineage, position)
        return out

    schema = ", ".join(
        [
            "cluster long",
            *(f"{n} {golden_kinds[c]}" for n, c in zip(golden_names, golden_columns, strict=True)),
            "fields array<int>",
            "rows array<long>",
        ]
    )
    keyed = rows.withColumn("bucket", F.col(names[-2]) % buckets)
    done = keyed.groupBy("bucket").applyInPandas(lambda b: task(b.drop(columns="bucket")), schema)
    done = done.persist(StorageLevel.MEMORY_AND_DISK)  # computed once, brought back in parts
    try:
        lists = done.select("cluster", "fields", "rows")
        # a few fields a golden record: so many clusters a job that its results stay in bounds
        per_job = max(1, RANGE_ROWS // max(1, len(fields)))
        parts = list(batches_by_range(lists, "cluster", int(clusters.max(initial=-1)) + 1, per_job))
        table = pa.Table.from_batches(parts) if parts else lists.limit(0).toArrow()
        del parts
        cluster, lineage = _lineage(table, fields)
        del table
        golden = collect(
            done.select(*golden_names, "cluster"), dict(probe.golden.dtypes), order="cluster", computed=True
        )
    finally:
        done.unpersist()
        if shared is not None:
            shared.destroy()
    golden.index = pd.Index(cluster)
    for c in golden_columns:  # the dtypes the pandas engine gives
        golden[c] = golden[c].astype(probe.golden[c].dtype)
    return Survivors(golden=golden, lineage=lineage)


def _lineage(result: pa.Table, fields: pd.Index) -> tuple[np.ndarray, pd.DataFrame]:
    """The clusters in ascending order, and their lineage rows (cluster, field, row) from the
    tasks' per-cluster lists."""
    order = pa.array(np.argsort(result.column("cluster").to_numpy(), kind="stable"))
    cluster = result.column("cluster").take(order).to_numpy().astype(np.int64)
    field_lists, row_lists = (result.column(c).take(order) for c in ("fields", "rows"))
    lineage = pd.DataFrame(
        {
            "cluster": np.repeat(cluster, pc.list_value_length(field_lists).to_numpy(zero_copy_only=False)),
            "field": pd.Categorical.from_codes(
                pc.list_flatten(field_lists).to_numpy().astype(np.int32), categories=fields
            ),
            "row": pc.list_flatten(row_lists).to_numpy().astype(np.int64),
        }
    )
    return cluster, lineage


def _lineage_lists(clusters: np.ndarray, lineage: pd.DataFrame, position: np.ndarray) -> tuple[list, list]:
    """Per cluster of `clusters`, its lineage's field codes and rows (`position` of the lineage's
    rows), in the lineage's order: a sort and a split, not a Python call per cluster."""
    of = lineage["cluster"].to_numpy(dtype=np.int64)
    order = np.argsort(of, kind="stable")
    found, starts = np.unique(of[order], return_index=True)
    codes = np.split(lineage["field"].cat.codes.to_numpy(dtype=np.int32)[order], starts[1:])
    rows = np.split(position[lineage["row"].to_numpy(dtype=np.int64)[order]], starts[1:])
    at = np.searchsorted(found, clusters)
    has = (at < len(found)) & (found[np.minimum(at, max(len(found) - 1, 0))] == clusters)
    fields_of = [codes[a].tolist() if h else [] for a, h in zip(at.tolist(), has.tolist(), strict=True)]
    rows_of = [rows[a].tolist() if h else [] for a, h in zip(at.tolist(), has.tolist(), strict=True)]
    return fields_of, rows_of
