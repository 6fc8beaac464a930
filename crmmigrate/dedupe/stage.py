"""The dedupe stage: the matching path (`linking.link`: prepare -> block -> compare -> fit -> score
-> cluster), then stable ids, survivorship into golden records, households, the cross-reference
and the pairs to review. The output builders here are shared with incremental runs."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .. import schema
from ..memory import give_back_memory
from ..progress import Steps
from .decisions import load_decisions
from .households import household_ids
from .ids import assign_ids, row_ids
from .linking import IN_PROCESS, Linked, LinkSteps, at_step, in_pairs, link
from .model import MatchModel, Scores, score
from .prepare import custom_columns, positional, stripped_text, text_column
from .result import DedupeResult
from .settings import DedupeSettings, SurvivorshipSettings

log = logging.getLogger(__name__)

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


def lineage_columns(clean: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """source, source_row and source_key per row (text kept in Arrow where it is)."""
    source, key = (
        stripped_text(clean[c]) if c in clean.columns else text_column(clean, c)
        for c in ("source", "source_key")
    )
    rows = clean["source_row"] if "source_row" in clean.columns else pd.Series(np.arange(1, len(clean) + 1))
    return source, pd.Series(rows.to_numpy(), index=clean.index), key


def match_scores(
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


def scored_pairs(left: np.ndarray, right: np.ndarray, scores: Scores) -> pd.DataFrame:
    """Every compared pair (row positions) with its total weight and match probability. The
    per-field weights of any pair are one `explain` away; at millions of pairs they are not kept.
    The position arrays are taken as they are (`copy=False`: pandas 2 would copy them into one
    block, a hundred MiB at 13M pairs)."""
    return pd.DataFrame(
        {
            "left": left,
            "right": right,
            "total_weight": scores.total.astype(np.float32),
            "probability": scores.probability.astype(np.float32),
        },
        copy=False,
    )


#: Why a pair is in review.csv.
UNCERTAIN = "uncertain"  # its match probability is in the review band
NAMES_DIFFER = "merged, first names differ"  # twins, or one person under another given name?


def merged_despite_names(
    linked: Linked, pairs: pd.DataFrame, customer: np.ndarray, threshold: float
) -> np.ndarray:
    """Positions in `pairs` of the links that merged two records whose first names conflict (Wei
    and David Chen born on one day at one address, Marie and Maria with one mobile): the evidence
    carried them, and a reviewer should see them (a cannot-link decision parts twins for good).
    Only the links are scored again, by the run's model."""
    accepted = np.flatnonzero(pairs["probability"].to_numpy() >= threshold)  # a few of millions
    left, right = pairs["left"].to_numpy()[accepted], pairs["right"].to_numpy()[accepted]
    inside = customer[left] == customer[right]
    links, left, right = accepted[inside], left[inside], right[inside]
    if len(links) == 0 or not any(c.kind == "first_name" for c in linked.model.comparisons):
        return links[:0]
    found = score(linked.mf, linked.model, left, right, linked.tf, keep_weights=False)
    return links[found.conflict]


def pairs_to_review(
    frame: pd.DataFrame, linked: Linked, pairs: pd.DataFrame, customer: np.ndarray, settings: DedupeSettings
) -> pd.DataFrame:
    """review.csv: the uncertain pairs and the links merged although their first names differ."""
    doubted = merged_despite_names(linked, pairs, customer, settings.threshold)
    return review_pairs(frame, pairs, customer, settings.review_band, decided_pairs(linked), doubted)


