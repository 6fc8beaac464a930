"""The standardise stage as a Spark job: the per-chunk standardisers in `mapInPandas`, with the
one decision taken over all rows (the date order per source and column) made first, on the
driver, and shipped to every task. Each task standardises on one core (Spark runs a task per
core); rows keep their order and their lineage columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..cleanse.options import StandardiseOptions
from ..cleanse.stage import decide_date_orders, standardise
from .frames import as_text, collect, from_batch, safe_names, spark_type, to_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Rows standardised on the driver to learn the output's columns and their types.
PROBE_ROWS = 200
POS = "\0pos"


def spark_standardise(
    spark: SparkSession, staged: pd.DataFrame, options: StandardiseOptions, *, partition_rows: int
) -> pd.DataFrame:
    """`cleanse.standardise(staged, options)`, computed by Spark tasks: the same rows, order,
    index and values."""
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
            out["pos"] = pos
            yield out

    schema = ", ".join(
        [*(f"{n} {out_kinds[c]}" for n, c in zip(out_names, out_columns, strict=True)), "pos long"]
    )
    numbered = {POS: np.arange(len(staged), dtype=np.int64)}
    source = to_spark(spark, staged, partition_rows, POS, extra=numbered)  # the staged rows, numbered
    # back in their order, with the dtypes the pandas engine gives, a column at a time
    result = collect(source.mapInPandas(task, schema), dict(probe.dtypes), order="pos")
    result.index = staged.index
    return result
