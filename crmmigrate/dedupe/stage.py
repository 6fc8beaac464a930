"""The dedupe stage as small named steps: prepare -> block -> compare -> fit -> score -> cluster ->
survive -> ids and households."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import schema
from ..errors import ConfigError
from . import blocking
from .clustering import cluster
from .comparisons import compare, default_comparisons
from .decisions import load_decisions, resolve
from .households import household_ids
from .ids import assign_ids, identities
from .model import (
    MatchModel,
    PairGroup,
    Scores,
    TermFrequencies,
    fit,
    labelled_m,
    score,
    term_frequencies,
)
from .prepare import MatchFrame, custom_columns, prepare, stripped_text, text_column
from .result import DedupeResult
from .settings import DedupeSettings, SurvivorshipSettings
from .survivorship import survive

log = logging.getLogger(__name__)

#: Fewest labelled matching pairs `dedupe.training` must name to learn m from.
MIN_LABELLED_MATCHES = 20

#: Fields shown side by side in review.csv.
REVIEW_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address_line1",
    "postal_code",
    "city",
    "date_of_birth",
    "company",
)


def _conflicts(
    scores: Scores, model: MatchModel, accepted: np.ndarray, settings: DedupeSettings
) -> np.ndarray:
    """Pairs that must not share a cluster: strong evidence against, or a first-name conflict that
    no identifier (only household-shared evidence and maybe a birth date: twins) overrides."""
    evidence = scores.total - model.prior_weight
    id_agrees = np.zeros(len(evidence), dtype=bool)
    for c, comparison in enumerate(model.comparisons):
        if comparison.kind == "id":
            id_agrees |= np.isin(scores.gamma[:, c], (0, 1))
    return ~accepted & ((scores.conflict & ~id_agrees) | (evidence < settings.conflict_weight))


def _in_pairs(i: np.ndarray, j: np.ndarray, pairs: pd.DataFrame, n: int) -> np.ndarray:
    """Which of the pairs (i, j) are among `pairs` (columns i < j), as int64 codes."""
    if pairs.empty or len(i) == 0:
        return np.zeros(len(i), dtype=bool)
    codes = np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j)
    return np.isin(codes, pairs["i"].to_numpy(dtype=np.int64) * n + pairs["j"].to_numpy(dtype=np.int64))


def _lineage_columns(clean: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """source, source_row and source_key per row (text kept in Arrow where it is)."""
    source, key = (
        stripped_text(clean[c]) if c in clean.columns else text_column(clean, c)
        for c in ("source", "source_key")
    )
    rows = clean["source_row"] if "source_row" in clean.columns else pd.Series(np.arange(1, len(clean) + 1))
    return source, pd.Series(rows.to_numpy(), index=clean.index), key


def _match_scores(
    labels: np.ndarray, left: np.ndarray, right: np.ndarray, prob: np.ndarray, n: int
) -> np.ndarray:
    """Per row: the probability of its strongest accepted link inside its cluster."""
    same = labels[left] == labels[right]
    best = np.full(n, np.nan)
    frame = pd.DataFrame(
        {"r": np.concatenate([left[same], right[same]]), "p": np.concatenate([prob[same], prob[same]])}
    )
    top = frame.groupby("r")["p"].max()
    best[top.index.to_numpy()] = top.to_numpy()
    sizes = np.bincount(labels)
    best[sizes[labels] == 1] = np.nan
    return best


def _pairs_frame(left: np.ndarray, right: np.ndarray, scores: Scores, model: MatchModel) -> pd.DataFrame:
    data: dict[str, object] = {"left": left, "right": right}
    for c, comparison in enumerate(model.comparisons):
        data[comparison.name] = scores.gamma[:, c]
        data[f"{comparison.name}_weight"] = scores.weights[:, c]
    data["total_weight"] = scores.total
    data["probability"] = scores.probability
    return pd.DataFrame(data)


def _review(
    clean: pd.DataFrame,
    pairs: pd.DataFrame,
    customer: np.ndarray,
    band: tuple[float, float],
    decided: set[tuple[int, int]],
) -> pd.DataFrame:
    low, high = band
    p = pairs["probability"].to_numpy()
    picked = pairs[(p >= low) & (p < high)]
    if decided:
        keep = [(a, b) not in decided for a, b in zip(picked["left"], picked["right"], strict=False)]
        picked = picked[np.array(keep, dtype=bool)]
    source, rows, keys = _lineage_columns(clean)
    out: dict[str, object] = {}
    for side in ("left", "right"):
        idx = picked[side].to_numpy()
        out[f"{side}_source"] = source.take(idx).to_numpy(dtype=object)
        out[f"{side}_source_row"] = rows.to_numpy()[idx]
        out[f"{side}_source_key"] = keys.take(idx).to_numpy(dtype=object)
        out[f"{side}_customer_id"] = customer[idx]
    out["match_probability"] = picked["probability"].to_numpy()
    for field in REVIEW_FIELDS:
        if field in clean.columns:
            values = text_column(clean, field).to_numpy(dtype=object)
            out[f"left_{field}"] = values[picked["left"].to_numpy()]
            out[f"right_{field}"] = values[picked["right"].to_numpy()]
    return (
        pd.DataFrame(out)
        .sort_values("match_probability", ascending=False, kind="mergesort")
        .reset_index(drop=True)
    )


def _golden(
    clean: pd.DataFrame,
    labels: np.ndarray,
    customer: np.ndarray,
    survivorship: SurvivorshipSettings,
    households: pd.Series,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Golden records and their lineage; `households` maps customer_id -> household_id."""
    survivors = survive(clean, labels, survivorship)
    by_cluster = pd.Series(customer, index=labels).groupby(level=0).first()
    golden = survivors.golden
    golden.insert(0, "customer_id", by_cluster.reindex(golden.index).to_numpy())
    golden.insert(1, "household_id", golden["customer_id"].astype(str).map(households).to_numpy())
    sizes = pd.Series(labels).value_counts()
    custom = custom_columns(clean)
    ordered = list(schema.GOLDEN_COLUMNS)
    golden["member_count"] = sizes.reindex(golden.index).to_numpy().astype(np.int64)
    golden = golden[ordered + ["member_count"] + [c for c in custom if c in golden.columns]]
    golden = golden.sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    lineage = _lineage(clean, survivors.lineage, by_cluster)
    pa.default_memory_pool().release_unused()  # give back survivorship's scratch columns
    return golden, lineage