def review_pairs(
    clean: pd.DataFrame,
    pairs: pd.DataFrame,
    customer: np.ndarray,
    band: tuple[float, float],
    decided: set[tuple[int, int]],
    doubted: np.ndarray | None = None,
) -> pd.DataFrame:
    """The pairs of probability in `band`, and the `doubted` ones (positions in `pairs`), side by
    side with a reason each; pairs a decision settled are left out."""
    low, high = band
    p = pairs["probability"].to_numpy()
    reasons = np.full(len(pairs), None, dtype=object)
    reasons[(p >= low) & (p < high)] = UNCERTAIN
    if doubted is not None:
        reasons[doubted] = NAMES_DIFFER
    chosen = np.flatnonzero(reasons != None)  # noqa: E711 - elementwise
    picked = pairs.iloc[chosen]
    reason = reasons[chosen]
    if decided:
        keep = np.array(
            [(a, b) not in decided for a, b in zip(picked["left"], picked["right"], strict=False)], dtype=bool
        )
        picked, reason = picked[keep], reason[keep]
    source, rows, keys = lineage_columns(clean)
    out: dict[str, object] = {}
    for side in ("left", "right"):
        idx = picked[side].to_numpy()
        out[f"{side}_source"] = source.take(idx).to_numpy(dtype=object)
        out[f"{side}_source_row"] = rows.to_numpy()[idx]
        out[f"{side}_source_key"] = keys.take(idx).to_numpy(dtype=object)
        out[f"{side}_customer_id"] = customer[idx]
    out["match_probability"] = picked["probability"].to_numpy()
    out["reason"] = reason
    shown = {side: clean.iloc[picked[side].to_numpy()] for side in ("left", "right")}  # only these rows
    for field in REVIEW_FIELDS:
        if field in clean.columns:
            for side, rows_shown in shown.items():
                out[f"{side}_{field}"] = text_column(rows_shown, field).to_numpy(dtype=object)
    return (
        pd.DataFrame(out)
        .sort_values("match_probability", ascending=False, kind="mergesort")
        .reset_index(drop=True)
    )


