"""Clustering: connected components, split at the weakest links where members conflict."""

import numpy as np
import pandas as pd

from crmmigrate.dedupe.clustering import cluster


def links(edges: list[tuple[int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(edges, columns=["i", "j", "weight"])


NO_CONFLICTS = pd.DataFrame({"i": np.empty(0, dtype=np.int64), "j": np.empty(0, dtype=np.int64)})


def test_connected_components_without_conflicts() -> None:
    result = cluster(5, links([(0, 1, 10.0), (1, 2, 8.0), (3, 4, 9.0)]), NO_CONFLICTS)
    labels = result.labels
    assert labels[0] == labels[1] == labels[2] != labels[3] == labels[4]
    assert result.split == 0


def test_one_weak_link_between_two_conflicting_groups_is_cut() -> None:
    # two tight groups {0,1,2} and {3,4,5} joined by one weak link 2-3; 0 and 5 conflict
    edges = [(0, 1, 20.0), (1, 2, 20.0), (0, 2, 20.0), (3, 4, 20.0), (4, 5, 20.0), (3, 5, 20.0), (2, 3, 4.0)]
    result = cluster(6, links(edges), pd.DataFrame({"i": [0], "j": [5]}))
    labels = result.labels
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4] == labels[5]
    assert labels[0] != labels[3]
    assert result.split == 1


def test_a_long_chain_does_not_merge_hundreds() -> None:
    n = 300
    edges = [(k, k + 1, 5.0) for k in range(n - 1)]

    def check(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return np.abs(i - j) > 3  # records far apart along the chain have nothing in common

    result = cluster(n, links(edges), NO_CONFLICTS, check)
    assert np.bincount(result.labels).max() <= 12  # sampled checks: segments stay small


def test_must_links_hold_and_cannot_links_split() -> None:
    edges = [(0, 1, np.inf), (1, 2, 12.0)]
    result = cluster(3, links(edges), pd.DataFrame({"i": [0], "j": [2]}))
    assert result.labels[0] == result.labels[1] != result.labels[2]


def test_empty_input() -> None:
    assert len(cluster(0, links([]), NO_CONFLICTS).labels) == 0
