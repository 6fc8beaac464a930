"""Clustering: accepted links -> connected components, with a guard against chaining.

Connected components alone let one bad link merge two whole clusters, and at scale a chain of
plausible links can merge hundreds of people. The guard looks for *conflicts* inside every
component (cannot-link decisions, first-name conflicts, pairs whose evidence says "different") and
rebuilds such a component greedily from its strongest links, refusing any link that would put two
conflicting records together: the component is split at its weakest links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Components up to this size have all their member pairs checked for conflicts.
MAX_CHECKED_COMPONENT = 60
#: Random partners checked per member of a larger component.
SAMPLED_PARTNERS = 30

ConflictCheck = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Clusters:
    labels: np.ndarray  # cluster number per row
    split: int  # components split by the guard
    largest: int


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if n == 0:
        return np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def _intra_pairs(labels: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Member pairs to check: all of them in components of 3..MAX_CHECKED_COMPONENT members, and
    SAMPLED_PARTNERS random partners per member in larger ones (seeded: same input, same result)."""
    checked = (sizes[labels] >= 3) & (sizes[labels] <= MAX_CHECKED_COMPONENT)
    frame = pd.DataFrame({"c": labels[checked], "r": np.flatnonzero(checked)})
    pairs = frame.merge(frame, on="c")
    pairs = pairs[pairs["r_x"] < pairs["r_y"]]
    left, right = [pairs["r_x"].to_numpy()], [pairs["r_y"].to_numpy()]
    large = np.flatnonzero(sizes[labels] > MAX_CHECKED_COMPONENT)
    if len(large):
        rng = np.random.default_rng(0)
        order = large[np.argsort(labels[large], kind="stable")]
        comp = labels[order]
        start = np.searchsorted(comp, comp, side="left")
        size = sizes[comp]
        for _ in range(SAMPLED_PARTNERS):
            partner = order[start + rng.integers(0, size)]
            left.append(np.minimum(order, partner))
            right.append(np.maximum(order, partner))
    i, j = np.concatenate(left), np.concatenate(right)
    keep = i != j
    return i[keep], j[keep]


class _Sets:
    """Union-find whose sets remember their members, for checking conflicts before a union."""

    def __init__(self, nodes: list[int]) -> None:
        self.parent = {v: v for v in nodes}
        self.members = {v: {v} for v in nodes}

    def find(self, v: int) -> int:
        while self.parent[v] != v:
            self.parent[v] = self.parent[self.parent[v]]
            v = self.parent[v]
        return v

    def union_unless(self, a: int, b: int, conflicts: dict[int, set[int]]) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        small, big = sorted((ra, rb), key=lambda r: len(self.members[r]))
        big_members = self.members[big]
        if any(conflicts.get(v, set()) & big_members for v in self.members[small]):
            return
        self.parent[small] = big
        big_members |= self.members.pop(small)


def _split(nodes: list[int], edges: pd.DataFrame, conflicts: dict[int, set[int]]) -> dict[int, int]:
    sets = _Sets(nodes)
    for a, b in zip(edges["i"].to_numpy(), edges["j"].to_numpy(), strict=False):
        sets.union_unless(int(a), int(b), conflicts)
    return {v: sets.find(v) for v in nodes}


def cluster(
    n: int,
    links: pd.DataFrame,
    conflicts: pd.DataFrame,
    check: ConflictCheck | None = None,
) -> Clusters:
    """Cluster rows 0..n-1.

    `links`: accepted links (columns i, j, weight; must-links carry weight inf). `conflicts`:
    pairs (i, j) that must not end up together. `check(i, j)` flags further conflicts among the
    member pairs of larger components (pairs that were never candidates).
    """
    labels = components(n, links["i"].to_numpy(), links["j"].to_numpy())
    if n == 0:
        return Clusters(labels=labels, split=0, largest=0)
    sizes = np.bincount(labels)
    found = [conflicts[["i", "j"]]]
    if check is not None:
        ci, cj = _intra_pairs(labels, sizes)
        if len(ci):
            flagged = check(ci, cj)
            found.append(pd.DataFrame({"i": ci[flagged], "j": cj[flagged]}))
    conflict = pd.concat(found, ignore_index=True)
    conflict = conflict[labels[conflict["i"].to_numpy()] == labels[conflict["j"].to_numpy()]]
    troubled = np.unique(labels[conflict["i"].to_numpy()])
    if len(troubled) == 0:
        return Clusters(labels=labels, split=0, largest=int(sizes.max()))
    new_labels = labels.copy()
    next_label = int(labels.max()) + 1
    link_comp = labels[links["i"].to_numpy()]
    inner = links[np.isin(link_comp, troubled)].assign(c=link_comp[np.isin(link_comp, troubled)])
    inner = inner.sort_values(["weight", "i", "j"], ascending=[False, True, True], kind="mergesort")
    conflict = conflict.assign(c=labels[conflict["i"].to_numpy()])
    by_comp_conflicts = {c: g for c, g in conflict.groupby("c")}
    rows = np.flatnonzero(np.isin(labels, troubled))
    members = {c: g.tolist() for c, g in pd.Series(rows).groupby(labels[rows])}
    split = 0
    for comp, edges in inner.groupby("c", sort=True):
        nodes = members[comp]
        pairs = by_comp_conflicts[comp]
        table: dict[int, set[int]] = {}
        for a, b in zip(pairs["i"].to_numpy(), pairs["j"].to_numpy(), strict=False):
            table.setdefault(int(a), set()).add(int(b))
            table.setdefault(int(b), set()).add(int(a))
        roots = _split(nodes, edges, table)
        distinct = sorted(set(roots.values()))
        if len(distinct) > 1:
            split += 1
        remap = {r: (comp if k == 0 else next_label + k - 1) for k, r in enumerate(distinct)}
        next_label += len(distinct) - 1
        for v, r in roots.items():
            new_labels[v] = remap[r]
    sizes = np.bincount(new_labels)
    return Clusters(labels=new_labels, split=split, largest=int(sizes.max()))
