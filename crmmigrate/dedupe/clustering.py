"""Clustering: accepted links -> connected components, with a guard against chaining.

Connected components alone let one bad link merge two whole clusters, and at scale a chain of
plausible links can merge hundreds of people. So every component that holds a pair the evidence
speaks against (a scored pair below even odds, a cannot-link decision) is rebuilt greedily from
its strongest links, and two groups of records are joined only when, on balance, the evidence
between them says "same person": the log-odds of every scored pair between the two groups add up
to more than zero (each pair's evidence counted without the prior, and the prior once). One
strongly contradicting pair can outweigh a weak link; a few strong links
outweigh one contradicting pair (two copies of one person, each corrupted in other fields).
Cannot-link decisions are absolute.

Components of up to `MAX_CHECKED_COMPONENT` members have every member pair scored (pairs blocking
did not compare are scored by `check`); larger ones `SAMPLED_PARTNERS` random partners per member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Components up to this size have all their member pairs scored.
MAX_CHECKED_COMPONENT = 60
#: Random partners scored per member of a larger component.
SAMPLED_PARTNERS = 30

#: Scores member pairs blocking never compared: evidence in bits per pair (i, j).
PairCheck = Callable[[np.ndarray, np.ndarray], np.ndarray]


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


def _member_pairs(
    labels: np.ndarray, sizes: np.ndarray, among: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Member pairs to score: all of them in components of 3..MAX_CHECKED_COMPONENT members, and
    `sampled_partners` in larger ones; only in the components `among` (None: all)."""
    checked = (sizes[labels] >= 3) & (sizes[labels] <= MAX_CHECKED_COMPONENT)
    if among is not None:
        checked &= np.isin(labels, among)
    frame = pd.DataFrame({"c": labels[checked], "r": np.flatnonzero(checked)})
    pairs = frame.merge(frame, on="c")
    pairs = pairs[pairs["r_x"] < pairs["r_y"]]
    sampled_i, sampled_j = sampled_partners(labels, sizes)
    if among is not None:
        examined = np.isin(labels[sampled_i], among)
        sampled_i, sampled_j = sampled_i[examined], sampled_j[examined]
    i = np.concatenate([pairs["r_x"].to_numpy(), sampled_i])
    j = np.concatenate([pairs["r_y"].to_numpy(), sampled_j])
    return i, j


