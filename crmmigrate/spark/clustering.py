"""Clustering where the pairs are (`dedupe.linking.LinkSteps.cluster` on Spark).

The components of the links (accepted pairs and must-links) are found by Spark joins, the
large-star / small-star rounds of Kiveris et al. ("Connected components in MapReduce and
beyond", 2014): a few rounds, each a pair of group-bys and joins, whatever the components' length,
each round's edges checkpointed so that the plan does not grow with the rounds. The driver gets a
component per linked row (its smallest row, which numbers it as `clustering.components` does).

The chaining guard weighs every pair inside a component. Spark finds which components hold a pair
the evidence speaks against, as `clustering.guard` would find them: a compared pair inside one
component at or below even odds (a forced pair only by its score as a link), a cannot-link inside
one, or a member pair blocking never compared (all of them in components of 3 to
`MAX_CHECKED_COMPONENT` rows, `sampled_partners` in larger ones), compared and scored by Spark
tasks with the pandas engine's code. Only those components come to the driver with their pairs,
and `clustering.guard` rebuilds them there: the same clusters as the pandas engine's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..dedupe.clustering import MAX_CHECKED_COMPONENT, Clusters, Edges, guard, sampled_partners
from ..dedupe.linking import ToCluster, guard_edges, pair_check
from .pairs import SparkPairs
from .session import size_shuffles

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession


def spark_cluster(spark: SparkSession, job: ToCluster, *, partition_rows: int) -> Clusters:
    """`linking.cluster_here`'s clusters, with the pairs left in Spark (`spark.pairs.SparkPairs`)."""
    from pyspark.sql import functions as F

    pairs = job.pairs
    assert isinstance(pairs, SparkPairs), "Spark clusters the pairs it keeps"
    scored = pairs.scored_frame()
    decided = Decided(_pairs(spark, job.must), _pairs(spark, job.cannot))
    members, root = _components(spark, scored, decided, job, partition_rows)
    _, labels = np.unique(root, return_inverse=True)  # numbered by their smallest row
    labels = labels.astype(np.int64)
    inside = _inside(scored, members, decided).persist()
    among = _troubled(spark, job, inside, members, decided, labels, root, partition_rows)
    empty = Edges.of(pd.DataFrame({"i": [], "j": []}))
    links, rest = empty, empty
    if len(among):  # those components' pairs, to the driver
        wanted = spark.createDataFrame(
            pd.DataFrame({"root": np.unique(root[np.isin(labels, among)])}), schema="root long"
        )
        local = pairs.collect_pairs(inside.join(F.broadcast(wanted), "root").select("p", "lo", "hi", "total"))
        links, rest = guard_edges(job, local)
    checks = pair_check(job.mf, job.model, job.tf)
    clusters = guard(labels, links, rest, Edges.of(job.cannot), checks, job.model.prior_weight, among)
    for frame in (scored, members, inside):
        frame.unpersist()
    return clusters


@dataclass(frozen=True)
class Decided:
    """The pairs a person decided, as Spark frames of (a, b), a < b."""

    must: DataFrame
    cannot: DataFrame


def _ends() -> list[Column]:
    """A pair's rows (lo, hi) as (a, b), a < b."""
    from pyspark.sql import functions as F

    return [F.least("lo", "hi").alias("a"), F.greatest("lo", "hi").alias("b")]


def _components(
    spark: SparkSession, scored: DataFrame, decided: Decided, job: ToCluster, partition_rows: int
) -> tuple[DataFrame, np.ndarray]:
    """The components of the links: (pos, root) for every linked row, persisted, and per row of
    the run the smallest row of its component (its own for a row no link touches)."""
    from pyspark.sql import functions as F

    accepted = scored.where(F.col("probability") >= job.settings.threshold).select(*_ends())
    links = accepted.join(decided.cannot, ["a", "b"], "left_anti").unionByName(decided.must)
    size_shuffles(spark, links.count(), partition_rows)
    stars = connected_components(links)
    members = stars.unionByName(stars.select(F.col("root").alias("pos"), "root").distinct())
    members = members.localCheckpoint()
    found = members.toPandas()
    root = np.arange(job.n, dtype=np.int64)
    root[found["pos"].to_numpy(dtype=np.int64)] = found["root"].to_numpy(dtype=np.int64)
    return members, root