def _lineage(clean: pd.DataFrame, lin: pd.DataFrame, by_cluster: pd.Series) -> pd.DataFrame:
    """Lineage rows sorted by (customer_id, field). There is one per filled golden field, so at
    scale tens of millions: the text columns are categoricals and the sort runs on integer ranks."""
    source, rows, _ = _lineage_columns(clean)
    row_index = lin["row"].to_numpy(dtype=np.int64)
    position = np.searchsorted(by_cluster.index.to_numpy(), lin["cluster"].to_numpy())
    customer_rank, customers = pd.factorize(by_cluster.to_numpy(dtype=object), sort=True)
    customer_codes = customer_rank[position]
    fields = lin["field"].cat
    field_rank = np.argsort(np.argsort(fields.categories.to_numpy(dtype=str), kind="stable"))
    order = np.lexsort((field_rank[fields.codes.to_numpy()], customer_codes))
    source_codes, sources = pd.factorize(source)
    return pd.DataFrame(
        {
            "customer_id": pd.Categorical.from_codes(customer_codes[order], categories=customers),
            "field": pd.Categorical.from_codes(fields.codes.to_numpy()[order], categories=fields.categories),
            "source": pd.Categorical.from_codes(source_codes[row_index[order]], categories=sources),
            "source_row": rows.to_numpy()[row_index[order]],
        }
    )


def dedupe(
    clean: pd.DataFrame,
    settings: DedupeSettings | None = None,
    survivorship: SurvivorshipSettings | None = None,
    *,
    known_ids: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    model: MatchModel | None = None,
    training: pd.DataFrame | None = None,
) -> DedupeResult:
    """Find the same customer across and within sources and build one golden record per customer.

    `model`: a fitted model (an earlier run's match_model.json) used as it is. `training`:
    labelled pairs in the decisions format (must_link = same person, cannot_link = different);
    m is then learnt from them instead of by EM."""
    settings = settings or DedupeSettings()
    survivorship = survivorship or SurvivorshipSettings()
    clean = clean.reset_index(drop=True)
    n = len(clean)
    if decisions is None and settings.decisions:
        decisions = load_decisions(settings.decisions)
    mf = prepare(clean)
    member_ids = identities(clean)
    must, cannot = resolve(decisions, member_ids)
    comparisons = model.comparisons if model is not None else default_comparisons(mf, settings.compare)
    keys = (
        blocking.configured_keys(mf, settings.blocking) if settings.blocking else blocking.automatic_keys(mf)
    )
    candidates = blocking.candidate_pairs(keys, n, settings.max_block_size)
    key_names = [k.name for k in keys]
    del keys  # a text column per key: half a gigabyte at a million rows
    n_blocked = len(candidates)
    candidates = blocking.extra_pairs(candidates, must["i"].to_numpy(), must["j"].to_numpy(), n)
    left, right = candidates.left, candidates.right
    gamma = compare(mf, comparisons, left, right)
    if model is None:
        groups = [
            PairGroup(name, mask, candidates.uses.get(name, ()))
            for name, mask in candidates.found_by.items()
        ]
        model = fit(mf, comparisons, gamma, groups=groups, seed=settings.seed, u_sample=settings.u_sample)
        if training is not None:
            model = _learn_m_from_labels(model, mf, member_ids, training)
    tf = term_frequencies(mf, model)
    scores = score(mf, model, left, right, tf, gamma=gamma)
    labels, split, largest = _cluster(n, left, right, scores, model, settings, must, cannot, mf, tf)
    customer = assign_ids(labels, member_ids, known_ids)
    must_codes = set(zip(must["i"].tolist(), must["j"].tolist(), strict=False))
    prob = scores.probability.copy()
    prob[_in_pairs(left, right, must, n)] = 1.0
    accepted = prob >= settings.threshold
    match_score = _match_scores(labels, left[accepted], right[accepted], prob[accepted], n)
    source, rows, keys_col = _lineage_columns(clean)
    xref = pd.DataFrame(
        {
            "source": source.array,
            "source_row": rows.to_numpy(),
            "source_key": keys_col.array,
            "customer_id": customer,
            "match_score": match_score,
        }
    )
    golden, lineage = _golden(clean, labels, customer, survivorship, household_ids(mf, customer))
    pairs = _pairs_frame(left, right, scores, model)
    decided = must_codes | set(zip(cannot["i"].tolist(), cannot["j"].tolist(), strict=False))
    review = _review(clean, pairs, customer, settings.review_band, decided)
    stats = {
        "rows": n,
        "candidate_pairs": n_blocked,
        **run_stats(candidates, key_names, model, accepted, golden, review, split, largest),
        "must_link": int(len(must)),
        "cannot_link": int(len(cannot)),
    }
    return DedupeResult(
        golden=golden, xref=xref, review=review, lineage=lineage, pairs=pairs, stats=stats, model=model
    )


