"""The compared pairs kept in Spark answer as the pandas engine's pairs in this process: the same
comparison patterns (so the same model), the same scores to the last bit, computed by Spark tasks,
and every pair that can matter to an answer brought back (the pairs inside a component stay for
clustering: test_spark_clustering). Runs on local[2] (skipped without PySpark or Java)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.linking import IN_PROCESS, choose_comparisons
from crmmigrate.dedupe.model import fit_patterns, term_frequencies
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.dedupe.settings import DedupeSettings
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.spark.settings import SparkSettings

#: A forced pair (either order) that blocking does not find.
MUST = pd.DataFrame({"i": [397], "j": [2]})


@pytest.fixture(scope="module")
def both(spark_settings: SparkSettings):  # noqa: ANN201 - the same pairs on each engine
    from crmmigrate.spark.linking import spark_steps
    from crmmigrate.spark.session import spark_session

    mf = prepare(clean_frame(300, seed=21))
    settings = DedupeSettings()
    comparisons = choose_comparisons(mf, settings)
    on_spark = spark_steps(spark_session(spark_settings), 4000)
    blocked = {
        engine: steps.block(mf, settings, comparisons, MUST, None)
        for engine, steps in (("here", IN_PROCESS), ("there", on_spark))
    }
    assert blocked["there"].groups == blocked["here"].groups
    assert blocked["there"].found.per_key == blocked["here"].found.per_key
    here = IN_PROCESS.compare(mf, comparisons, blocked["here"])
    there = on_spark.compare(mf, comparisons, blocked["there"])
    return mf, comparisons, blocked["here"].groups, here, there


def test_the_model_fitted_from_sparks_pattern_counts_is_the_pandas_engines(both) -> None:  # noqa: ANN001
    mf, comparisons, groups, here, there = both
    counted_here, counted_there = here.patterns(), there.patterns()
    assert counted_there.pairs == len(there) == len(here) > 1000
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
    every = here.scored(model, tf, prior_weight, keep, MUST)
    kept = there.scored(model, tf, prior_weight, keep, MUST)
    assert there.scored_by_tasks.value == len(here)  # every pair scored once, in a Spark task
    forced = (every.left == 2) & (every.right == 397)
    wanted = (every.scores.probability >= keep) | forced
    assert forced.sum() == 1 and every.scores.probability[forced][0] < keep
    assert 0 < len(kept) < len(every) and np.array_equal(kept.index, np.flatnonzero(wanted))
    assert np.array_equal(kept.scores.total, every.scores.total[kept.index])
    assert np.array_equal(kept.left, every.left[kept.index]) and kept.left.dtype == every.left.dtype


def test_a_match_frame_too_large_to_broadcast_is_joined_to_its_pairs(
    both,  # noqa: ANN001
    spark_settings: SparkSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above BROADCAST_MIB each pair carries both rows' values to its task: the same levels."""
    import crmmigrate.spark.linking as on_spark
    from crmmigrate.spark.session import spark_session

    mf, comparisons, *_ = both
    here = IN_PROCESS.compare(
        mf, comparisons, IN_PROCESS.block(mf, DedupeSettings(), comparisons, MUST, None)
    )
    monkeypatch.setattr(on_spark, "BROADCAST_MIB", 0)
    looked_up: list[object] = []
    monkeypatch.setattr(on_spark, "_levels_by_lookup", lambda *args: looked_up.append(args))
    blocked = on_spark.spark_steps(spark_session(spark_settings), 4000).block(
        mf, DedupeSettings(), comparisons, MUST, None
    )
    joined = on_spark.compare_pairs(
        spark_session(spark_settings), mf, comparisons, blocked.pairs, blocked.count, partition_rows=4000
    )
    counted_here, counted_there = here.patterns(), joined.patterns()
    assert not looked_up and counted_there.pairs == len(here)
    for field in ("levels", "keys", "counts"):
        assert np.array_equal(getattr(counted_there, field), getattr(counted_here, field)), field


def test_whether_a_match_frame_is_small_enough_to_broadcast_is_its_exact_pickled_size() -> None:
    import pickle

    from crmmigrate.spark.linking import pickles_within

    mf = prepare(clean_frame(40, seed=3))
    size = len(pickle.dumps(mf, protocol=pickle.HIGHEST_PROTOCOL))

    assert pickles_within(mf, size)
    assert not pickles_within(mf, size - 1)  # one byte fewer: counted past it, and stopped there


def test_pairs_joined_to_only_the_rows_they_name_carry_those_rows_values(
    both,  # noqa: ANN001
    spark_settings: SparkSettings,
) -> None:
    from crmmigrate.spark.linking import _with_both_rows
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)
    mf = both[0]
    rows = np.array([3, 17, 40, 41, 250])  # the only rows the pairs name
    pairs = spark.createDataFrame(
        pd.DataFrame({"p": [0, 1, 2], "lo": [3, 40, 17], "hi": [250, 41, 3], "keys": [0, 0, 0]}),
        schema="p long, lo long, hi long, keys long",
    )

    joined = _with_both_rows(spark, mf, pairs, 2, rows).toPandas().sort_values("p")

    assert joined["p"].tolist() == [0, 1, 2]  # none lost in the join
    first = mf.data.columns[0]
    for side, ends in (("l", [3, 40, 17]), ("r", [250, 41, 3])):
        got = joined[f"{side}c0"].tolist()
        assert got == [None if pd.isna(v) else v for v in mf.data[first].iloc[ends]], side
