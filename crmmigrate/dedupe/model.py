"""The Fellegi-Sunter scoring model: m and u probabilities per comparison level, learnt without labels.

- u (how often two *different* people agree at a level) comes from random record pairs, which
  are almost all non-matches; for exact levels it is computed from the value frequencies.
- m (how often the *same* person agrees at a level) comes from expectation-maximisation over the
  candidate pairs, run on their distinct comparison patterns (fast at millions of pairs).
- The prior (the chance two random records match) is EM's match share scaled to all pairs.
- Term frequencies adjust exact agreements: a rare surname weighs more than "Smith", and a phone,
  email or address used by several distinct people is weak evidence.
- Household guard: under a first-name conflict, evidence a household shares counts at most zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .comparisons import NULL, Comparison, compare, from_spec
from .patterns import PatternCounts, key_bits
from .prepare import MatchFrame

#: The layout of match_model.json; 2 records each comparison's levels and their parameters.
MODEL_VERSION = 2
#: Floor for probabilities, so that no level is ever infinitely strong evidence.
EPS = 1e-6
#: Contact points whose term frequency counts distinct people rather than records.
CONTACT_KINDS = ("email", "phone", "address", "company")
NAME_KINDS = ("first_name", "last_name")
MAX_TF_BITS = 10.0
#: A rare value adds at most this many bits to its level: the rarest values are often typos, and
#: two records with the same typo are not the more alike for it.
MAX_TF_BONUS = 5.0
#: Pseudo-records pulling a country's name frequencies towards the overall ones.
SHRINK = 100.0


def _normalise(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.full(len(counts), 1.0 / len(counts))


def random_pairs(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random distinct record pairs (seeded), for estimating u."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=size)
    j = rng.integers(0, n - 1, size=size)
    j = np.where(j >= i, j + 1, j)
    return i, j


def _exact_u(key: np.ndarray) -> float | None:
    """Chance that two different random records with a value share it: sum over values of
    c(c-1) / (n(n-1)). (Squared shares would count a record paired with itself, 1/n: at a few
    hundred records that is more than the real chance.)"""
    present = pd.Series(key, dtype=object).dropna()
    if len(present) < 2:
        return None
    counts = present.value_counts().to_numpy(dtype=np.float64)
    n = float(len(present))
    return float(np.sum(counts * (counts - 1)) / (n * (n - 1)))


def estimate_u(mf: MatchFrame, comparisons: list[Comparison], *, sample: int, seed: int) -> list[np.ndarray]:
    n = len(mf)
    if n < 2:
        return [np.full(len(c.levels_list), 1.0 / len(c.levels_list)) for c in comparisons]
    size = int(min(sample, n * (n - 1) // 2 * 4, max(20_000, 50 * n)))  # small sets need few
    i, j = random_pairs(n, size, seed)
    gamma = compare(mf, comparisons, i, j)
    out = []
    for column, comparison in enumerate(comparisons):
        n_levels = len(comparison.levels_list)
        levels = gamma[:, column]
        counts = np.bincount(levels[levels != NULL], minlength=n_levels).astype(float) + 0.5
        u = _normalise(counts)
        key = comparison.exact_key(mf)
        exact = _exact_u(key) if key is not None else None
        if exact is not None:
            rest = u[1:] * (1 - exact) / max(u[1:].sum(), EPS)
            u = np.concatenate([[max(exact, EPS)], rest])
        out.append(np.clip(u, EPS, 1.0))
    return out


#: Below these sizes, m (candidate pairs) and the prior (rows) blend with built-in values.
TRUST_PAIRS = 1000
TRUST_ROWS = 2000
#: u rests on the pairs of rows, n(n-1)/2 of them: it is trusted as pairs / (pairs + this), half
#: at 200 rows, 95 % at 870 (a few hundred rows already say how often strangers share a value).
TRUST_U_PAIRS = 20_000
DEFAULT_PRIOR = 1e-3
#: The exact-agreement u of strangers, corrected for the matches among random pairs, is at least
#: this share of the random pairs' u.
STRANGERS_U_FLOOR = 0.1
#: Built-in chance that two different people agree exactly, by comparison kind.
DEFAULT_EXACT_U = {"first_name": 0.01, "last_name": 0.005, "company": 0.005, "country": 0.3, "exact": 0.05}


def default_u(comparison: Comparison) -> np.ndarray:
    n_levels = len(comparison.levels_list)
    exact = DEFAULT_EXACT_U.get(comparison.kind, 0.001)
    middle = [min(exact * 3, 0.2)] * (n_levels - 2)
    return _normalise(
        np.array([exact, *middle, 0.0]) + np.array([0] * (n_levels - 1) + [1.0 - exact - sum(middle)])
    )


#: Built-in chance that the same person's two records disagree completely, by comparison kind:
#: people have several phones and emails and move house; names and birth dates rarely change.
DEFAULT_M_ELSE = {
    "first_name": 0.05,
    "last_name": 0.05,
    "email": 0.4,
    "phone": 0.3,
    "address": 0.25,
    "address_line2": 0.3,
    "date": 0.05,
    "id": 0.05,
    "company": 0.15,
    "text": 0.15,
    "exact": 0.1,
    "country": 0.05,
}
#: Pseudo-pairs of the built-in m that every EM estimate starts from (a Dirichlet prior): a level
#: seen in few matching pairs stays near its built-in value instead of swinging to 0 or 1.
PRIOR_PAIRS = 20.0


def default_m(comparison: Comparison) -> np.ndarray:
    """Built-in m: most matching pairs at the best level, fewer at each weaker one."""
    n_levels = len(comparison.levels_list)
    if n_levels == 1:
        return np.ones(1)
    rest = DEFAULT_M_ELSE.get(comparison.kind, 0.1)
    agree = 0.5 ** np.arange(n_levels - 1)
    agree = agree / agree.sum() * (1 - rest)
    return np.append(agree, rest)


def possible_m(m: np.ndarray, comparison: Comparison, mf: MatchFrame) -> np.ndarray:
    """m with no mass on levels these rows cannot reach (a street level in a list without
    streets): a match that would have reached such a level reaches the next one down that these
    rows can (the same street means the same city). Otherwise the built-in share of street
    agreement would leave "same city" looking like evidence against a match."""
    possible = comparison.possible(mf)
    if possible.all():
        return m
    out, carried = np.zeros(len(m)), 0.0
    for k, mass in enumerate(m):
        carried += float(mass)
        if possible[k]:
            out[k], carried = carried, 0.0
    return out


def isotonic_m(m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """m adjusted so that the likelihood ratio m/u never rises from a better level to a worse one
    (levels are listed best first): adjacent levels that violate it are pooled at their joint
    ratio (pool-adjacent-violators, weighted by u). Total m is kept. Without this, EM can hand a
    weak level (a swapped name) all the match mass and make the exact level evidence against."""
    u = np.clip(u, EPS, 1.0)
    blocks: list[list[float]] = []  # [sum m, sum u, count]
    for mk, uk in zip(m, u, strict=True):
        blocks.append([float(mk), float(uk), 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1][0] += last[0]
            blocks[-1][1] += last[1]
            blocks[-1][2] += last[2]
    out = np.empty(len(m))
    start = 0
    for total_m, total_u, count in blocks:
        out[start : start + count] = total_m / total_u * u[start : start + count]
        start += count
    return out


@dataclass
class EMResult:
    m: list[np.ndarray]
    u: list[np.ndarray]
    match_share: float
    iterations: int
    converged: bool
    posterior: np.ndarray  # per input pair: the chance it is a match
    change: float = 0.0  # largest parameter change in the last iteration


def distinct_patterns(gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(gamma, axis=0) with inverse and counts, by packing each row into one integer
    (levels -1..14 in four bits each): a sort of int64 instead of a sort of rows."""
    if gamma.shape[1] > 15 or len(gamma) == 0:
        return np.unique(gamma, axis=0, return_inverse=True, return_counts=True)
    packed = np.zeros(len(gamma), dtype=np.int64)
    for c in range(gamma.shape[1]):
        packed = (packed << 4) | (gamma[:, c].astype(np.int64) + 1)
    codes, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
    patterns = np.empty((len(codes), gamma.shape[1]), dtype=gamma.dtype)
    for c in range(gamma.shape[1] - 1, -1, -1):
        patterns[:, c] = (codes & 15) - 1
        codes = codes >> 4
    return patterns, inverse.reshape(-1), counts


