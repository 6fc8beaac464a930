"""Incremental matching: new rows against the golden records already in the store.

A nightly run brings a few new rows (an inbound table, web sign-ups), often without the rows of
earlier runs. Re-clustering the new rows alone would give a returning customer a second id; and
re-clustering everything needs every source row again. Instead, each stored customer takes part
as one fixed *anchor* row (its golden record), and rows already in the store's cross-reference
stay fixed to their customer. Only pairs with at least one new row are compared. A new row joins
the customer it links to, or starts a new one with other new rows. Two stored customers are never
merged here (that is a full run's decision): the clustering guard treats them as a conflict, so a
new row that links to both joins the one it links to more strongly.

Only anchors that could be a candidate of a new row for some blocking key (they share an email, a
phone, a birth date, a street at a postal code, a custom id, or the sounds of both names in a
place) are read into the match, so the work grows with the new rows, not with the store. The
golden record of each customer that gained rows is rebuilt by survivorship over its anchor and
its rows in this run; fields the anchor keeps keep their stored lineage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import jellyfish
import numpy as np
import pandas as pd

from .. import schema
from ..cleanse.name import match_first_name
from . import blocking
from .clustering import components
from .comparisons import compare, default_comparisons
from .decisions import resolve
from .households import household_ids
from .ids import assign_ids, identities
from .model import MatchModel, PairGroup, fit, score, term_frequencies
from .prepare import MatchFrame, _postal, _street, custom_columns, fold, prepare, text_column
from .result import DedupeResult
from .settings import DedupeSettings, SurvivorshipSettings

#: Lineage of a golden field whose stored lineage is unknown.
STORE_SOURCE = "crm_store"
#: Store bookkeeping columns of `customers`, not fields of an anchor row.
_STORE_COLUMNS = {"customer_id", "household_id", "member_count", "extra", "last_run_id"}


@dataclass(frozen=True)
class Stored:
    """What the store holds: its golden records, cross-reference and lineage."""

    customers: pd.DataFrame
    xref: pd.DataFrame
    lineage: pd.DataFrame

    @property
    def empty(self) -> bool:
        return len(self.customers) == 0


def _folded(frame: pd.DataFrame, column: str) -> pd.Series:
    return text_column(frame, column).map(lambda v: v.casefold() if isinstance(v, str) else None)


def _by_value(frame: pd.DataFrame, column: str, func: Callable[[str], str | None]) -> pd.Series:
    values = text_column(frame, column)
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    mapped = np.array([func(str(u)) or None for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _sound(name: str) -> str:
    """The first letter of a name's metaphone code, as the name keys compute it."""
    folded = fold(name).replace(" ", "")
    return (jellyfish.metaphone(folded) or folded)[:1]


def _pair(a: pd.Series, b: pd.Series) -> pd.Series:
    """Two values in either order (missing when either is)."""
    both = pd.concat([a, b], axis=1)
    return (both.min(axis=1) + both.max(axis=1)).where(a.notna() & b.notna(), None)


def _anchor_keys(frame: pd.DataFrame) -> list[pd.Series]:
    """Keys on golden values, computed as matching computes its blocking keys (folded, canonical
    first names), that every blocking key implies: a stored record sharing none of them with a new
    row can never be that row's candidate."""
    postal = _by_value(frame, "postal_code", _postal)
    place = postal.str[:3].where(postal.notna(), _by_value(frame, "city", fold))
    last = _by_value(frame, "last_name", _sound)
    first_raw = _by_value(frame, "first_name", _sound)
    first = _by_value(frame, "first_name", lambda v: _sound(match_first_name(v) or v))
    return [
        _by_value(frame, "email", str.lower),
        _by_value(frame, "phone", lambda v: re.sub(r"\D", "", v)[-9:]),
        _by_value(frame, "date_of_birth", lambda v: v[:10]),
        postal + "|" + _by_value(frame, "address_line1", _street),
        place + "|" + _pair(first, last),  # metaphone(first+last)+place, and swapped
        place + "|" + _pair(first_raw, last),  # postal+last3+initial (raw first name)
    ]


