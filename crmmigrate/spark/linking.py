"""The matcher's growing steps as Spark jobs (`dedupe.linking.LinkSteps`): candidate pairs from
key joins (`spark.blocking`), the comparison levels of the pairs in `mapInPandas`, by the
comparison code of the pandas engine, on batches of pairs that carry both rows' match values,
clustering (`spark.clustering`) and survivorship over whole clusters (`spark.survivorship`).

The levels stay in Spark (`spark.pairs.SparkPairs`): the driver gets their pattern counts to fit
the model on, every pair's total in pair order to calibrate the prior on, and the scored pairs
that can matter to an answer (links, the review band, forced pairs). The components of the links
are found by Spark joins, and only those the chaining guard must rebuild come to the driver with
their pairs. u from random pairs, EM over the pattern counts, term frequencies, the guard's
rebuilding and ids run on the driver, as in the pandas engine, so the answer is the same.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..dedupe import comparisons as comparison_code
from ..dedupe.clustering import Clusters
from ..dedupe.comparisons import Comparison, compare
from ..dedupe.linking import LinkSteps, ToCluster
from ..dedupe.pairs import ComparedPairs, InMemoryPairs
from ..dedupe.prepare import MatchFrame
from ..dedupe.settings import DedupeSettings, SurvivorshipSettings
from ..dedupe.survivorship import Survivors
from .candidates import BlockedInSpark, spark_block
from .clustering import spark_cluster
from .frames import safe_names, spark_type, stacked_from_batch, to_spark
from .pairs import SparkPairs
from .session import task_workers
from .survivorship import spark_survive

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from .standardise import SparkClean

#: A Spark task of mapInPandas: batches of pairs in, their levels out.
LevelsTask = Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]


def spark_steps(spark: SparkSession, partition_rows: int, held: SparkClean | None = None) -> LinkSteps:
    """Blocking, comparing and survivorship on `spark`, about `partition_rows` rows (or pairs) per
    task; the pairs stay in Spark. `held`: the clean rows Spark kept from standardise, which
    survivorship then reads there (the rows deduplicated, not an incremental run's with anchors)."""

    def block(
        mf: MatchFrame,
        settings: DedupeSettings,
        comparisons: list[Comparison],
        must: pd.DataFrame,
        new: np.ndarray | None,
    ) -> BlockedInSpark:
        identifiers = [c.name for c in comparisons if c.kind == "id"]
        return spark_block(spark, mf, settings, identifiers, must, new, partition_rows=partition_rows)

    def levels(mf: MatchFrame, comparisons: list[Comparison], blocked: BlockedInSpark) -> ComparedPairs:
        return compare_pairs(
            spark, mf, comparisons, blocked.pairs, blocked.count, partition_rows=partition_rows
        )

    def clusters(job: ToCluster) -> Clusters:
        return spark_cluster(spark, job, partition_rows=partition_rows)

    def survivors(clean: pd.DataFrame, clusters: np.ndarray, settings: SurvivorshipSettings) -> Survivors:
        return spark_survive(spark, clean, clusters, settings, partition_rows=partition_rows, held=held)

    return LinkSteps(block=block, compare=levels, cluster=clusters, survive=survivors)


def spark_compare(
    spark: SparkSession,
    mf: MatchFrame,
    comparisons: list[Comparison],
    left: np.ndarray,
    right: np.ndarray,
    *,
    keys: np.ndarray | None = None,
    partition_rows: int,
) -> ComparedPairs:
    """`comparisons.compare(mf, comparisons, left, right)`, computed by Spark tasks: each gets a
    batch of pairs with both rows' match values and compares them as a frame of its own. The
    levels stay in Spark, with each pair's position `p`, rows `lo`, `hi` and key bits `keys`."""
    keys = np.zeros(len(left), dtype=np.int64) if keys is None else keys
    pairs = to_spark(
        spark,
        pd.DataFrame(
            {"p": np.arange(len(left), dtype=np.int64), "lo": left, "hi": right, "keys": keys}
        ).astype(np.int64),
        partition_rows,
        "p",
    ).toDF("p", "lo", "hi", "keys")
    return compare_pairs(spark, mf, comparisons, pairs, len(left), partition_rows=partition_rows)


#: The largest match frame (pickled) sent whole to every task: then a task looks its pairs' rows
#: up itself, and the pairs travel without their rows' values. Each Python worker holds a copy.
BROADCAST_MIB = 128


def compare_pairs(
    spark: SparkSession,
    mf: MatchFrame,
    comparisons: list[Comparison],
    pairs: DataFrame,
    count: int,
    *,
    partition_rows: int,
    rows: np.ndarray | None = None,
) -> ComparedPairs:
    """The levels of `pairs` (p, lo, hi, keys; `count` of them) by Spark tasks, kept in Spark.

    A match frame of up to BROADCAST_MIB goes to every task once (a broadcast), and each task
    compares its pairs by the pandas engine's call on it. A larger one is joined to the pairs
    instead, each pair carrying both rows' values to its task; `rows`: the only rows the pairs name
    (positions, ascending), the only ones then sent (None: every row)."""
    from pyspark import StorageLevel

    if count == 0 or not comparisons:  # nothing to compare in Spark: the few pairs come here
        found = pairs.toPandas().sort_values("p")
        left, right = (
            found[c].to_numpy().astype(np.int32 if len(mf) < 2**31 else np.int64) for c in ("lo", "hi")
        )
        gamma = np.full((count, len(comparisons)), comparison_code.NULL, dtype=np.int8)
        return InMemoryPairs(mf, left, right, gamma, found["keys"].to_numpy(dtype=np.int64))
    schema = ", ".join(
        ["p long, lo long, hi long, keys long", *(f"g{c} tinyint" for c in range(len(comparisons)))]
    )
    if pickles_within(mf, BROADCAST_MIB * 2**20):
        compared = pairs.mapInPandas(_levels_by_lookup(spark, mf, comparisons), schema)
    else:
        compared = _with_both_rows(spark, mf, pairs, partition_rows, rows).mapInPandas(
            _levels_of_joined(mf, comparisons), schema
        )
    compared = compared.persist(StorageLevel.MEMORY_AND_DISK)
    compared.count()  # compared while the pairs to compare are cached; then they can go
    pairs.unpersist()
    return SparkPairs(spark, compared, count, len(comparisons), len(mf))


class _Over(Exception):
    """The pickle `pickles_within` counts went over its size."""


class _Counter:
    """A file that keeps only how many bytes were written to it, up to `limit`."""

    def __init__(self, limit: int) -> None:
        self.size, self.limit = 0, limit

    def write(self, data: bytes | memoryview) -> int:
        written = memoryview(data).nbytes
        self.size += written
        if self.size > self.limit:
            raise _Over
        return written


def pickles_within(value: object, size: int) -> bool:
    """Whether `value`'s pickle (as a broadcast makes it) is at most `size` bytes: the pickle is
    counted as it is written and never held, and the count stops once it is over `size` (a match
    frame of a million rows pickles to hundreds of MiB)."""
    try:
        pickle.Pickler(_Counter(size), protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except _Over:
        return False
    return True


def _levels(batch: pd.DataFrame, gamma: np.ndarray) -> pd.DataFrame:
    """A batch of pairs' output: p, lo, hi, keys and a level per comparison."""
    out = pd.DataFrame(gamma.astype(np.int8), columns=[f"g{c}" for c in range(gamma.shape[1])])
    for k, column in enumerate(("p", "lo", "hi", "keys")):
        out.insert(k, column, batch[column].to_numpy(dtype=np.int64))
    return out


def _levels_by_lookup(spark: SparkSession, mf: MatchFrame, comparisons: list[Comparison]) -> LevelsTask:
    """A task that compares its pairs on the match frame, broadcast."""
    shared = spark.sparkContext.broadcast(mf)

    def levels(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        comparison_code.WORKERS = task_workers()  # one core per task: Spark runs a task per core
        frame = shared.value  # once per Python worker
        for batch in batches:
            lo, hi = (batch[c].to_numpy(dtype=np.int64) for c in ("lo", "hi"))
            yield _levels(batch, compare(frame, comparisons, lo, hi))

    return levels


def _with_both_rows(
    spark: SparkSession, mf: MatchFrame, pairs: DataFrame, partition_rows: int, rows: np.ndarray | None
) -> DataFrame:
    """The pairs with their rows' match values (l…, r…) joined on, from the `rows` sent."""
    names = safe_names(mf.data)
    pos = np.arange(len(mf), dtype=np.int64) if rows is None else rows.astype(np.int64)
    sent = to_spark(spark, mf.data, partition_rows, "pos", extra={"pos": pos}, rows=rows)
    side = {
        s: sent.select(*(sent[n].alias(f"{s}{n}") for n in names), sent["pos"].alias(f"{s}pos")) for s in "lr"
    }
    return (
        pairs.join(side["l"], pairs["lo"] == side["l"]["lpos"])
        .join(side["r"], pairs["hi"] == side["r"]["rpos"])
        .select("p", "lo", "hi", "keys", *(f"l{n}" for n in names), *(f"r{n}" for n in names))
    )


def _levels_of_joined(mf: MatchFrame, comparisons: list[Comparison]) -> LevelsTask:
    """A task that compares pairs carrying both rows' values, as a match frame of their own."""
    columns = list(mf.data.columns)
    kinds = {c: spark_type(mf.data[c]) for c in columns}
    custom = dict(mf.custom)

    def levels(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        comparison_code.WORKERS = task_workers()  # one core per task: Spark runs a task per core
        for batch in batches:
            k = len(batch)
            both = stacked_from_batch(batch, 4, columns, kinds)
            pair_frame = MatchFrame(data=both, custom=custom)
            yield _levels(batch, compare(pair_frame, comparisons, np.arange(k), np.arange(k, 2 * k)))

    return levels