def _inside(scored: DataFrame, members: DataFrame, decided: Decided) -> DataFrame:
    """The compared pairs inside one component, with its root and whether a person forced or
    forbade the pair."""
    from pyspark.sql import functions as F

    inside = (  # the linked rows are far fewer than the pairs: they go to every task
        scored.join(F.broadcast(members.toDF("lo", "l_root")), "lo")
        .join(F.broadcast(members.toDF("hi", "h_root")), "hi")
        .where(F.col("l_root") == F.col("h_root"))
        .select("p", "lo", "hi", "total", "probability", F.col("l_root").alias("root"), *_ends())
    )
    return (
        inside.join(decided.must.withColumn("forced", F.lit(True)), ["a", "b"], "left")
        .join(decided.cannot.withColumn("never", F.lit(True)), ["a", "b"], "left")
        .fillna(False, ["forced", "never"])
    )


def _troubled(
    spark: SparkSession,
    job: ToCluster,
    inside: DataFrame,
    members: DataFrame,
    decided: Decided,
    labels: np.ndarray,
    root: np.ndarray,
    partition_rows: int,
) -> np.ndarray:
    """The components (labels) holding a pair the evidence speaks against, as `clustering.guard`
    weighs them: a compared pair (a link by its score; a forced pair that is no link never), a
    cannot-link, an unchecked member pair."""
    from pyspark.sql import functions as F

    link = (F.col("probability") >= job.settings.threshold) & ~F.col("never")
    doubt = F.col("never") | ((link | ~F.col("forced")) & _against(F.col("total"), job.model.prior_weight))
    roots = [inside.where(doubt).select("root").distinct().toPandas()["root"].to_numpy(dtype=np.int64)]
    unchecked = _unchecked_pairs(spark, members, inside, decided, labels, root)
    if unchecked is not None:
        roots.append(_doubted_unchecked(spark, job, unchecked, labels, partition_rows))
    troubled = set(labels[np.concatenate(roots)].tolist())
    i, j = job.cannot["i"].to_numpy(dtype=np.int64), job.cannot["j"].to_numpy(dtype=np.int64)
    troubled |= set(labels[i[labels[i] == labels[j]]].tolist())  # a cannot-link inside a component
    return np.array(sorted(troubled), dtype=np.int64)


def connected_components(edges: DataFrame) -> DataFrame:
    """(pos, root) for every row an edge (a, b) touches but the smallest of its component, `root`.

    Edges are kept once, from the larger row to the smaller (src > dst). A large-star step links
    every larger neighbour of a row to the row's smallest neighbour; a small-star step links a
    row's smaller neighbours to the smallest of them. They stop when every component is a star:
    no edge ends at a row with a smaller neighbour, and no row has two."""
    from pyspark.sql import functions as F

    stars = (
        edges.where(F.col("a") != F.col("b"))
        .select(F.greatest("a", "b").alias("src"), F.least("a", "b").alias("dst"))
        .distinct()
        .localCheckpoint()
    )
    while True:
        smallest = stars.groupBy("src").agg(F.min("dst").alias("m"))
        large = (
            stars.join(smallest.toDF("dst", "m"), "dst", "left")
            .select("src", F.coalesce("m", "dst").alias("dst"))
            .distinct()
        )
        smallest = large.groupBy("src").agg(F.min("dst").alias("m"))
        small = (
            large.join(smallest, "src")
            .select(
                F.when(F.col("dst") == F.col("m"), F.col("src")).otherwise(F.col("dst")).alias("src"),
                F.col("m").alias("dst"),
            )
            .distinct()
        )
        previous, stars = stars, small.localCheckpoint()
        previous.unpersist()
        two = stars.groupBy("src").count().where(F.col("count") > 1).select("src")
        chained = stars.join(stars.select(F.col("src").alias("dst")).distinct(), "dst", "left_semi")
        if two.unionByName(chained.select("src")).isEmpty():  # one job: stars, or another round
            return stars.select(F.col("src").alias("pos"), F.col("dst").alias("root"))


