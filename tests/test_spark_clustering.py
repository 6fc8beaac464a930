"""Clustering on Spark: the components of the links found by Spark joins, numbered as the driver
numbers them; the components the chaining guard must rebuild found in Spark and only those
brought to the driver; and the clusters, ids and golden records those give equal to the pandas
engine's. Runs on local[2] (skipped without PySpark or Java)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmmigrate import schema
from crmmigrate.dedupe import blocking, dedupe
from crmmigrate.dedupe.clustering import MAX_CHECKED_COMPONENT, _member_pairs, components
from crmmigrate.dedupe.linking import pair_check
from crmmigrate.dedupe.settings import DedupeSettings
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.spark.settings import SparkSettings

DECISION_COLUMNS = ["left_source", "left_key", "right_source", "right_key", "decision"]


def test_components_by_spark_joins_are_numbered_as_the_driver_numbers_them(
    spark_settings: SparkSettings,
) -> None:
    from crmmigrate.spark.clustering import connected_components
    from crmmigrate.spark.session import spark_session

    rng = np.random.default_rng(5)
    n = 400
    path = rng.permutation(n)[:90]  # one long chain, its rows in no order: many rounds of joins
    a = np.concatenate([path[:-1], rng.integers(0, n, 120)])
    b = np.concatenate([path[1:], rng.integers(0, n, 120)])
    spark = spark_session(spark_settings)
    edges = spark.createDataFrame(pd.DataFrame({"a": a, "b": b}), schema="a long, b long")
    found = connected_components(edges).toPandas()
    root = np.arange(n)
    root[found["pos"].to_numpy()] = found["root"].to_numpy()
    expected = components(n, a, b)
    assert np.array_equal(np.unique(root, return_inverse=True)[1], expected)
    assert (found["root"] < found["pos"]).all()  # every row points at its component's smallest
    assert np.bincount(expected).max() >= 90


def test_the_pairs_the_guard_scores_unchecked_are_found_in_spark(spark_settings: SparkSettings) -> None:
    """Every member pair of components of 3..60 rows and the seeded sampled partners in larger
    ones, less the pairs compared or decided: the pairs `clustering.guard` scores by `check`."""
    from crmmigrate.spark.clustering import Decided, _pairs, _unchecked_pairs
    from crmmigrate.spark.session import spark_session

    spark = spark_session(spark_settings)
    n = 300
    labels = np.repeat(np.arange(6), [2, 3, 5, 60, 61, 169])  # sizes on both sides of each limit
    assert MAX_CHECKED_COMPONENT == 60
    labels = labels[np.random.default_rng(1).permutation(n)]
    root = np.array([np.flatnonzero(labels == c)[0] for c in labels])
    linked = root != np.arange(n)
    members = spark.createDataFrame(
        pd.DataFrame({"pos": np.flatnonzero(linked), "root": root[linked]}), schema="pos long, root long"
    ).unionByName(
        spark.createDataFrame(
            pd.DataFrame({"pos": np.unique(root), "root": np.unique(root)}), "pos long, root long"
        )
    )
    i, j = _member_pairs(labels, np.bincount(labels))
    compared = pd.DataFrame({"a": i[::50][:40], "b": j[::50][:40]})  # checked already
    inside = spark.createDataFrame(compared, "a long, b long")
    must = pd.DataFrame({"i": [i[7]], "j": [j[7]]})
    cannot = pd.DataFrame({"i": [j[-100]], "j": [i[-100]]})  # a sampled pair
    found = _unchecked_pairs(
        spark, members, inside, Decided(_pairs(spark, must), _pairs(spark, cannot)), labels, root
    ).toPandas()
    done = set(zip(compared["a"], compared["b"], strict=True))
    done |= {(i[7], j[7]), (i[-100], j[-100])}
    expected = {(x, y) for x, y in zip(i.tolist(), j.tolist(), strict=True)} - done
    assert set(zip(found["a"].tolist(), found["b"].tolist(), strict=True)) == expected
    assert len(found) == len(expected)  # none twice
    assert (root[found["a"]] == found["root"]).all()
    assert set(labels[found["a"]]) == {1, 2, 3, 4, 5}  # none in the pair, sampled in 61 and 169


@pytest.fixture(scope="module")
def chained() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean rows with decisions that chain 70 rows of different people into one component (a
    component larger than MAX_CHECKED_COMPONENT) and keep some copies of one person apart."""
    clean = clean_frame(260, seed=8)
    for column in schema.STAGED_COLUMNS:  # every canonical column, missing as None (as standardised)
        values = clean[column] if column in clean.columns else pd.Series(None, index=clean.index)
        clean[column] = values.astype(object).where(values.notna(), None)
    people = clean.drop_duplicates("person_id").index[:70]
    must = _decided(clean.loc[people[:-1]], clean.loc[people[1:]], "must_link")
    copies = clean[clean.duplicated("person_id", keep=False)].groupby("person_id").head(2)
    cannot = _decided(copies.iloc[0:20:2], copies.iloc[1:20:2], "cannot_link")
    return clean, pd.concat([must, cannot], ignore_index=True)


def _decided(left: pd.DataFrame, right: pd.DataFrame, decision: str) -> pd.DataFrame:
    """Decisions (the decisions.csv columns) pairing each row of `left` with the row of `right`
    in the same place."""
    return pd.DataFrame(
        {
            "left_source": left["source"].to_numpy(),
            "left_key": left["source_key"].to_numpy(),
            "right_source": right["source"].to_numpy(),
            "right_key": right["source_key"].to_numpy(),
            "decision": decision,
        }
    )


@pytest.mark.parametrize(("threshold", "broadcast"), [(0.9, True), (0.05, False)])
def test_clusters_on_spark_give_the_pandas_engines_ids_and_golden_records(
    spark_settings: SparkSettings,
    chained: tuple[pd.DataFrame, pd.DataFrame],
    threshold: float,
    broadcast: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A low threshold links chains of weak pairs, and must-links chain 70 people; the guard
    rebuilds them in both engines alike. Only the components it rebuilds come to the driver with
    their pairs. Without the broadcast (a match frame over BROADCAST_MIB) the pairs carry their
    rows' values, and the unchecked pairs only those of the components checked."""
    import crmmigrate.spark.clustering as on_spark
    import crmmigrate.spark.linking as linking
    from crmmigrate.spark.linking import spark_steps
    from crmmigrate.spark.session import spark_session

    if not broadcast:
        monkeypatch.setattr(linking, "BROADCAST_MIB", 0)
    # The keys alone (not every pair of so small a list): some member pairs go unchecked.
    monkeypatch.setattr(blocking, "EVERY_PAIR_ROWS", 0)
    examined: list[tuple[np.ndarray, np.ndarray]] = []
    guard = on_spark.guard

    def spied(labels, links, rest, *args):  # noqa: ANN001, ANN002, ANN202
        examined.append((labels, args[-1]))
        assert set(np.unique(labels[links.i])) <= set(args[-1].tolist())  # pairs of those alone
        return guard(labels, links, rest, *args)

    monkeypatch.setattr(on_spark, "guard", spied)
    doubted_unchecked = on_spark._doubted_unchecked
    unchecked: list[tuple[np.ndarray, np.ndarray]] = []

    def weighed_here_too(spark, job, pairs, labels, partition_rows):  # noqa: ANN001, ANN202
        """Spark's components with an unchecked pair against them, and the driver's."""
        found = doubted_unchecked(spark, job, pairs, labels, partition_rows)
        here = pairs.toPandas()
        evidence = pair_check(job.mf, job.model, job.tf)(here["a"].to_numpy(), here["b"].to_numpy())
        against = ~(evidence + job.model.prior_weight > 0)
        unchecked.append((np.sort(found), np.unique(here["root"].to_numpy()[against])))
        return found

    monkeypatch.setattr(on_spark, "_doubted_unchecked", weighed_here_too)
    clean, decisions = chained
    settings = DedupeSettings(threshold=threshold)
    engine = spark_steps(spark_session(spark_settings), spark_settings.partition_rows)
    here = dedupe(clean, settings, decisions=decisions)
    there = dedupe(clean, settings, decisions=decisions, engine=engine)
    for name in ("golden", "xref", "review", "lineage"):
        pd.testing.assert_frame_equal(getattr(there, name), getattr(here, name), obj=name)
    for figure in ("clusters", "clusters_split", "largest_cluster"):
        assert there.stats[figure] == here.stats[figure], figure
    assert here.stats["clusters_split"] > 0  # the guard had work to do
    ((labels, among),) = examined
    assert np.bincount(labels).max() >= 70  # the chain of must-links: partners sampled in Spark
    merged = int((here.golden["member_count"] > 1).sum())
    assert 0 < len(among) < merged / 3
    ((in_spark, on_the_driver),) = unchecked
    assert len(in_spark) and np.array_equal(in_spark, on_the_driver)