def _learn_m_from_labels(
    model: MatchModel, mf: MatchFrame, member_ids: pd.Series, training: pd.DataFrame
) -> MatchModel:
    """The model with m learnt from labelled matching pairs (must_link rows of a decisions-format
    file) instead of by EM; u (random pairs) and the prior (EM's match share) stay as fitted."""
    same, different = resolve(training, member_ids)
    if len(same) < MIN_LABELLED_MATCHES:
        raise ConfigError(
            f"dedupe.training names {len(same)} matching pair(s) among this run's rows; "
            f"at least {MIN_LABELLED_MATCHES} are needed to learn from",
            hint="label more pairs as must_link, or leave dedupe.training out to learn by EM",
        )
    gamma = compare(mf, model.comparisons, same["i"].to_numpy(), same["j"].to_numpy())
    info = {**model.info, "m_from_labels": {"matches": int(len(same)), "non_matches": int(len(different))}}
    return MatchModel(model.comparisons, labelled_m(model.comparisons, gamma), model.u, model.prior, info)


def run_stats(
    candidates: blocking.Candidates,
    key_names: list[str],
    model: MatchModel,
    accepted: np.ndarray,
    golden: pd.DataFrame,
    review: pd.DataFrame,
    split: int,
    largest: int,
) -> dict[str, object]:
    """The figures every dedupe run reports (`reconciliation.json`, the dedupe command's table)."""
    return {
        "pairs_per_key": candidates.per_key,
        "blocks_capped": candidates.capped,
        "blocking_keys": key_names,
        "comparisons": [c.name for c in model.comparisons],
        "accepted_links": int(accepted.sum()),
        "clusters": int(len(golden)),
        "clusters_split": split,
        "largest_cluster": largest,
        "review_pairs": int(len(review)),
        "households": int(golden["household_id"].nunique()),
        "em": model.info,
        "prior": model.prior,
    }


def _cluster(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    scores: Scores,
    model: MatchModel,
    settings: DedupeSettings,
    must: pd.DataFrame,
    cannot: pd.DataFrame,
    mf: MatchFrame,
    tf: TermFrequencies,
) -> tuple[np.ndarray, int, int]:
    accepted = scores.probability >= settings.threshold
    accepted &= ~_in_pairs(left, right, cannot, n)
    links = pd.concat(
        [
            pd.DataFrame({"i": left[accepted], "j": right[accepted], "weight": scores.total[accepted]}),
            must.assign(weight=np.inf),
        ],
        ignore_index=True,
    )

    def not_forced(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """A must-link is never a conflict (a cannot-link still wins over it)."""
        return ~_in_pairs(i, j, must, n)

    conflict = _conflicts(scores, model, accepted, settings)
    conflict[conflict] &= not_forced(left[conflict], right[conflict])
    conflicts = pd.concat(
        [pd.DataFrame({"i": left[conflict], "j": right[conflict]}), cannot[["i", "j"]]], ignore_index=True
    )

    def check(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        extra = score(mf, model, i, j, tf)
        flagged = _conflicts(extra, model, extra.probability >= settings.threshold, settings)
        flagged[flagged] &= not_forced(i[flagged], j[flagged])
        return flagged

    clusters = cluster(n, links, conflicts, check)
    return clusters.labels, clusters.split, clusters.largest
