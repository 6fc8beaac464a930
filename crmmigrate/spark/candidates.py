"""The pairs to compare, kept in Spark: blocking's pairs (`spark.blocking.candidate_frame`) with
the must-link pairs added and, in an incremental run, only the pairs with a new row, numbered
0, 1, … in the order of (lo, hi) as the pandas engine holds them, with a bit per training key.

The numbers are what lets the driver ask for a pair's place (the prior is calibrated on the
totals in pair order, and the chaining guard weighs pairs in that order): ranks from a global
sort, counted per sorted partition, so no task ever holds them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..dedupe.blocking import Candidates
from ..dedupe.model import KeyGroup
from ..dedupe.prepare import MatchFrame
from ..dedupe.settings import DedupeSettings
from .blocking import candidate_frame

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession


@dataclass(frozen=True)
class BlockedInSpark:
    """`pairs`: p, lo, hi, keys (a bit per training key of `groups`), persisted; `count` of them."""

    found: Candidates
    groups: list[KeyGroup]
    pairs: DataFrame
    count: int


def spark_block(
    spark: SparkSession,
    mf: MatchFrame,
    settings: DedupeSettings,
    identifiers: list[str],
    must: pd.DataFrame,
    new: np.ndarray | None,
    *,
    partition_rows: int,
) -> BlockedInSpark:
    """`linking.block_here` as Spark jobs: the same pairs, in the same order, with the same keys."""
    frame = candidate_frame(spark, mf, settings, identifiers, partition_rows=partition_rows)
    trained = [name for name in frame.keys if frame.found.trains[name]]
    groups = [KeyGroup(name, frame.found.uses.get(name, ())) for name in trained]
    pairs = frame.pairs.select("lo", "hi", _training_bits(frame.keys, trained).alias("keys"))
    if len(must):
        pairs = _with(spark, pairs, must)
    if new is not None:
        pairs = _with_a_new_row(spark, pairs, new)
    numbered, count = _numbered(pairs)
    frame.pairs.unpersist()
    return BlockedInSpark(frame.found, groups, numbered, count)


def _training_bits(keys: list[str], trained: list[str]) -> Column:
    """Per pair, bit b set when the b-th training key found it (from a bit per blocking key)."""
    from pyspark.sql import functions as F

    bits = F.lit(0).cast("long")
    for b, name in enumerate(trained):
        found = F.shiftright("bits", keys.index(name)).bitwiseAND(1)
        bits = bits.bitwiseOR(F.shiftleft(found, b))
    return bits


def _with(spark: SparkSession, pairs: DataFrame, must: pd.DataFrame) -> DataFrame:
    """The pairs and the must-link pairs blocking did not find (no key found those)."""
    i, j = must["i"].to_numpy(dtype=np.int64), must["j"].to_numpy(dtype=np.int64)
    forced = pd.DataFrame({"lo": np.minimum(i, j), "hi": np.maximum(i, j)}).drop_duplicates()
    extra = spark.createDataFrame(forced, "lo long, hi long").join(pairs, ["lo", "hi"], "left_anti")
    from pyspark.sql import functions as F

    return pairs.unionByName(extra.withColumn("keys", F.lit(0).cast("long")))


def _with_a_new_row(spark: SparkSession, pairs: DataFrame, new: np.ndarray) -> DataFrame:
    """The pairs with at least one `new` row."""
    rows = spark.createDataFrame(pd.DataFrame({"row": np.flatnonzero(new).astype(np.int64)}), "row long")
    left = pairs.join(rows.toDF("lo"), "lo", "left_semi")
    right = pairs.join(rows.toDF("hi"), "hi", "left_semi")
    return left.unionByName(right).distinct()


def _numbered(pairs: DataFrame) -> tuple[DataFrame, int]:
    """The pairs with p, their rank in (lo, hi) order, in the partitions of a sort by (lo, hi): as
    many as the shuffles of pairs have (`blocking.candidate_frame` sizes them to the pairs)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    ordered = pairs.orderBy("lo", "hi").persist(StorageLevel.MEMORY_AND_DISK)
    part = F.spark_partition_id()
    sizes = ordered.groupBy(part.alias("part")).count().collect()
    per_part = dict.fromkeys(range(max((int(r["part"]) for r in sizes), default=-1) + 1), 0)
    per_part.update({int(r["part"]): int(r["count"]) for r in sizes})
    starts = np.concatenate([[0], np.cumsum([per_part[k] for k in sorted(per_part)])]).astype(np.int64)
    count = int(starts[-1])
    if count == 0:
        ordered.unpersist()
        return ordered.withColumn("p", F.lit(0).cast("long")).select("p", "lo", "hi", "keys"), 0
    offset = F.element_at(F.array(*(F.lit(int(s)) for s in starts[:-1])), part + 1)
    within = F.monotonically_increasing_id() - F.shiftleft(part.cast("long"), 33)
    # The sort's partitions are runs of consecutive pairs already, sized to the pairs (see
    # `session.size_shuffles`): numbered where they are, with no shuffle of every pair by `p`.
    numbered = ordered.select((offset + within).alias("p"), "lo", "hi", "keys").persist(
        StorageLevel.MEMORY_AND_DISK
    )
    numbered.count()  # numbered while the sorted partitions are cached; then they can go
    ordered.unpersist()
    return numbered, count