def expectation_maximisation(
    gamma: np.ndarray,
    comparisons: list[Comparison],
    u_start: list[np.ndarray],
    *,
    max_iter: int = 200,
    tol: float = 1e-4,
    fixed_m: list[np.ndarray] | None = None,
    fix_u: bool = False,
) -> EMResult:
    """Fit m (and the match share) on candidate pairs, over their distinct comparison patterns.

    m starts from, and is pulled towards, the built-in values by `PRIOR_PAIRS` pseudo-pairs, and is
    kept monotone in the likelihood ratio (`isotonic_m`). `fix_u`: u stays as given (random pairs),
    as when EM runs on the pairs of one blocking key with that key's fields left out."""
    if len(gamma) == 0:
        m0 = fixed_m or [default_m(c) for c in comparisons]
        return EMResult(m=m0, u=u_start, match_share=0.0, iterations=0, converged=True, posterior=np.zeros(0))
    patterns, inverse, weights = distinct_patterns(gamma)
    em = em_on_patterns(
        patterns,
        weights.astype(float),
        comparisons,
        u_start,
        max_iter=max_iter,
        tol=tol,
        fixed_m=fixed_m,
        fix_u=fix_u,
    )
    return replace(em, posterior=em.posterior[inverse.reshape(-1)])


def em_on_patterns(
    patterns: np.ndarray,
    weights: np.ndarray,
    comparisons: list[Comparison],
    u_start: list[np.ndarray],
    *,
    max_iter: int = 200,
    tol: float = 1e-4,
    fixed_m: list[np.ndarray] | None = None,
    fix_u: bool = False,
) -> EMResult:
    """`expectation_maximisation` on distinct comparison patterns and how many pairs have each
    (`weights`); the posterior is per pattern."""
    prior_m = [default_m(c) for c in comparisons]
    if len(patterns) == 0:
        return EMResult(
            m=fixed_m or prior_m,
            u=u_start,
            match_share=0.0,
            iterations=0,
            converged=True,
            posterior=np.zeros(0),
        )
    m = [p.copy() for p in fixed_m] if fixed_m else [p.copy() for p in prior_m]
    u = [np.clip(p.copy(), EPS, 1.0) for p in u_start]
    share = 0.1
    converged = False
    iteration = 0
    change = np.inf
    posterior = np.zeros(len(patterns))
    for iteration in range(1, max_iter + 1):  # noqa: B007
        log_m = np.zeros(len(patterns))
        log_u = np.zeros(len(patterns))
        for c in range(len(comparisons)):
            levels = patterns[:, c]
            known = levels != NULL
            log_m[known] += np.log(np.clip(m[c][levels[known]], EPS, 1.0))
            log_u[known] += np.log(u[c][levels[known]])
        odds = np.log(share / (1 - share)) + log_m - log_u
        posterior = 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
        new_share = float(np.clip((weights * posterior).sum() / weights.sum(), EPS, 1 - EPS))
        change = abs(new_share - share)
        for c in range(len(comparisons)):
            levels = patterns[:, c]
            known = levels != NULL
            n_levels = len(m[c])
            pm = np.bincount(levels[known], weights=(weights * posterior)[known], minlength=n_levels)
            if not fixed_m:
                new_m = _normalise(pm + PRIOR_PAIRS * prior_m[c])
                if fix_u:
                    new_m = isotonic_m(new_m, u[c])
                change = max(change, float(np.abs(new_m - m[c]).max()))
                m[c] = new_m
            if not fix_u:
                pu = np.bincount(
                    levels[known], weights=(weights * (1 - posterior))[known], minlength=n_levels
                )
                new_u = np.clip(_normalise(pu + EPS), EPS, 1.0)
                change = max(change, float(np.abs(new_u - u[c]).max()))
                u[c] = new_u
            if not fixed_m and not fix_u:
                m[c] = isotonic_m(m[c], u[c])
        share = new_share
        if change < tol:
            converged = True
            break
    return EMResult(
        m=m,
        u=u,
        match_share=share,
        iterations=iteration,
        converged=converged,
        posterior=posterior,
        change=float(change),
    )


