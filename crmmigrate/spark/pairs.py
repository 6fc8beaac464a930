"""The compared pairs kept in Spark (`dedupe.pairs.ComparedPairs`): one row per pair with its
position `p`, rows `lo` and `hi`, key bits `keys` and a level per comparison (`g0`, `g1`, …).

What the driver asks of them runs as Spark jobs: pattern counts by a group-by, scores by the
pandas engine's own `pair_weights` in `mapInPandas` (term frequencies broadcast), and the
selection of the pairs that matter by filters and joins. Scores are elementwise, so a task's
batch gets the bits the pandas engine gives the same pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..dedupe.model import MatchModel, TermFrequencies, pair_weights, probability
from ..dedupe.pairs import ScoredPairs, bare_scores
from ..dedupe.patterns import PatternCounts
from .frames import batches_by_range

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SCORED_SCHEMA = "p long, lo long, hi long, total double, probability double"


class SparkPairs:
    """Compared pairs in a persisted Spark DataFrame; `scored_by_tasks` counts the pairs Spark
    tasks scored (an accumulator: what a run, or a test, can check)."""

    def __init__(
        self, spark: SparkSession, compared: DataFrame, count: int, comparisons: int, rows: int
    ) -> None:
        self.spark = spark
        self.compared = compared
        self.count = count
        self.comparisons = comparisons
        self.positions = np.int32 if rows < 2**31 else np.int64  # as the pandas engine holds them
        self.scored_by_tasks = spark.sparkContext.accumulator(0)
        self._scored: DataFrame | None = None
        self._totals: tuple[DataFrame, float] | None = None  # scored pairs, and the prior they have

    def __len__(self) -> int:
        return self.count

    def patterns(self) -> PatternCounts:
        levels = [f"g{c}" for c in range(self.comparisons)]
        counted = self.compared.groupBy(*levels, "keys").count().toPandas()
        return PatternCounts.canonical(
            counted[levels].to_numpy(dtype=np.int8),
            counted["keys"].to_numpy(dtype=np.int64),
            counted["count"].to_numpy(dtype=np.int64),
        )

    def totals(self, model: MatchModel, tf: TermFrequencies) -> np.ndarray:
        from pyspark import StorageLevel

        scored = self.score_frame(model, tf).persist(StorageLevel.MEMORY_AND_DISK)
        totals = np.empty(self.count, dtype=np.float64)
        # each batch let go once in place: no pandas copy of every pair's total
        for batch in batches_by_range(scored.select("p", "total"), "p", self.count):
            totals[batch.column(0).to_numpy()] = batch.column(1).to_numpy()
            del batch
        self.compared.unpersist()  # the levels are in the totals now
        self._totals = (scored, model.prior_weight)
        return totals

    def scored(
        self,
        model: MatchModel,
        tf: TermFrequencies,
        prior_weight: float | None,
        keep: float,
        must: pd.DataFrame,
    ) -> ScoredPairs:
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        if self._totals is not None:  # scored once already: only the prior changes
            scored, scored_with = self._totals
        else:
            scored, scored_with = self.score_frame(model, tf), model.prior_weight
        if prior_weight is not None:
            scored = _rescaled(scored, scored_with, prior_weight)
        scored = scored.persist(StorageLevel.MEMORY_AND_DISK)
        self._scored = scored
        forced = self._pairs_frame(must)
        flagged = scored.join(
            F.broadcast(forced),
            (F.least("lo", "hi") == forced["a"]) & (F.greatest("lo", "hi") == forced["b"]),
            "left",
        )
        kept = flagged.where((F.col("probability") >= keep) | F.col("a").isNotNull())
        found = self.collect_pairs(kept.select("p", "lo", "hi", "total"))
        self.compared.unpersist()  # every pair's score is in `scored` now
        if self._totals is not None:
            self._totals[0].unpersist()
        return found

    def scored_frame(self) -> DataFrame:
        """Every pair's score (p, lo, hi, total, probability) as `scored` left it, persisted:
        clustering (`spark.clustering`) reads it, then lets it go."""
        assert self._scored is not None, "scored_frame() follows scored()"
        return self._scored

    def score_frame(self, model: MatchModel, tf: TermFrequencies) -> DataFrame:
        """Every pair's total and probability, by the pandas engine's scoring code in Spark tasks."""
        shared = self.spark.sparkContext.broadcast(tf)
        levels = [f"g{c}" for c in range(self.comparisons)]
        counter = self.scored_by_tasks

        def score(batches):  # noqa: ANN001, ANN202 - a Spark task: pairs with levels in, scores out
            frequencies = shared.value
            for batch in batches:
                i, j = batch["lo"].to_numpy(dtype=np.int64), batch["hi"].to_numpy(dtype=np.int64)
                _, total = pair_weights(
                    model, batch[levels].to_numpy(dtype=np.int8), frequencies, i, j, keep=False
                )
                total += model.prior_weight  # as `model.score` adds it
                counter.add(len(batch))
                yield pd.DataFrame(
                    {"p": batch["p"], "lo": i, "hi": j, "total": total, "probability": probability(total)}
                )

        return self.compared.mapInPandas(score, SCORED_SCHEMA)

    def _pairs_frame(self, pairs: pd.DataFrame) -> DataFrame:
        """Pairs (columns i, j) as a Spark frame of (a, b), a <= b."""
        i, j = pairs["i"].to_numpy(dtype=np.int64), pairs["j"].to_numpy(dtype=np.int64)
        frame = pd.DataFrame({"a": np.minimum(i, j), "b": np.maximum(i, j)}).drop_duplicates()
        return self.spark.createDataFrame(frame, schema="a long, b long")

    def collect_pairs(self, pairs: DataFrame) -> ScoredPairs:
        """Pairs (p, lo, hi, total) brought to the driver, in pair order."""
        found = pairs.toPandas().sort_values("p", kind="stable")
        return ScoredPairs(
            found["lo"].to_numpy().astype(self.positions),
            found["hi"].to_numpy().astype(self.positions),
            bare_scores(found["total"].to_numpy(dtype=np.float64), self.comparisons),
            found["p"].to_numpy(dtype=np.int64),
        )


def _rescaled(scored: DataFrame, prior_weight_from: float, prior_weight: float) -> DataFrame:
    """Scored pairs with their prior weight replaced, as `pairs.InMemoryPairs.scored` does it."""

    def rescale(batches):  # noqa: ANN001, ANN202 - a Spark task: scored pairs in and out
        for batch in batches:
            total = (batch["total"].to_numpy(dtype=np.float64) - prior_weight_from) + prior_weight
            yield batch.assign(total=total, probability=probability(total))

    return scored.mapInPandas(rescale, SCORED_SCHEMA)
