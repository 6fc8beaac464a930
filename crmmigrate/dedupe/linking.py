"""The matching path, as public steps over row positions: prepare -> block -> compare -> fit ->
score -> cluster. `link` chains them; a full run and an incremental (nightly) run are the same
path with different inputs:

- a full run links every row with every other;
- an incremental run adds the stored customers as fixed *anchor* rows (`owners`: the customer id a
  row already belongs to), compares only pairs with at least one `new` row, keeps each stored
  customer's rows together and never merges two stored customers.

Each step is a function of arrays and frames, so that the same code can run on one chunk, on the
whole set, or inside a Spark task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..progress import Steps, tell
from . import blocking
from .blocking import Candidates
from .clustering import Clusters, Edges, PairCheck, components, guard
from .comparisons import Comparison, compare, default_comparisons
from .decisions import resolve
from .ids import identities, row_aliases
from .model import (
    KeyGroup,
    MatchModel,
    Scores,
    TermFrequencies,
    calibrate_prior,
    fit_patterns,
    labelled_m,
    score,
    term_frequencies,
)
from .pairs import Blocked, BlockedHere, ComparedPairs, ScoredPairs, compare_here
from .patterns import key_bits
from .prepare import MatchFrame, positional, prepare
from .settings import DedupeSettings, SurvivorshipSettings
from .survivorship import Survivors, survive

#: Fewest labelled matching pairs `dedupe.training` must name to learn m from.
MIN_LABELLED_MATCHES = 20


@dataclass(frozen=True)
class Linked:
    """What matching found: the compared pairs with their scores, and a cluster label per row."""

    mf: MatchFrame
    ids: pd.Series  # identity of each row (source|key)
    candidates: Candidates  # every pair blocking found (before an incremental run's filter)
    compared: int  # how many pairs were compared
    left: np.ndarray  # the scored pairs kept (positions): every compared pair in this process,
    right: np.ndarray  # those that can matter to an answer where an engine keeps pairs elsewhere
    scores: Scores
    model: MatchModel
    tf: TermFrequencies
    labels: np.ndarray  # cluster number per row
    split: int  # components the chaining guard split
    largest: int
    must: pd.DataFrame  # forced pairs (i < j)
    cannot: pd.DataFrame  # forbidden pairs (i < j)


@dataclass(frozen=True)
class ToCluster:
    """What clustering weighs: the compared pairs where the engine keeps them, the scored pairs
    that can matter to an answer in this process (`pairs.ComparedPairs.scored`), the calibrated
    model, and the pairs a person decided."""

    n: int
    pairs: ComparedPairs
    scored: ScoredPairs
    model: MatchModel
    settings: DedupeSettings
    must: pd.DataFrame
    cannot: pd.DataFrame
    mf: MatchFrame
    tf: TermFrequencies


def cluster_here(job: ToCluster) -> Clusters:
    """Clusters of pairs held in this process (every compared pair scored and kept): the
    components of the links, checked by the guard, which weighs every scored pair."""
    assert job.scored.complete, "an engine that keeps its pairs elsewhere clusters them there"
    links, rest = guard_edges(job, job.scored)
    labels = components(job.n, links.i, links.j)
    # Only pairs inside one component of the links can speak against it: most pairs are not.
    scored = rest.take(labels[rest.i] == labels[rest.j])
    check = pair_check(job.mf, job.model, job.tf)
    return guard(labels, links, scored, Edges.of(job.cannot), check, prior=job.model.prior_weight)


@dataclass(frozen=True)
class LinkSteps:
    """The steps whose work grows with the data, as an engine runs them: candidate pairs from the
    blocking keys (`block(mf, settings, comparisons, must, new)`: the must-links added, only
    pairs with a `new` row kept), comparing them (into `pairs.ComparedPairs`, which count their
    patterns, score and select themselves where they are), clustering them (`cluster`: the
    components of the links and the chaining guard, where the pairs are) and survivorship per
    cluster. The pandas engine runs them here; the Spark engine (`crmmigrate.spark.linking`) as
    Spark jobs, with the same answer."""

    block: Callable[[MatchFrame, DedupeSettings, list[Comparison], pd.DataFrame, np.ndarray | None], Blocked]
    compare: Callable[[MatchFrame, list[Comparison], Any], ComparedPairs]  # takes its own block's result
    cluster: Callable[[ToCluster], Clusters] = cluster_here
    survive: Callable[[pd.DataFrame, np.ndarray, SurvivorshipSettings], Survivors] = survive


def in_pairs(i: np.ndarray, j: np.ndarray, pairs: pd.DataFrame, n: int) -> np.ndarray:
    """Which of the pairs (i, j) are among `pairs` (columns i, j in either order)."""
    if pairs.empty or len(i) == 0:
        return np.zeros(len(i), dtype=bool)
    codes = np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j)
    a, b = pairs["i"].to_numpy(dtype=np.int64), pairs["j"].to_numpy(dtype=np.int64)
    return np.isin(codes, np.minimum(a, b) * n + np.maximum(a, b))


def choose_comparisons(mf: MatchFrame, settings: DedupeSettings, *, varied: bool = True) -> list[Comparison]:
    """The comparisons of this run: `dedupe.compare`, or every filled identity field."""
    return default_comparisons(mf, settings.compare, varied=varied, levels=settings.level_overrides())


def block(mf: MatchFrame, settings: DedupeSettings, comparisons: list[Comparison]) -> Candidates:
    """Candidate pairs from the configured blocking rules, or from the automatic keys (with a key
    for every custom identifier that is compared)."""
    if settings.blocking:
        keys = blocking.configured_keys(mf, settings.blocking)
    else:
        identifiers = [c.name for c in comparisons if c.kind == "id"]
        keys = blocking.automatic_keys(mf, identifiers)
    return blocking.candidate_pairs(keys, len(mf), settings.max_block_size, settings.window)


def training_keys(candidates: Candidates, wanted: np.ndarray) -> tuple[list[KeyGroup], np.ndarray]:
    """The keys EM trains on, and per compared pair (`wanted`: which candidates were compared) a
    bit per key that found it."""
    every = bool(wanted.all())  # a full run: the masks as they are, not copies
    trained = [name for name in candidates.found_by if candidates.trains.get(name, True)]
    masks = [candidates.found_by[name] if every else candidates.found_by[name][wanted] for name in trained]
    groups = [KeyGroup(name, candidates.uses.get(name, ())) for name in trained]
    return groups, key_bits(masks, int(wanted.sum()))


def block_here(
    mf: MatchFrame,
    settings: DedupeSettings,
    comparisons: list[Comparison],
    must: pd.DataFrame,
    new: np.ndarray | None,
) -> BlockedHere:
    """The pairs to compare, in this process: blocking's pairs and the must-links, those with a
    `new` row (None: all)."""
    n = len(mf)
    found = block(mf, settings, comparisons)
    candidates = blocking.extra_pairs(found, must["i"].to_numpy(), must["j"].to_numpy(), n)
    wanted = (
        np.ones(len(candidates), dtype=bool) if new is None else new[candidates.left] | new[candidates.right]
    )
    positions = np.int32 if n < 2**31 else np.int64  # at millions of pairs, half the memory
    if new is None:  # every candidate is compared: its positions as they are (no copy)
        left = candidates.left.astype(positions, copy=False)
        right = candidates.right.astype(positions, copy=False)
    else:
        left, right = candidates.left[wanted].astype(positions), candidates.right[wanted].astype(positions)
    groups, keys = training_keys(candidates, wanted)
    # The pairs to compare are `left` and `right`; blocking's own copies go (at millions of pairs,
    # a quarter of a GiB), and which key found which pair is in `keys`.
    found = replace(found, left=found.left[:0], right=found.right[:0], found_by={})
    return BlockedHere(found, groups, left, right, keys)


#: Every step in this process, on numpy arrays.
IN_PROCESS = LinkSteps(block=block_here, compare=compare_here)


def learn_m_from_labels(
    model: MatchModel,
    mf: MatchFrame,
    ids: pd.Series,
    training: pd.DataFrame,
    aliases: pd.Series | None = None,
) -> MatchModel:
    """The model with m learnt from labelled matching pairs (must_link rows of a decisions-format
    file) instead of by EM; u (random pairs) and the prior (EM's match share) stay as fitted."""
    same, different = resolve(training, ids, aliases)
    if len(same) < MIN_LABELLED_MATCHES:
        raise ConfigError(
            f"dedupe.training names {len(same)} matching pair(s) among this run's rows; "
            f"at least {MIN_LABELLED_MATCHES} are needed to learn from",
            hint="label more pairs as must_link, or leave dedupe.training out to learn by EM",
        )
    gamma = compare(mf, model.comparisons, same["i"].to_numpy(), same["j"].to_numpy())
    info = {**model.info, "m_from_labels": {"matches": int(len(same)), "non_matches": int(len(different))}}
    return replace(model, m=labelled_m(model.comparisons, gamma), info=info)


def guard_edges(job: ToCluster, scored: ScoredPairs) -> tuple[Edges, Edges]:
    """The links (pairs at or above the threshold, then the must-links) and the other scored
    pairs of `scored`, each with its evidence in bits (the prior left out; a must-link's is inf)."""
    n, left, right, scores, must = job.n, scored.left, scored.right, scored.scores, job.must
    accepted = (scores.probability >= job.settings.threshold) & ~in_pairs(left, right, job.cannot, n)
    forced = in_pairs(left, right, must, n)
    evidence = scores.total - job.model.prior_weight
    links = Edges.join(
        Edges(left[accepted], right[accepted], evidence[accepted]),
        Edges(
            must["i"].to_numpy(dtype=np.int64), must["j"].to_numpy(dtype=np.int64), np.full(len(must), np.inf)
        ),
    )
    rest = ~accepted & ~forced
    return links, Edges(left[rest], right[rest], evidence[rest])


def pair_check(mf: MatchFrame, model: MatchModel, tf: TermFrequencies) -> PairCheck:
    """The evidence of member pairs blocking never compared, scored here when the guard asks."""

    def check(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return score(mf, model, i, j, tf).total - model.prior_weight

    return check


def _owner_constraints(owners: np.ndarray) -> pd.DataFrame:
    """Must-links that keep each stored customer's rows together (to its first row)."""
    fixed = np.flatnonzero(pd.notna(owners))
    first_row = pd.Series(fixed).groupby(owners[fixed]).transform("min").to_numpy()
    together = fixed != first_row
    return pd.DataFrame({"i": first_row[together], "j": fixed[together]})


def _customer_conflicts(labels: np.ndarray, owners: np.ndarray) -> pd.DataFrame:
    """Pairs of rows of different stored customers that the links would put in one component:
    one representative row per customer, every pair of customers sharing a component."""
    fixed = np.flatnonzero(pd.notna(owners))
    frame = pd.DataFrame({"c": labels[fixed], "owner": owners[fixed], "row": fixed})
    reps = frame.drop_duplicates("owner")
    shared = reps[reps.groupby("c")["owner"].transform("size") > 1]
    pairs = shared.merge(shared, on="c")
    pairs = pairs[pairs["row_x"] < pairs["row_y"]]
    return pd.DataFrame({"i": pairs["row_x"].to_numpy(), "j": pairs["row_y"].to_numpy()})


#: The parts of matching, in order, as progress reports them (`dedupe` adds the golden records).
STEPS = ("preparing", "blocking", "comparing", "fitting the model", "scoring", "clustering", "golden records")


def at_step(steps: Steps | None, name: str) -> None:
    """Tell `steps` that the part `name` of STEPS starts now."""
    tell(steps, STEPS.index(name), len(STEPS), name, unit="steps")


def link(
    frame: pd.DataFrame,
    settings: DedupeSettings,
    *,
    decisions: pd.DataFrame | None = None,
    model: MatchModel | None = None,
    training: pd.DataFrame | None = None,
    new: np.ndarray | None = None,
    owners: np.ndarray | None = None,
    steps: Steps | None = None,
    engine: LinkSteps = IN_PROCESS,
) -> Linked:
    """Match the rows of `frame` (clean rows, positional).

    `model`: a fitted model used as it is; `training`: labelled pairs to learn m from. `new`: only
    pairs with at least one new row are compared (None: all). `owners`: the stored customer each
    row already belongs to (None for free rows): its rows stay together, two stored customers
    never merge. `steps` hears as each part of STEPS starts; `engine`: what blocks and compares
    (the Spark engine passes its own)."""
    at_step(steps, "preparing")
    frame = positional(frame)
    n = len(frame)
    mf = prepare(frame)
    ids = identities(frame)
    aliases = row_aliases(frame)
    must, cannot = resolve(decisions, ids, aliases)
    if owners is not None:
        must = pd.concat([must, _owner_constraints(owners)], ignore_index=True)
    comparisons = (
        model.comparisons if model is not None else choose_comparisons(mf, settings, varied=new is None)
    )
    at_step(steps, "blocking")
    blocked = engine.block(mf, settings, comparisons, must, new)
    found, groups = blocked.found, blocked.groups
    at_step(steps, "comparing")
    pairs = engine.compare(mf, comparisons, blocked)
    del blocked  # the engine holds the pairs now
    at_step(steps, "fitting the model")
    fitted = model is None
    pair_space = None
    if model is None:
        if new is not None:
            n_new = int(new.sum())
            pair_space = max(n_new * (n - 1) - n_new * (n_new - 1) / 2, 1.0)
        model = fit_patterns(
            mf,
            comparisons,
            pairs.patterns(),
            groups=groups,
            seed=settings.seed,
            u_sample=settings.u_sample,
            pair_space=pair_space,
        )
        if training is not None:
            model = learn_m_from_labels(model, mf, ids, training, aliases)
    at_step(steps, "scoring")
    if settings.twins is not None:  # the config's rule, also over a saved model's
        model = replace(model, twins=settings.twins)
    tf = term_frequencies(mf, model)
    calibrated = model
    if fitted:  # the prior from every compared pair's evidence
        evidence = pairs.totals(model, tf) - model.prior_weight
        calibrated = calibrate_prior(model, evidence, pair_space or max(n * (n - 1) / 2, 1.0), n)
        del evidence
    keep = min(settings.threshold, settings.review_band[0])  # below it a pair matters to no output
    prior_weight = calibrated.prior_weight if fitted else None
    scored = pairs.scored(model, tf, prior_weight, keep, must)
    model = calibrated
    if owners is not None:
        accepted = scored.scores.probability >= settings.threshold
        initial = components(
            n,
            np.concatenate([scored.left[accepted], must["i"].to_numpy()]),
            np.concatenate([scored.right[accepted], must["j"].to_numpy()]),
        )
        cannot = pd.concat([cannot, _customer_conflicts(initial, owners)], ignore_index=True)
    at_step(steps, "clustering")
    clusters = engine.cluster(ToCluster(n, pairs, scored, model, settings, must, cannot, mf, tf))
    compared = len(pairs)
    del pairs
    return Linked(
        mf,
        ids,
        found,
        compared,
        scored.left,
        scored.right,
        scored.scores,
        model,
        tf,
        clusters.labels,
        clusters.split,
        clusters.largest,
        must,
        cannot,
    )