def monotone(weights: np.ndarray) -> np.ndarray:
    """Better levels never weigh less than worse ones (levels are listed best first)."""
    out = weights.copy()
    for k in range(len(out) - 2, -1, -1):
        out[k] = max(out[k], out[k + 1])
    return out


@dataclass
class MatchModel:
    """Fitted parameters; saved as JSON for `explain` and later runs."""

    comparisons: list[Comparison]
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float
    info: dict[str, Any] = field(default_factory=dict)
    #: First names that conflict on one birthday: "weigh" (evidence like any other) or "apart".
    twins: str = "weigh"

    def weights(self) -> list[np.ndarray]:
        """Bits per level: log2(m/u), never more for a weaker level than for a better one."""
        out = []
        for comparison, m, u in zip(self.comparisons, self.m, self.u, strict=False):
            u = np.clip(u, EPS, 1)
            table = np.log2(np.clip(isotonic_m(np.clip(m, EPS, 1), u), EPS, 1) / u)
            table = monotone(table)  # rounding aside, isotonic m already is
            out.append(np.minimum(table, 0.0) if comparison.only_against else table)
        return out

    @property
    def prior_weight(self) -> float:
        p = float(np.clip(self.prior, 1e-15, 1 - 1e-9))
        return float(np.log2(p / (1 - p)))

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON data: every comparison with its levels (tests and thresholds), m, u
        and weights per level (an `else` level last), the prior, and how EM went."""
        comps = []
        for comparison, m, u, w in zip(self.comparisons, self.m, self.u, self.weights(), strict=False):
            comps.append(
                {
                    **comparison.spec(),
                    "level_names": list(comparison.levels_list),
                    "m": [float(x) for x in m],
                    "u": [float(x) for x in u],
                    "weights": [float(x) for x in w],
                }
            )
        return {
            "version": MODEL_VERSION,
            "prior": self.prior,
            "prior_weight": self.prior_weight,
            "twins": self.twins,
            "comparisons": comps,
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchModel:
        version = data.get("version")
        if version != MODEL_VERSION:
            raise ValueError(
                f"match model version {version!r}; this crmmigrate reads version {MODEL_VERSION} "
                "(models before it did not record their comparison levels): fit a new model"
            )
        comps = data["comparisons"]
        comparisons = [from_spec(c) for c in comps]
        m = [np.array(c["m"], dtype=float) for c in comps]
        u = [np.array(c["u"], dtype=float) for c in comps]
        for comparison, mc, uc in zip(comparisons, m, u, strict=True):
            if not len(mc) == len(uc) == len(comparison.levels_list):
                raise ValueError(f"comparison {comparison.name!r}: m and u do not match its levels")
        return cls(
            comparisons=comparisons,
            m=m,
            u=u,
            prior=float(data["prior"]),
            info=dict(data.get("info", {})),
            twins=str(data.get("twins", "apart")),  # models saved before the setting held twins apart
        )

    def save(self, path: str | Path) -> Path:
        from ..tables import write_text

        return write_text(path, json.dumps(self.to_dict(), indent=2, default=str))

    @classmethod
    def load(cls, path: str | Path) -> MatchModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class PairGroup:
    """Candidate pairs found by one blocking key, and the comparisons that key agrees on."""

    name: str
    mask: np.ndarray
    uses: tuple[str, ...]


@dataclass(frozen=True)
class KeyGroup:
    """A blocking key EM trains on (bit b of `PatternCounts.keys` for the b-th of a run's keys),
    and the comparisons that key agrees on."""

    name: str
    uses: tuple[str, ...]


#: A blocking key with fewer candidate pairs than this teaches EM too little to be fitted alone.
MIN_GROUP_PAIRS = 20


def _collapsed(levels: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of `levels` (patterns), which of them each row is, and the pairs of each."""
    patterns, inverse, _ = distinct_patterns(levels)
    inverse = inverse.reshape(-1)
    return patterns, inverse, np.bincount(inverse, weights=counts.astype(float), minlength=len(patterns))


def _freedom(levels: np.ndarray) -> int:
    """What the comparison patterns can say: per comparison, its levels seen less one, summed."""
    return sum(max(len(np.unique(c[c != NULL])) - 1, 0) for c in levels.T)


def _per_key_em(
    table: PatternCounts,
    comparisons: list[Comparison],
    u_random: list[np.ndarray],
    groups: list[KeyGroup],
) -> tuple[list[np.ndarray], np.ndarray, dict[str, Any]]:
    """EM per blocking key, leaving out what the key agrees on (as Splink trains per blocking rule):
    pairs found by a name key teach what a matching phone looks like, and the other way round.
    m is the average over keys weighted by expected matches; each pattern's match chance is its
    best over the keys that found its pairs."""
    n_comp = len(comparisons)
    m_sum = [np.zeros(len(c.levels_list)) for c in comparisons]
    m_weight = np.zeros(n_comp)
    best = np.zeros(len(table.counts))
    info: dict[str, Any] = {}
    for bit, group in enumerate(groups):
        found = table.found_by(bit)
        pairs = int(table.counts[found].sum())
        if pairs < MIN_GROUP_PAIRS:
            continue
        sub = table.levels[found].copy()
        excluded = [c for c, comp in enumerate(comparisons) if comp.name in group.uses or comp.only_against]
        sub[:, excluded] = NULL
        if _freedom(sub) < 2:
            # A single two-way field left to learn from (a city that agrees or not) cannot tell
            # matches from non-matches: EM on it settles anywhere, often on "no matches at all".
            info[group.name] = {"pairs": pairs, "skipped": "too little left to learn from"}
            continue
        patterns, inverse, weights = _collapsed(sub, table.counts[found])
        em = em_on_patterns(patterns, weights, comparisons, u_random, fix_u=True)
        best[found] = np.maximum(best[found], em.posterior[inverse])
        info[group.name] = {
            "pairs": pairs,
            "match_share": round(em.match_share, 4),
            "iterations": em.iterations,
            "converged": em.converged,
        }
        for c in range(n_comp):
            if c in excluded:
                continue
            evidence = float((weights * em.posterior * (patterns[:, c] != NULL)).sum())
            m_sum[c] += evidence * em.m[c]
            m_weight[c] += evidence
    m = [m_sum[c] / m_weight[c] if m_weight[c] > 0 else np.full(len(m_sum[c]), np.nan) for c in range(n_comp)]
    return m, best, info


def fit(
    mf: MatchFrame,
    comparisons: list[Comparison],
    gamma: np.ndarray,
    *,
    groups: list[PairGroup] | None = None,
    seed: int = 0,
    u_sample: int = 300_000,
    pair_space: float | None = None,
) -> MatchModel:
    """`fit_patterns` on the levels of pairs held here (`gamma`) and the keys that found them."""
    groups = groups or []
    table = PatternCounts.of(gamma, key_bits([g.mask for g in groups], len(gamma)))
    return fit_patterns(
        mf,
        comparisons,
        table,
        groups=[KeyGroup(g.name, g.uses) for g in groups],
        seed=seed,
        u_sample=u_sample,
        pair_space=pair_space,
    )


def fit_patterns(
    mf: MatchFrame,
    comparisons: list[Comparison],
    table: PatternCounts,
    *,
    groups: list[KeyGroup] | None = None,
    seed: int = 0,
    u_sample: int = 300_000,
    pair_space: float | None = None,
) -> MatchModel:
    """Learn the model without labels: u from random pairs, m and the match share by EM over the
    comparison patterns of the candidate pairs (`table`; `groups`: the keys of its key bits).

    `pair_space`: how many pairs the candidates were drawn from, for the prior (default all pairs
    of the rows; incremental matching compares only pairs with a new row)."""
    u_random = estimate_u(mf, comparisons, sample=u_sample, seed=seed)
    runs: dict[str, dict[str, Any]] = {}
    compared = table.pairs
    if groups:
        key_m, best, runs = _per_key_em(table, comparisons, u_random, groups)
        m = [default_m(c) if np.isnan(km).any() else km for km, c in zip(key_m, comparisons, strict=True)]
        expected_matches = float((table.counts * best).sum())
    else:
        patterns, _, weights = _collapsed(table.levels, table.counts)
        em = em_on_patterns(patterns, weights, comparisons, u_random, fix_u=True)
        m = em.m
        expected_matches = float((weights * em.posterior).sum())
        runs["all candidate pairs"] = {
            "pairs": compared,
            "iterations": em.iterations,
            "converged": em.converged,
        }
    m = [default_m(c) if c.only_against else mc for mc, c in zip(m, comparisons, strict=True)]
    learnt = any("converged" in run for run in runs.values())
    # Expected matches: each pair's chance of being one, from the EM of the keys that found it.
    # Pairs only broad keys found count nothing: an undercount, so the prior errs on the side of
    # caution (a merge needs a little more evidence), never on the side of merging strangers.
    n = len(mf)
    all_pairs = pair_space if pair_space is not None else max(n * (n - 1) / 2, 1.0)
    # Without a key EM could learn from, nothing says how many matches there are: the built-in
    # prior stands, and `calibrate_prior` re-estimates it from the evidence of every pair.
    prior = float(np.clip(expected_matches / all_pairs, 1e-12, 0.5)) if learnt else DEFAULT_PRIOR
    # Small inputs teach little: lean on built-in parameters until the data can speak.
    row_pairs = n * (n - 1) / 2
    trust_m, trust_u = min(1.0, compared / TRUST_PAIRS), row_pairs / (row_pairs + TRUST_U_PAIRS)
    m = [
        possible_m(trust_m * mc + (1 - trust_m) * default_m(c), c, mf)
        for mc, c in zip(m, comparisons, strict=False)
    ]
    u_random = [
        trust_u * uc + (1 - trust_u) * default_u(c) for uc, c in zip(u_random, comparisons, strict=False)
    ]
    prior = blend_prior(prior, n)
    # Random pairs include the matches: in a small list of organisations, most pairs agreeing
    # exactly on a company name are one business listed twice (different businesses rarely share
    # a name, as namesakes share people's). u of the strangers alone: (u - prior m) / (1 - prior),
    # at least a tenth of the random pairs' u.
    u_random = [
        np.concatenate([[max((u[0] - prior * mc[0]) / (1 - prior), u[0] * STRANGERS_U_FLOOR)], u[1:]])
        if c.kind == "company"
        else u
        for u, mc, c in zip(u_random, m, comparisons, strict=True)
    ]
    not_converged = [name for name, run in runs.items() if run.get("converged") is False]
    info = {
        "em_iterations": max((int(r.get("iterations", 0)) for r in runs.values()), default=0),
        "em_converged": not not_converged,
        "em_not_converged": not_converged,
        "em_match_share": expected_matches / max(compared, 1),
        "expected_matching_pairs": expected_matches,
        "candidate_pairs": compared,
        "per_key": runs,
    }
    return MatchModel(comparisons=comparisons, m=m, u=u_random, prior=prior, info=info)


def labelled_m(comparisons: list[Comparison], gamma: np.ndarray) -> list[np.ndarray]:
    """m per comparison from the levels of pairs known to match (add-half smoothing)."""
    m = []
    for c, comparison in enumerate(comparisons):
        levels = gamma[:, c]
        counts = (
            np.bincount(levels[levels != NULL], minlength=len(comparison.levels_list)).astype(float) + 0.5
        )
        m.append(_normalise(counts))
    return m


def fit_labelled(
    mf: MatchFrame,
    comparisons: list[Comparison],
    gamma: np.ndarray,
    is_match: np.ndarray,
    *,
    seed: int = 0,
    prior: float | None = None,
) -> MatchModel:
    """Learn m from labelled matching pairs (u still from random pairs) when a user has labels."""
    u_random = estimate_u(mf, comparisons, sample=300_000, seed=seed)
    m = labelled_m(comparisons, gamma[is_match])
    n = len(mf)
    share = prior if prior is not None else float(is_match.sum()) / max(n * (n - 1) / 2, 1.0)
    return MatchModel(
        comparisons=comparisons, m=m, u=u_random, prior=share, info={"trained_from_labels": True}
    )


@dataclass(frozen=True)
class TermFrequencies:
    """Per record: bits added to an exact agreement on each comparison (0 where not adjusted)."""

    adjustments: dict[str, np.ndarray]


def term_frequencies(mf: MatchFrame, model: MatchModel) -> TermFrequencies:
    first = pd.Series(mf.array("first"), dtype=object)
    country = pd.Series(mf.array("country"), dtype=object)
    trust = min(1.0, len(mf) / TRUST_ROWS)
    out: dict[str, np.ndarray] = {}
    for comparison, u in zip(model.comparisons, model.u, strict=False):
        key = comparison.exact_key(mf)
        if key is None or comparison.kind not in NAME_KINDS + CONTACT_KINDS:
            continue
        values = pd.Series(key, dtype=object)
        codes, _ = pd.factorize(values)
        present = codes >= 0
        if comparison.kind in NAME_KINDS:
            share = _share_within_country(values, country)
            row_adjust = np.zeros(len(codes))
            row_adjust[present] = np.clip(
                np.log2(np.clip(u[0], EPS, 1) / np.clip(share[present], EPS, 1)), -MAX_TF_BITS, MAX_TF_BONUS
            )
            out[comparison.name] = row_adjust * trust  # a few hundred rows say little about frequencies
            continue
        people = pd.DataFrame({"v": codes[present], "p": first[present].to_numpy()}).dropna()
        distinct = people.groupby("v")["p"].nunique()
        n_people = np.ones(codes.max() + 1 if present.any() else 0)
        n_people[distinct.index.to_numpy()] = np.maximum(distinct.to_numpy(), 1)
        adjust = -np.log2(n_people)  # a contact point several people use is weak evidence
        adjust = np.clip(adjust, -MAX_TF_BITS, MAX_TF_BITS)
        row_adjust = np.zeros(len(codes))
        row_adjust[present] = adjust[codes[present]]
        out[comparison.name] = row_adjust
    return TermFrequencies(out)


def _share_within_country(values: pd.Series, country: pd.Series) -> np.ndarray:
    """Per record: the share of records from the same country that carry its value.

    Names follow origin, and so do addresses: a name common in Sweden is rare in the whole set
    but weak evidence between two Swedish records, so frequencies are taken within the country.
    """
    frame = pd.DataFrame({"v": values.to_numpy(dtype=object), "c": country.to_numpy(dtype=object)})
    present = frame["v"].notna().to_numpy()
    share = np.ones(len(frame))
    if not present.any():
        return share
    known = frame[present]
    overall = known.groupby("v")["v"].transform("size").to_numpy() / len(known)
    with_country = known["c"].notna().to_numpy()
    counted = known[with_country]
    per_value = counted.groupby(["c", "v"])["v"].transform("size").to_numpy()
    per_country = counted.groupby("c")["v"].transform("size").to_numpy()
    # Shrunk towards the overall share: a small country's counts alone are too noisy. A record
    # without a country takes the overall share.
    local = overall.copy()
    local[with_country] = (per_value + SHRINK * overall[with_country]) / (per_country + SHRINK)
    share[present] = local
    return share


#: Household guard: the names say two people (all shared evidence stops counting), or are merely
#: alike (the contact points a household shares stop counting; the surname still counts).
DIFFERENT, ALIKE = 2, 1


def household_guard(model: MatchModel, gamma: np.ndarray) -> np.ndarray:
    """Per pair: whether it looks like two people of one household, or two businesses at one
    address, whatever else they share (0: no; ALIKE; DIFFERENT).

    DIFFERENT: the first names conflict (not equal, a nickname, a typo, an initial, swapped), or,
    between two records that name no person, the company names do. ALIKE: the first names are
    merely alike (Marie/Maria, Sabine/Stefanie) and the two were not born the same day (then one
    name is a misspelling: twins are named apart), or they conflict but the two were born the same
    day and `model.twins` is "weigh": one person under another given name (a middle name, an
    English name beside a Chinese one, a form filled in wrongly) and twins are then told apart by
    the evidence (the conflicting first names, their own e-mails and mobiles), while what a
    household shares still does not count. A personal identifier that agrees (a national id, a
    customer number) lifts either: one person whose name was mistyped.

    What such a pair shares (an address, a landline, a family mailbox, a hotel's switchboard) is
    what a household or a building shares, not evidence of one identity."""
    kinds = [c.kind for c in model.comparisons]
    guard = np.zeros(len(gamma), dtype=np.int8)
    nameless = np.ones(len(gamma), dtype=bool)
    born_same_day = np.zeros(len(gamma), dtype=bool)
    for c, comparison in enumerate(model.comparisons):
        if comparison.kind == "date" and comparison.name == "date_of_birth":
            born_same_day = gamma[:, c] == 0
        if comparison.kind in NAME_KINDS:
            nameless &= gamma[:, c] == NULL
    for c, comparison in enumerate(model.comparisons):
        if comparison.kind == "first_name":
            different = gamma[:, c] == len(comparison.levels_list) - 1
            apart = different if model.twins == "apart" else different & ~born_same_day
            alike = np.isin(gamma[:, c], comparison.conflict_levels) & ~apart & ~born_same_day
            guard[alike | (different & ~apart)] = ALIKE
            guard[apart] = DIFFERENT
    if "company" in kinds:
        c = kinds.index("company")
        guard[nameless & (gamma[:, c] == len(model.comparisons[c].levels_list) - 1)] = DIFFERENT
    for c, comparison in enumerate(model.comparisons):
        if comparison.kind == "id":
            guard[(gamma[:, c] != NULL) & (gamma[:, c] < len(comparison.levels_list) - 1)] = 0
    return guard


def household_conflict(model: MatchModel, gamma: np.ndarray) -> np.ndarray:
    """Pairs the household guard holds apart in any degree."""
    return household_guard(model, gamma) > 0


#: Pairs weighed at a time when only their totals are kept.
WEIGHT_SLICE = 1_000_000


def pair_weights(
    model: MatchModel,
    gamma: np.ndarray,
    tf: TermFrequencies,
    i: np.ndarray,
    j: np.ndarray,
    *,
    keep: bool = True,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Per pair and comparison, the weight in bits (term frequency and household guard applied),
    and per pair their sum. `keep=False` sums without keeping the table (millions of pairs), a
    slice of `WEIGHT_SLICE` pairs at a time: every step is per pair, and at a run's millions of
    pairs the steps' full-length temporaries were the run's peak (half a GiB at 15M pairs)."""
    if not keep and len(gamma) > WEIGHT_SLICE:
        total = np.empty(len(gamma), dtype=np.float64)
        for start in range(0, len(gamma), WEIGHT_SLICE):
            part = slice(start, start + WEIGHT_SLICE)
            _, total[part] = pair_weights(model, gamma[part], tf, i[part], j[part], keep=False)
        return None, total
    weights = np.zeros(gamma.shape, dtype=np.float32) if keep else None
    total = np.zeros(len(gamma), dtype=np.float64)
    guard = household_guard(model, gamma)
    # A swapped name is as common as its commonest reading: the smallest name adjustment of the
    # two records in either field, never a bonus.
    name_adjusts = [
        tf.adjustments[c.name] for c in model.comparisons if c.kind in NAME_KINDS and c.name in tf.adjustments
    ]
    swapped_adjust = None
    if name_adjusts:
        swapped_adjust = np.minimum.reduce([np.minimum(a[i], a[j]) for a in name_adjusts])
        swapped_adjust = np.minimum(swapped_adjust, 0.0)
    for c, (comparison, table) in enumerate(zip(model.comparisons, model.weights(), strict=False)):
        levels = gamma[:, c]
        known = levels != NULL
        column = np.zeros(len(levels), dtype=np.float64)
        column[known] = table[levels[known]]
        adjust = tf.adjustments.get(comparison.name)
        if adjust is not None:
            exact = np.isin(levels, comparison.tf_levels)
            base = table[levels[exact]]
            # The rarer-looking side could be a typo or lack a country: the commoner reading counts.
            pair_adjust = np.minimum(adjust[i[exact]], adjust[j[exact]])
            column[exact] = np.maximum(base + pair_adjust, np.minimum(base, 1.0))
        if swapped_adjust is not None and comparison.kind in NAME_KINDS:
            crossed = np.isin(levels, [k for k, lv in enumerate(comparison.levels) if lv.test == "swapped"])
            column[crossed] = table[levels[crossed]] + swapped_adjust[crossed]
        if comparison.shared_by_households:
            held = guard >= (ALIKE if comparison.kind in CONTACT_KINDS else DIFFERENT)
            guarded = held & ~np.isin(levels, comparison.personal_levels)
            column[guarded] = np.minimum(column[guarded], 0.0)
        total += column.astype(np.float32)
        if weights is not None:
            weights[:, c] = column
    return weights, total


#: Fixed-point steps of `calibrate_prior` at most, and the change in bits that ends it sooner.
PRIOR_STEPS = 100
PRIOR_TOLERANCE = 1e-3


def blend_prior(prior: float, rows: int) -> float:
    """A prior estimated on `rows` rows, leaning on the built-in one while the rows are few."""
    trust = min(1.0, rows / TRUST_ROWS)
    return float(np.exp2(trust * np.log2(prior) + (1 - trust) * np.log2(DEFAULT_PRIOR)))


def calibrate_prior(model: MatchModel, evidence: np.ndarray, pair_space: float, rows: int) -> MatchModel:
    """The model with its prior re-estimated from the full evidence of every compared pair.

    EM's match share comes from each key's pairs scored on the comparisons the key does not
    already agree on, and it overcounts: at a million rows it expected five times the matches
    there are, which let namesakes merge. Given m and u, the maximum-likelihood prior solves
    prior = (sum of the pairs' match probabilities under that prior) / all pairs, pairs never
    compared counting as non-matches; it is found by fixed-point steps from EM's value.
    `evidence`: bits per compared pair, the prior left out (term frequencies and the household
    guard applied); `pair_space`: how many pairs the compared ones were drawn from; `rows`: how
    many rows they are (few rows lean on the built-in prior, as in `fit`)."""
    if len(evidence) == 0 or pair_space <= 0:
        return model
    weight, steps, change = model.prior_weight, 0, np.inf
    while change >= PRIOR_TOLERANCE and steps < PRIOR_STEPS:
        expected = _expected_matches(evidence, weight)
        share = float(np.clip(expected / pair_space, 1e-12, 0.5))
        new_weight = float(np.log2(share / (1 - share)))
        change, weight, steps = abs(new_weight - weight), new_weight, steps + 1
    prior = blend_prior(float(1 / (1 + np.exp2(-weight))), rows)
    info = {
        **model.info,
        "prior_from_em": model.prior,
        "prior_steps": steps,
        "expected_matching_pairs": prior * pair_space,
    }
    return replace(model, prior=prior, info=info)


#: Pairs whose match probabilities are summed at a time (each step's temporaries that size).
SUM_CHUNK = 1 << 20


def _expected_matches(evidence: np.ndarray, prior_weight: float) -> float:
    """How many of the pairs match, by their probabilities under `prior_weight`."""
    return sum(
        float(probability(evidence[start : start + SUM_CHUNK] + prior_weight).sum(dtype=np.float64))
        for start in range(0, len(evidence), SUM_CHUNK)
    )


def probability(total_bits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.clip(total_bits, -60, 60)))


@dataclass(frozen=True)
class Scores:
    gamma: np.ndarray
    weights: np.ndarray | None  # per pair and comparison (None when not kept)
    total: np.ndarray  # bits, prior included
    probability: np.ndarray
    conflict: np.ndarray  # first-name conflict (household guard applied)


def score(
    mf: MatchFrame,
    model: MatchModel,
    i: np.ndarray,
    j: np.ndarray,
    tf: TermFrequencies,
    gamma: np.ndarray | None = None,
    *,
    keep_weights: bool = True,
) -> Scores:
    """Weights, total and match probability of the pairs (i, j); `keep_weights=False` keeps only
    the totals (a run's millions of pairs need no per-field table)."""
    if gamma is None:
        gamma = compare(mf, model.comparisons, i, j)
    weights, total = pair_weights(model, gamma, tf, i, j, keep=keep_weights)
    total += model.prior_weight
    return Scores(
        gamma=gamma,
        weights=weights,
        total=total,
        probability=probability(total),
        conflict=household_conflict(model, gamma),
    )
