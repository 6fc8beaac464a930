"""Survivorship as a Spark job: `dedupe.survivorship.survive` on whole clusters per task
(`applyInPandas`, clusters grouped into buckets), with the pandas engine's golden values.

A cluster's golden values depend only on its own rows and their order: every rule ranks values
within the cluster, and the tie-break (source, source_row, row) is an order, not a number. So a
task that holds whole clusters, rows in their original order, chooses what the driver would.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..dedupe.settings import SurvivorshipSettings
from ..dedupe.survivorship import Survivors, survive
from .frames import as_text, from_batch, safe_names, spark_type, to_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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
) -> Survivors:
    """`survive(clean, clusters, settings)`, computed by Spark tasks over whole clusters."""
    clean = clean.reset_index(drop=True)
    clusters = np.asarray(clusters, dtype=np.int64)
    first = np.isin(clusters, np.unique(clusters)[:PROBE_CLUSTERS])
    probe = survive(clean[first].reset_index(drop=True), clusters[first], settings)
    golden_columns = list(probe.golden.columns)
    golden_kinds = {c: spark_type(probe.golden[c]) for c in golden_columns}
    fields = probe.lineage["field"].cat.categories
    columns = [*clean.columns, CLUSTER, ROW]
    frame = clean.assign(**{CLUSTER: clusters, ROW: np.arange(len(clean), dtype=np.int64)})
    kinds = {c: spark_type(frame[c]) for c in columns}
    buckets = max(1, math.ceil(len(clean) / partition_rows))
    names = safe_names(frame)
    rows = to_spark(spark, frame, partition_rows, ROW)
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
        lineage = done.lineage
        lineage = lineage.assign(row=position[lineage["row"].to_numpy(dtype=np.int64)])
        grouped = lineage.groupby("cluster", sort=False)
        field_codes = grouped["field"].agg(lambda f: list(f.cat.codes.astype(np.int32)))
        field_rows = grouped["row"].agg(list)
        out["fields"] = field_codes.reindex(out["cluster"]).map(_list).to_numpy()
        out["rows"] = field_rows.reindex(out["cluster"]).map(_list).to_numpy()
        return out

    schema = ", ".join(
        [
            "cluster long",
            *(f"{n} {golden_kinds[c]}" for n, c in zip(golden_names, golden_columns, strict=True)),
            "fields array<int>",
            "rows array<long>",
        ]
    )
    bucket = names[columns.index(CLUSTER)]
    from pyspark.sql import functions as F

    keyed = rows.withColumn("bucket", F.col(bucket) % buckets)
    result = (
        keyed.groupBy("bucket").applyInPandas(lambda b: task(b.drop(columns="bucket")), schema).toPandas()
    )
    result = result.sort_values("cluster", kind="stable").reset_index(drop=True)
    golden = pd.DataFrame(index=result["cluster"].to_numpy(dtype=np.int64))
    for name, c in zip(golden_names, golden_columns, strict=True):
        values = result[name]
        golden[c] = (as_text(values) if golden_kinds[c] == "string" else values).to_numpy()
        golden[c] = golden[c].astype(probe.golden[c].dtype)
    counts = result["fields"].map(len).to_numpy()
    lineage = pd.DataFrame(
        {
            "cluster": np.repeat(result["cluster"].to_numpy(dtype=np.int64), counts),
            "field": pd.Categorical.from_codes(
                np.concatenate([*result["fields"], np.empty(0, np.int32)]).astype(np.int32), categories=fields
            ),
            "row": np.concatenate([*result["rows"], np.empty(0, np.int64)]).astype(np.int64),
        }
    )
    return Survivors(golden=golden, lineage=lineage)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []
