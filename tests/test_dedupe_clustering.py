"""Clustering: connected components, rebuilt where the evidence between members speaks against."""

import numpy as np
import pandas as pd

from crmmigrate.dedupe.clustering import Edges, cluster

PRIOR = -10.0  # bits: a match is rare among random pairs


def pairs(edges: list[tuple[int, int, float]]) -> Edges:
    """Pairs with their evidence in bits (the prior left out)."""
    return Edges.of(pd.DataFrame(edges, columns=["i", "j", "weight"]).astype({"i": np.int64, "j": np.int64}))


NOTHING = pairs([])


def test_connected_components_when_nothing_speaks_against() -> None:
    result = cluster(5, pairs([(0, 1, 20.0), (1, 2, 18.0), (3, 4, 19.0)]), NOTHING, prior=PRIOR)
    labels = result.labels
    assert labels[0] == labels[1] == labels[2] != labels[3] == labels[4]
    assert result.split == 0


def test_one_weak_link_between_two_groups_that_contradict_each_other_is_cut() -> None:
    # two tight groups {0,1,2} and {3,4,5} joined by one weak link 2-3; 0 and 5 say "different"
    links = pairs([(0, 1, 30), (1, 2, 30), (0, 2, 30), (3, 4, 30), (4, 5, 30), (3, 5, 30), (2, 3, 11)])
    result = cluster(6, links, pairs([(0, 5, -15.0)]), prior=PRIOR)
    labels = result.labels
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4] == labels[5]
    assert labels[0] != labels[3]
    assert result.split == 1


def test_strong_links_outweigh_one_contradicting_pair() -> None:
    """Two copies of one person, each corrupted in other fields, still join the rest of them."""
    links = pairs([(0, 1, 30), (0, 2, 18), (1, 2, 18), (0, 3, 18), (1, 3, 18)])
    result = cluster(4, links, pairs([(2, 3, -9.0)]), prior=PRIOR)
    assert len(set(result.labels.tolist())) == 1


def test_a_long_chain_does_not_merge_hundreds() -> None:
    n = 300
    links = pairs([(k, k + 1, 15.0) for k in range(n - 1)])

    def check(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return np.where(np.abs(i - j) > 3, -20.0, 5.0)  # records far apart along the chain differ

    result = cluster(n, links, NOTHING, check=check, prior=PRIOR)
    assert np.bincount(result.labels).max() <= 12  # sampled checks: segments stay small


def test_must_links_hold_and_cannot_links_split() -> None:
    links = pairs([(0, 1, np.inf), (1, 2, 22.0)])
    result = cluster(3, links, NOTHING, Edges.of(pd.DataFrame({"i": [0], "j": [2]})), prior=PRIOR)
    assert result.labels[0] == result.labels[1] != result.labels[2]


def test_empty_input() -> None:
    assert len(cluster(0, pairs([]), NOTHING).labels) == 0