def sampled_partners(labels: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SAMPLED_PARTNERS random partners per member of each component larger than
    MAX_CHECKED_COMPONENT, as pairs (i < j; a member drawn as its own partner left out). Seeded and
    drawn over every large component at once: same labels, same pairs."""
    large = np.flatnonzero(sizes[labels] > MAX_CHECKED_COMPONENT)
    left, right = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
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
    """Union-find whose sets remember their members, so that a union can weigh the evidence
    between the two sets first."""

    def __init__(self, nodes: list[int], evidence: dict[int, dict[int, float]], prior: float) -> None:
        self.parent = {v: v for v in nodes}
        self.members = {v: {v} for v in nodes}
        self.evidence = evidence
        self.prior = prior

    def find(self, v: int) -> int:
        while self.parent[v] != v:
            self.parent[v] = self.parent[self.parent[v]]
            v = self.parent[v]
        return v

    def balance(self, small: int, big: int) -> float:
        """Log-odds that two sets are one person: the prior once, plus the evidence (Bayes factor
        in bits) of every scored pair between them (-inf: a cannot-link)."""
        big_members = self.members[big]
        total = self.prior
        for v in self.members[small]:
            for u, weight in self.evidence.get(v, {}).items():
                if u in big_members:
                    total += weight
        return total

    def union_if_balanced(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        small, big = sorted((ra, rb), key=lambda r: len(self.members[r]))
        if not self.balance(small, big) > 0:
            return
        self.parent[small] = big
        self.members[big] |= self.members.pop(small)


@dataclass(frozen=True)
class Edges:
    """Pairs of rows (i, j) with a weight each: evidence in bits, the prior left out."""

    i: np.ndarray
    j: np.ndarray
    weight: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Edges:
        weight = frame["weight"] if "weight" in frame.columns else pd.Series(-np.inf, index=frame.index)
        return cls(
            frame["i"].to_numpy(dtype=np.int64),
            frame["j"].to_numpy(dtype=np.int64),
            weight.to_numpy(dtype=float),
        )

    def __len__(self) -> int:
        return len(self.i)

    def take(self, mask: np.ndarray) -> Edges:
        return Edges(self.i[mask], self.j[mask], self.weight[mask])

    @staticmethod
    def join(*parts: Edges) -> Edges:
        return Edges(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("i", "j", "weight")))


def _evidence_table(edges: Edges) -> dict[int, dict[int, float]]:
    """node -> {other node: evidence}, both directions; a pair given twice keeps the lower (a
    cannot-link's -inf over a score)."""
    table: dict[int, dict[int, float]] = {}
    for a, b, w in zip(edges.i.tolist(), edges.j.tolist(), edges.weight.tolist(), strict=True):
        if a == b:
            continue
        old = table.setdefault(a, {}).get(b)
        value = w if old is None else min(old, w)
        table[a][b] = value
        table.setdefault(b, {})[a] = value
    return table


def cluster(
    n: int,
    links: Edges,
    scored: Edges,
    cannot: Edges | None = None,
    check: PairCheck | None = None,
    prior: float = 0.0,
) -> Clusters:
    """Cluster rows 0..n-1.

    `links`: accepted links (weight: the evidence in bits, prior excluded; must-links carry weight
    inf). `scored`: every other scored pair, the evidence the guard weighs. `cannot`: pairs that
    must never share a cluster. `check(i, j)`: the evidence of member pairs of larger components
    that blocking never compared. `prior`: the prior log-odds of a match, in bits."""
    return guard(components(n, links.i, links.j), links, scored, cannot, check, prior)


def guard(
    labels: np.ndarray,
    links: Edges,
    scored: Edges,
    cannot: Edges | None = None,
    check: PairCheck | None = None,
    prior: float = 0.0,
    among: np.ndarray | None = None,
) -> Clusters:
    """The chaining guard over the components `labels` of `links` (as `components` numbers them):
    each component with a pair the evidence speaks against is rebuilt from its strongest links.

    `among`: the only components that can hold such a pair (an engine that found them elsewhere,
    e.g. in Spark); the edges given need then cover only those, and the rest are kept as they are.
    None: every component is examined."""
    n = len(labels)
    if n == 0:
        return Clusters(labels=labels, split=0, largest=0)
    sizes = np.bincount(labels)
    # Only pairs inside one component can speak against it; at scale that is a small share.
    parts = [links, scored.take(labels[scored.i] == labels[scored.j])]
    if cannot is not None and len(cannot):
        never = Edges(cannot.i, cannot.j, np.full(len(cannot), -np.inf))
        parts.append(never.take(labels[never.i] == labels[never.j]))
    evidence = Edges.join(*parts)
    if among is not None:
        links, evidence = (e.take(np.isin(labels[e.i], among)) for e in (links, evidence))
    if check is not None:
        ci, cj = _member_pairs(labels, sizes, among)
        if len(ci):
            codes = np.minimum(ci, cj).astype(np.int64) * n + np.maximum(ci, cj)
            lo, hi = np.minimum(evidence.i, evidence.j), np.maximum(evidence.i, evidence.j)
            new = ~np.isin(codes, lo.astype(np.int64) * n + hi)
            if new.any():
                evidence = Edges.join(
                    evidence, Edges(ci[new], cj[new], check(ci[new], cj[new]).astype(float))
                )
    doubts = ~(evidence.weight + prior > 0)
    troubled = np.unique(labels[evidence.i[doubts]])
    if len(troubled) == 0:
        return Clusters(labels=labels, split=0, largest=int(sizes.max()))
    new_labels = labels.copy()
    next_label = int(labels.max()) + 1
    local = evidence.take(np.isin(labels[evidence.i], troubled))
    local_comp = labels[local.i]
    strong = links.take(np.isin(labels[links.i], troubled))
    order = np.lexsort((strong.j, strong.i, -strong.weight))  # strongest first; ties by position
    strong = strong.take(order)
    strong_comp = labels[strong.i]
    rows = np.flatnonzero(np.isin(labels, troubled))
    members = {c: g.tolist() for c, g in pd.Series(rows).groupby(labels[rows])}
    split = 0
    for comp in troubled.tolist():
        sets = _Sets(members[comp], _evidence_table(local.take(local_comp == comp)), prior)
        comp_links = strong.take(strong_comp == comp)
        for a, b in zip(comp_links.i.tolist(), comp_links.j.tolist(), strict=True):
            sets.union_if_balanced(a, b)
        roots = {v: sets.find(v) for v in members[comp]}
        distinct = sorted(set(roots.values()))
        if len(distinct) > 1:
            split += 1
        remap = {r: (comp if k == 0 else next_label + k - 1) for k, r in enumerate(distinct)}
        next_label += len(distinct) - 1
        for v, r in roots.items():
            new_labels[v] = remap[r]
    sizes = np.bincount(new_labels)
    return Clusters(labels=new_labels, split=split, largest=int(sizes.max()))
