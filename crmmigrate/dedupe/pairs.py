"""The compared pairs as an engine holds them, and the pair-level steps run where they are.

After comparing, the matcher asks the pairs for what it needs and nothing more: their comparison
patterns with counts (to fit the model), every pair's total weight in pair order (to calibrate
the prior), and the scored pairs that can matter to an answer (links, pairs to review, forced
pairs); the engine's `LinkSteps.cluster` then weighs the pairs inside each component where
they are (the chaining guard).

`InMemoryPairs` holds numpy arrays in this process and keeps every pair; the Spark engine's pairs
(`crmmigrate.spark.pairs`) stay in Spark and bring back only what is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from .blocking import Candidates
from .comparisons import Comparison, compare
from .model import KeyGroup, MatchModel, Scores, TermFrequencies, probability, score
from .patterns import PatternCounts
from .prepare import MatchFrame


@dataclass(frozen=True)
class ScoredPairs:
    """Scored pairs: positions, scores, and where they stand among the compared pairs (`index`,
    ascending; None when they are every compared pair, in order)."""

    left: np.ndarray
    right: np.ndarray
    scores: Scores
    index: np.ndarray | None = None

    @property
    def complete(self) -> bool:
        return self.index is None

    def __len__(self) -> int:
        return len(self.left)


def bare_scores(total: np.ndarray, comparisons: int) -> Scores:
    """Scores of pairs scored elsewhere: totals and probabilities only (no levels, no weights)."""
    return Scores(
        gamma=np.empty((0, comparisons), dtype=np.int8),
        weights=None,
        total=total,
        probability=probability(total),
        conflict=np.empty(0, dtype=bool),
    )


class ComparedPairs(Protocol):
    """The compared pairs, wherever an engine keeps them."""

    def __len__(self) -> int: ...

    def patterns(self) -> PatternCounts:
        """Distinct (levels, key bits) with how many pairs have each."""
        ...

    def totals(self, model: MatchModel, tf: TermFrequencies) -> np.ndarray:
        """Every pair's total weight in bits (prior included), in pair order."""
        ...

    def scored(
        self,
        model: MatchModel,
        tf: TermFrequencies,
        prior_weight: float | None,
        keep: float,
        must: pd.DataFrame,
    ) -> ScoredPairs:
        """The pairs scored by `model`, their prior replaced by `prior_weight` (None: as it is):
        at least those of probability `keep` or more and the `must` pairs."""
        ...


@dataclass
class InMemoryPairs:
    """Pairs held in this process: scored once, every pair kept."""

    mf: MatchFrame
    left: np.ndarray
    right: np.ndarray
    gamma: np.ndarray
    keys: np.ndarray | None
    _scores: Scores | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.left)

    def patterns(self) -> PatternCounts:
        return PatternCounts.of(self.gamma, self.keys)

    def totals(self, model: MatchModel, tf: TermFrequencies) -> np.ndarray:
        scores = score(self.mf, model, self.left, self.right, tf, gamma=self.gamma, keep_weights=False)
        self._scores = Scores(scores.gamma[:0], None, scores.total, scores.probability, scores.conflict)
        self.gamma = self.gamma[:0]  # the levels are in the totals now
        return scores.total

    def scored(
        self,
        model: MatchModel,
        tf: TermFrequencies,
        prior_weight: float | None,
        keep: float,
        must: pd.DataFrame,
    ) -> ScoredPairs:
        scores = self._scores
        if scores is None:
            self.totals(model, tf)
            scores = self._scores
        assert scores is not None
        if prior_weight is not None:
            total = (scores.total - model.prior_weight) + prior_weight
            scores = Scores(scores.gamma, None, total, probability(total), scores.conflict)
        self._scores = None
        return ScoredPairs(self.left, self.right, scores)


class Blocked(Protocol):
    """What blocking found, as an engine holds it: the per-key figures here (`found`, its pairs
    left out), the keys EM trains on (`groups`), the pairs to compare wherever the engine keeps
    them."""

    found: Candidates
    groups: list[KeyGroup]


@dataclass(frozen=True)
class BlockedHere:
    """The pairs to compare in this process (positions), with a bit per training key that found
    each (`keys`)."""

    found: Candidates
    groups: list[KeyGroup]
    left: np.ndarray
    right: np.ndarray
    keys: np.ndarray


def compare_here(mf: MatchFrame, comparisons: list[Comparison], blocked: BlockedHere) -> InMemoryPairs:
    """The pairs compared in this process."""
    left, right = blocked.left, blocked.right
    return InMemoryPairs(mf, left, right, compare(mf, comparisons, left, right), blocked.keys)