def _against(total: Column, prior_weight: float) -> Column:
    """The guard's test of a pair against its component, `not (evidence + prior > 0)` with the
    evidence `total - prior`, in the same floating-point steps (and NaN, which Spark orders above
    every number, as not above 0)."""
    from pyspark.sql import functions as F

    weighed = (total - F.lit(prior_weight)) + F.lit(prior_weight)
    return ~(weighed > 0) | F.isnan(weighed)


def _pairs(spark: SparkSession, pairs: pd.DataFrame) -> DataFrame:
    """Pairs (columns i, j) as a Spark frame of (a, b), a < b, once each."""
    i, j = pairs["i"].to_numpy(dtype=np.int64), pairs["j"].to_numpy(dtype=np.int64)
    frame = pd.DataFrame({"a": np.minimum(i, j), "b": np.maximum(i, j)}).drop_duplicates()
    return spark.createDataFrame(frame[frame["a"] != frame["b"]], schema="a long, b long")


def _unchecked_pairs(
    spark: SparkSession,
    members: DataFrame,
    inside: DataFrame,
    decided: Decided,
    labels: np.ndarray,
    root: np.ndarray,
) -> DataFrame | None:
    """The member pairs the guard scores that were never compared (not among the compared pairs
    `inside` a component) nor decided: every pair in a
    component of 3 to MAX_CHECKED_COMPONENT rows, drawn here; the sampled partners in larger
    components, drawn on the driver (one seeded draw over them all, as the pandas engine draws
    them). (a, b, root); None when there are none."""
    from pyspark.sql import functions as F

    sizes = np.bincount(labels)
    if sizes.max(initial=0) < 3:
        return None
    counted = members.groupBy("root").count()
    checked = members.join(
        counted.where(F.col("count").between(3, MAX_CHECKED_COMPONENT)).select("root"), "root"
    )
    every = (
        checked.toDF("root", "a")
        .join(checked.toDF("root", "b"), "root")
        .where(F.col("a") < F.col("b"))
        .select("a", "b", "root")
    )
    i, j = sampled_partners(labels, sizes)
    if len(i):
        drawn = pd.DataFrame({"a": i, "b": j, "root": root[i]}).drop_duplicates(["a", "b"])
        every = every.unionByName(spark.createDataFrame(drawn, schema="a long, b long, root long"))
    return (
        every.join(inside.select("a", "b"), ["a", "b"], "left_anti")
        .join(decided.must, ["a", "b"], "left_anti")
        .join(decided.cannot, ["a", "b"], "left_anti")
    )


def _doubted_unchecked(
    spark: SparkSession, job: ToCluster, unchecked: DataFrame, labels: np.ndarray, partition_rows: int
) -> np.ndarray:
    """The roots of components with an unchecked member pair the evidence speaks against: the
    pairs compared and scored by Spark tasks (`spark.linking.compare_pairs`, `SparkPairs`), each
    numbered (`p`) by its component's root."""
    from pyspark.sql import functions as F

    from .linking import compare_pairs

    unchecked = unchecked.localCheckpoint()
    count = unchecked.count()
    roots = np.empty(0, dtype=np.int64)
    if count:
        numbered = unchecked.select(
            F.col("root").alias("p"),
            F.col("a").alias("lo"),
            F.col("b").alias("hi"),
            F.lit(0).cast("long").alias("keys"),
        )
        sizes = np.bincount(labels)
        checked = compare_pairs(
            spark,
            job.mf,
            job.model.comparisons,
            numbered,
            count,
            partition_rows=partition_rows,
            rows=np.flatnonzero(sizes[labels] >= 3),  # the members of the components checked
        )
        if isinstance(checked, SparkPairs):
            totals = checked.score_frame(job.model, job.tf)
            against = totals.where(_against(F.col("total"), job.model.prior_weight)).select("p").distinct()
            roots = against.toPandas()["p"].to_numpy(dtype=np.int64)
            checked.compared.unpersist()
        else:  # nothing to compare by: the driver weighs them all
            roots = unchecked.select("root").distinct().toPandas()["root"].to_numpy(dtype=np.int64)
    unchecked.unpersist()
    return roots
