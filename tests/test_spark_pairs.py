"""The compared pairs kept in Spark answer as the pandas engine's pairs in this process: the same
comparison patterns (so the same model), the same scores to the last bit, computed by Spark tasks,
and every pair that can matter to an answer brought back. Runs on local[2] (skipped without
PySpark or Java)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.blocking import automatic_keys, candidate_pairs
from crmmigrate.dedupe.linking import IN_PROCESS, choose_comparisons, training_keys
from crmmigrate.dedupe.model import fit_patterns, term_frequencies
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.settings import DedupeSettings
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.spark.settings import SparkSettings


@pytest.fixture(scope="module")
def both(spark_settings: SparkSettings):  # noqa: ANN201 - the same pairs on each engine
    from crmmigrate.spark.linking import spark_compare
    from crmmigrate.spark.session import spark_session

    mf = prepare(clean_frame(400, seed=21))
    settings = DedupeSettings()
    comparisons = choose_comparisons(mf, settings)
    candidates = candidate_pairs(automatic_keys(mf), len(mf))
    groups, keys = training_keys(candidates, np.ones(len(candidates), dtype=bool))
    left, right = candidates.left.astype(np.int32), candidates.right.astype(np.int32)
    here = IN_PROCESS.compare(mf, comparisons, left, right, keys)
    spark = spark_session(spark_settings)
    there = spark_compare(spark, mf, comparisons, left, right, keys=keys, partition_rows=4000)
    return mf, comparisons, groups, here, there


def test_the_model_fitted_from_sparks_pattern_counts_is_the_pandas_engines(both) -> None:  # noqa: ANN001
    mf, comparisons, groups, here, there = both
    counted_here, counted_there = here.patterns(), there.patterns()
    assert counted_there.pairs == len(here) > 1000
    for field in ("levels", "keys", "counts"):
        assert np.array_equal(getattr(counted_there, field), getattr(counted_here, field)), field
    models = [
        fit_patterns(mf, comparisons, t, groups=groups, u_sample=20_000)
        for t in (counted_here, counted_there)
    ]
    assert models[1].to_dict() == models[0].to_dict()


def test_spark_tasks_score_the_pairs_and_bring_back_those_that_matter(both) -> None:  # noqa: ANN001
    mf, comparisons, groups, here, there = both
    model = fit_patterns(mf, comparisons, here.patterns(), groups=groups, u_sample=20_000)
    tf = term_frequencies(mf, model)
    totals = here.totals(model, tf)
    assert np.array_equal(there.totals(model, tf), totals)  # to the last bit, in pair order
    keep, prior_weight = 0.5, model.prior_weight - 1.0
    forced = pd.DataFrame({"i": [int(here.right[0])], "j": [int(here.left[0])]})  # either order
    every = here.scored(model, tf, prior_weight, keep, forced)
    kept = there.scored(model, tf, prior_weight, keep, forced)
    assert there.scored_by_tasks.value == 2 * len(here)  # totals, then scores: every pair in a task
    wanted = (every.scores.probability >= keep) | (np.arange(len(every)) == 0)
    assert 0 < len(kept) < len(every) and np.array_equal(kept.index, np.flatnonzero(wanted))
    assert np.array_equal(kept.scores.total, every.scores.total[kept.index])
    assert np.array_equal(kept.left, every.left[kept.index]) and kept.left.dtype == every.left.dtype
    labels = np.full(len(mf), -1)
    labels[[every.left[1], every.right[1]]] = 7  # one component of two rows
    inside = there.within(labels, keep)
    assert list(inside.index) == ([1] if every.scores.probability[1] < keep else [])