def nearby(customers: pd.DataFrame, new: pd.DataFrame) -> np.ndarray:
    """Which stored customers can be a candidate of a new row: they share an email, a phone, a
    birth date, a street at a postal code, a custom id, or the sounds of both names in a place."""
    keep = np.zeros(len(customers), dtype=bool)
    pairs = list(zip(_anchor_keys(customers), _anchor_keys(new), strict=True))
    for field in custom_columns(new):
        if field in customers.columns:
            pairs.append((_folded(customers, field), _folded(new, field)))
    for stored_key, new_key in pairs:
        values = set(new_key.dropna())
        if values:
            keep |= stored_key.isin(values).to_numpy()
    return keep


def _anchor_rows(
    customers: pd.DataFrame, restandardise: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """Stored golden records as standardised rows: no source (so they win survivorship's final
    tie-break and keep their values when nothing newer comes), the customer id as key."""
    fields = [c for c in customers.columns if c in schema.FIELDS or c not in _STORE_COLUMNS]
    staged = customers[fields].copy()
    staged.insert(0, "source", None)
    staged.insert(1, "source_row", 0)
    staged.insert(2, "source_key", customers["customer_id"].astype(str).to_numpy())
    return restandardise(staged.reset_index(drop=True))


def _fixed_customers(clean: pd.DataFrame, stored: Stored) -> np.ndarray:
    """The stored customer id of each input row already in the cross-reference (None for new rows).

    Only rows with a legacy key are looked up: a keyless row's identity is its row number, and
    tonight's row 1 of an inbound file is not last night's row 1. Keyless rows are matched anew."""
    keyed = text_column(clean, "source_key").notna().to_numpy()
    if len(stored.xref) == 0 or not keyed.any():
        return np.full(len(clean), None, dtype=object)
    known = pd.Series(
        stored.xref["customer_id"].astype(str).to_numpy(), index=identities(stored.xref).to_numpy()
    )
    known = known[~known.index.duplicated(keep="last")]
    owners = identities(clean).map(known).to_numpy(dtype=object)
    owners[~keyed] = None
    return owners


def _customer_conflicts(labels: np.ndarray, owner: np.ndarray) -> pd.DataFrame:
    """Pairs of rows of different stored customers that the links would put in one component:
    one representative row per customer, every pair of customers sharing a component."""
    fixed = np.flatnonzero(pd.notna(owner))
    frame = pd.DataFrame({"c": labels[fixed], "owner": owner[fixed], "row": fixed})
    reps = frame.drop_duplicates("owner")
    shared = reps[reps.groupby("c")["owner"].transform("size") > 1]
    pairs = shared.merge(shared, on="c")
    pairs = pairs[pairs["row_x"] < pairs["row_y"]]
    return pd.DataFrame({"i": pairs["row_x"].to_numpy(), "j": pairs["row_y"].to_numpy()})


def dedupe_incremental(
    clean: pd.DataFrame,
    stored: Stored,
    restandardise: Callable[[pd.DataFrame], pd.DataFrame],
    settings: DedupeSettings | None = None,
    survivorship: SurvivorshipSettings | None = None,
    *,
    decisions: pd.DataFrame | None = None,
    model: MatchModel | None = None,
) -> DedupeResult:
    """Match this run's rows against the stored customers; see the module docstring.

    `restandardise` turns stored golden records (canonical columns) into standardised rows, so
    they carry the derived columns matching reads. `model`: a fitted model to use instead of
    fitting one on this run's pairs (few new rows teach EM little; `fit` leans on built-in
    parameters then)."""
    from .stage import _cluster, _golden, _match_scores, _pairs_frame, _review, run_stats

    settings = settings or DedupeSettings()
    survivorship = survivorship or SurvivorshipSettings()
    clean = clean.reset_index(drop=True)
    n_input = len(clean)
    owner_input = _fixed_customers(clean, stored)
    is_new = pd.isna(owner_input)
    customers = stored.customers.reset_index(drop=True)
    near = nearby(customers, clean.loc[is_new]) if is_new.any() else np.zeros(len(customers), dtype=bool)
    # Customers with rows in this run get their golden record rebuilt: their anchor must be there.
    near |= customers["customer_id"].astype(str).isin(set(owner_input[~is_new])).to_numpy()
    anchors_of = customers.loc[near].reset_index(drop=True)
    anchors = _anchor_rows(anchors_of, restandardise) if len(anchors_of) else clean.iloc[0:0]
    # Anchors' text columns in the input's dtypes: concat then types them the same under pandas 2 and 3.
    differ = [c for c in anchors.columns if c in clean.columns and anchors[c].dtype != clean[c].dtype]
    text = {c: clean[c].dtype for c in differ if isinstance(clean[c].dtype, pd.StringDtype)}
    anchors = anchors.astype(text)
    frame = pd.concat([clean, anchors], ignore_index=True)
    n = len(frame)
    owner = np.concatenate([owner_input, anchors_of["customer_id"].astype(str).to_numpy(dtype=object)])
    new = np.concatenate([is_new, np.zeros(len(anchors), dtype=bool)])

    mf = prepare(frame)
    member_ids = identities(frame)
    must, cannot = resolve(decisions, member_ids)
    comparisons = default_comparisons(mf, settings.compare, varied=False)
    keys = (
        blocking.configured_keys(mf, settings.blocking) if settings.blocking else blocking.automatic_keys(mf)
    )
    candidates = blocking.candidate_pairs(keys, n, settings.max_block_size)
    key_names = [k.name for k in keys]
    del keys
    wanted = new[candidates.left] | new[candidates.right]
    left, right = candidates.left[wanted], candidates.right[wanted]
    if model is not None:
        comparisons = model.comparisons
    gamma = compare(mf, comparisons, left, right)
    if model is None:
        groups = [
            PairGroup(name, mask[wanted], candidates.uses.get(name, ()))
            for name, mask in candidates.found_by.items()
        ]
        n_new = int(new.sum())
        model = fit(
            mf,
            comparisons,
            gamma,
            groups=groups,
            seed=settings.seed,
            u_sample=settings.u_sample,
            pair_space=max(n_new * (n - 1) - n_new * (n_new - 1) / 2, 1.0),
        )
    tf = term_frequencies(mf, model)
    scores = score(mf, model, left, right, tf, gamma=gamma)

    # Rows of one stored customer stay together (must-links to its first row); rows of two stored
    # customers never come together (conflicts between their first rows).
    fixed = np.flatnonzero(pd.notna(owner))
    first_row = pd.Series(fixed).groupby(owner[fixed]).transform("min").to_numpy()
    together = fixed != first_row
    must = pd.concat(
        [must, pd.DataFrame({"i": first_row[together], "j": fixed[together]})], ignore_index=True
    )
    accepted = scores.probability >= settings.threshold
    initial = components(
        n,
        np.concatenate([left[accepted], must["i"].to_numpy()]),
        np.concatenate([right[accepted], must["j"].to_numpy()]),
    )
    cannot = pd.concat([cannot, _customer_conflicts(initial, owner)], ignore_index=True)
    labels, split, largest = _cluster(n, left, right, scores, model, settings, must, cannot, mf, tf)

    known = pd.DataFrame(
        {
            "source": text_column(frame, "source").fillna("").to_numpy(dtype=object)[fixed],
            "source_row": frame["source_row"].to_numpy()[fixed],
            "source_key": text_column(frame, "source_key").to_numpy(dtype=object)[fixed],
            "customer_id": owner[fixed],
        }
    )
    customer = assign_ids(labels, member_ids, known)

    # Golden records for the customers this run touches: their anchor and their rows in this run.
    touched = np.isin(labels, np.unique(labels[:n_input]))
    rows = np.flatnonzero(touched)
    sub = frame.iloc[rows].reset_index(drop=True)
    households = _households(mf, customer, customers)
    golden, lineage = _golden(sub, labels[rows], customer[rows], survivorship, households)
    golden = _member_counts(golden, customer[:n_input], is_new, customers)
    lineage = _stored_lineage(lineage, stored.lineage)

    prob = scores.probability.copy()
    accepted = prob >= settings.threshold
    match_score = _match_scores(labels, left[accepted], right[accepted], prob[accepted], n)[:n_input]
    if len(stored.xref) and (~is_new).any():
        stored_scores = pd.Series(
            pd.to_numeric(stored.xref["match_score"], errors="coerce").to_numpy(),
            index=identities(stored.xref).to_numpy(),
        )
        stored_scores = stored_scores[~stored_scores.index.duplicated(keep="last")]
        known_rows = np.flatnonzero(~is_new)
        match_score[known_rows] = member_ids.iloc[known_rows].map(stored_scores).to_numpy(dtype=float)
    xref = pd.DataFrame(
        {
            "source": text_column(clean, "source").to_numpy(dtype=object),
            "source_row": clean["source_row"].to_numpy()
            if "source_row" in clean
            else np.arange(1, n_input + 1),
            "source_key": text_column(clean, "source_key").to_numpy(dtype=object),
            "customer_id": customer[:n_input],
            "match_score": match_score,
        }
    )
    pairs = _pairs_frame(left, right, scores, model)
    review = _review(frame, pairs, customer, settings.review_band, set())
    joined = is_new & np.isin(customer[:n_input], customers["customer_id"].astype(str).to_numpy())
    stats = {
        "mode": "incremental",
        "rows": n_input,
        "new_rows": int(is_new.sum()),
        "known_rows": int((~is_new).sum()),
        "stored_customers": int(len(customers)),
        "anchors_compared": int(len(anchors)),
        "new_rows_joining_stored_customers": int(joined.sum()),
        "candidate_pairs": int(len(left)),
        **run_stats(candidates, key_names, model, accepted, golden, review, split, largest),
    }
    return DedupeResult(
        golden=golden, xref=xref, review=review, lineage=lineage, pairs=pairs, stats=stats, model=model
    )


def _member_counts(
    golden: pd.DataFrame, customer: np.ndarray, is_new: np.ndarray, customers: pd.DataFrame
) -> pd.DataFrame:
    """Members of each customer in the store after this run: the stored count plus its new rows
    (rows already in the cross-reference are in the stored count)."""
    stored = pd.Series(
        pd.to_numeric(customers["member_count"], errors="coerce").fillna(0).to_numpy(dtype=np.int64),
        index=customers["customer_id"].astype(str).to_numpy(),
    )
    this_run = pd.Series(customer).value_counts()
    added = pd.Series(customer[is_new]).value_counts()
    ids = golden["customer_id"].astype(str)
    before = ids.map(stored)
    counts = np.where(
        before.notna(),
        before.fillna(0).to_numpy() + ids.map(added).fillna(0).to_numpy(),
        ids.map(this_run).fillna(0).to_numpy(),
    )
    return golden.assign(member_count=counts.astype(np.int64))


def _households(mf: MatchFrame, customer: np.ndarray, customers: pd.DataFrame) -> pd.Series:
    """household_id per customer_id: stored customers keep their household; a new customer joining
    a stored household takes its id (the smallest, when it joins several), else one of its own."""
    computed = household_ids(mf, customer)
    stored = pd.Series(
        customers["household_id"].to_numpy(dtype=object),
        index=customers["customer_id"].astype(str).to_numpy(),
    ).dropna()
    frame = pd.DataFrame(
        {"computed": computed.to_numpy(), "stored": computed.index.map(stored)}, index=computed.index
    )
    inherited = frame.dropna(subset=["stored"]).groupby("computed")["stored"].min()
    final = frame["stored"].where(frame["stored"].notna(), frame["computed"].map(inherited))
    return final.where(final.notna(), frame["computed"])


def _stored_lineage(lineage: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """Fields won by an anchor (no source) keep the lineage the store has for them."""
    out = lineage.astype({"customer_id": object, "field": object, "source": object})
    from_anchor = pd.isna(out["source"]).to_numpy()
    if not from_anchor.any():
        return out
    keyed = stored.assign(_k=stored["customer_id"].astype(str) + "\x1f" + stored["field"].astype(str))
    keyed = keyed.drop_duplicates("_k").set_index("_k")
    wanted = (out["customer_id"].astype(str) + "\x1f" + out["field"].astype(str))[from_anchor]
    out.loc[from_anchor, "source"] = wanted.map(keyed["source"]).fillna(STORE_SOURCE).to_numpy()
    stored_rows = pd.to_numeric(wanted.map(keyed["source_row"]), errors="coerce")
    out.loc[from_anchor, "source_row"] = stored_rows.fillna(0).to_numpy(dtype=np.int64)
    return out