def golden_records(
    clean: pd.DataFrame,
    labels: np.ndarray,
    customer: np.ndarray,
    survivorship: SurvivorshipSettings,
    households: pd.Series,
    engine: LinkSteps = IN_PROCESS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Golden records and their lineage; `households` maps customer_id -> household_id; `engine`:
    the engine that runs survivorship."""
    survivors = engine.survive(clean, labels, survivorship)
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
    give_back_memory()  # survivorship's scratch columns
    return golden, lineage


def _lineage(clean: pd.DataFrame, lin: pd.DataFrame, by_cluster: pd.Series) -> pd.DataFrame:
    """Lineage rows sorted by (customer_id, field). There is one per filled golden field, so at
    scale tens of millions: the text columns are categoricals and the sort runs on integer ranks."""
    source, rows, _ = lineage_columns(clean)
    customer_rank, customers = pd.factorize(by_cluster.to_numpy(dtype=object), sort=True)
    # Codes as narrow as they can be: tens of millions of rows, each temporary a column of them.
    customer_codes = customer_rank.astype(np.int32)[
        np.searchsorted(by_cluster.index.to_numpy(), lin["cluster"].to_numpy())
    ]
    fields = lin["field"].cat
    field_codes = fields.codes.to_numpy()
    field_rank = np.argsort(np.argsort(fields.categories.to_numpy(dtype=str), kind="stable")).astype(np.int16)
    order = np.lexsort((field_rank[field_codes], customer_codes))
    out = {"customer_id": pd.Categorical.from_codes(customer_codes[order], categories=customers)}
    del customer_codes
    out["field"] = pd.Categorical.from_codes(field_codes[order], categories=fields.categories)
    row_index = lin["row"].to_numpy()[order]
    del order
    source_codes, sources = pd.factorize(source)
    out["source"] = pd.Categorical.from_codes(source_codes.astype(np.int32)[row_index], categories=sources)
    out["source_row"] = rows.to_numpy()[row_index]
    return pd.DataFrame(out)


def dedupe(
    clean: pd.DataFrame,
    settings: DedupeSettings | None = None,
    survivorship: SurvivorshipSettings | None = None,
    *,
    known_ids: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    model: MatchModel | None = None,
    training: pd.DataFrame | None = None,
    steps: Steps | None = None,
    engine: LinkSteps = IN_PROCESS,
) -> DedupeResult:
    """Find the same customer across and within sources and build one golden record per customer.

    `model`: a fitted model (an earlier run's match_model.json) used as it is. `training`:
    labelled pairs in the decisions format (must_link = same person, cannot_link = different);
    m is then learnt from them instead of by EM. `steps` hears the matching's steps; `engine`:
    what blocks, compares and survives (`linking.LinkSteps`; the Spark engine passes its own)."""
    settings = settings or DedupeSettings()
    survivorship = survivorship or SurvivorshipSettings()
    clean = positional(clean)
    if decisions is None and settings.decisions:
        decisions = load_decisions(settings.decisions)
    linked = link(
        clean, settings, decisions=decisions, model=model, training=training, steps=steps, engine=engine
    )
    customer = assign_ids(linked.labels, linked.ids, known_ids)
    xref, accepted = cross_reference(clean, linked, customer, settings)
    households = household_ids(linked.mf, customer)
    pairs = scored_pairs(linked.left, linked.right, linked.scores)
    review = pairs_to_review(clean, linked, pairs, customer, settings)
    stats = {"rows": len(clean), **run_stats(linked, accepted, review)}
    labels, model = linked.labels, linked.model
    del linked, accepted  # the match frame and the pair arrays: gigabytes at a million rows
    give_back_memory()
    at_step(steps, "golden records")
    golden, lineage = golden_records(clean, labels, customer, survivorship, households, engine)
    stats.update(golden_stats(golden))
    return DedupeResult(
        golden=golden, xref=xref, review=review, lineage=lineage, pairs=pairs, stats=stats, model=model
    )


def decided_pairs(linked: Linked) -> set[tuple[int, int]]:
    """Pairs a person already decided (must or cannot link): not sent to review again."""
    pairs = pd.concat([linked.must, linked.cannot], ignore_index=True)
    return set(zip(pairs["i"].tolist(), pairs["j"].tolist(), strict=True))


def cross_reference(
    clean: pd.DataFrame, linked: Linked, customer: np.ndarray, settings: DedupeSettings
) -> tuple[pd.DataFrame, np.ndarray]:
    """The xref of the rows of `clean` (the first rows of the linked frame), and which compared
    pairs were accepted links."""
    n = len(clean)
    prob = linked.scores.probability.copy()
    prob[in_pairs(linked.left, linked.right, linked.must, len(linked.labels))] = 1.0
    accepted = prob >= settings.threshold
    left, right = linked.left[accepted], linked.right[accepted]
    best = match_scores(linked.labels, left, right, prob[accepted], len(linked.labels))[:n]
    source, rows, keys = lineage_columns(clean)
    xref = pd.DataFrame(
        {
            "source": source.array,
            "source_row": rows.to_numpy(),
            "source_key": keys.array,
            "customer_id": customer[:n],
            "match_score": best,
            "source_id": keyless_ids(clean),
        }
    )
    return xref, accepted


def keyless_ids(clean: pd.DataFrame) -> np.ndarray:
    """The identity a row without a legacy key is stored by (`ids.content_ids`); None for keyed
    rows, whose key is their identity."""
    out = np.full(len(clean), None, dtype=object)
    missing = text_column(clean, "source_key").isna().to_numpy()
    if missing.any():
        out[missing] = row_ids(clean.loc[missing]).to_numpy(dtype=object)
    return out


def golden_stats(golden: pd.DataFrame) -> dict[str, object]:
    """The figures of the golden records (with `run_stats`, every dedupe run reports them)."""
    return {"clusters": int(len(golden)), "households": int(golden["household_id"].nunique())}


def run_stats(linked: Linked, accepted: np.ndarray, review: pd.DataFrame) -> dict[str, object]:
    """The figures every dedupe run reports (`reconciliation.json`, the dedupe command's table)."""
    candidates, model = linked.candidates, linked.model
    rows = max(len(linked.labels), 1)
    return {
        "candidate_pairs": int(linked.compared),
        "pairs_per_row": round(linked.compared / rows, 2),
        "pairs_per_key": candidates.per_key,
        "blocks_windowed": candidates.windowed,
        "blocking_keys": list(candidates.per_key),
        "comparisons": [c.name for c in model.comparisons],
        "accepted_links": int(accepted.sum()),
        "clusters_split": linked.split,
        "largest_cluster": linked.largest,
        "review_pairs": int(len(review)),
        "em": model.info,
        "prior": model.prior,
        "must_link": int(len(linked.must)),
        "cannot_link": int(len(linked.cannot)),
    }
