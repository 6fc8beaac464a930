"""Incremental matching: new rows against the golden records already in the store.

A nightly run brings a few new rows (an inbound table, web sign-ups), often without the rows of
earlier runs. Re-clustering the new rows alone would give a returning customer a second id; and
re-clustering everything needs every source row again. Instead, each stored customer takes part
as one fixed *anchor* row (its golden record), and rows already in the store's cross-reference
stay fixed to their customer. Only pairs with at least one new row are compared. A new row joins
the customer it links to, or starts a new one with other new rows. Two stored customers are never
merged here (that is a full run's decision): the clustering guard treats them as a conflict, so a
new row that links to both joins the one it links to more strongly.

Only anchors that could be a candidate of a new row on a tight blocking key (they share an email
or a mailbox name, a phone, a birth date, a street in a place, both names, a company or a custom
id) are read into the match, so the work grows with the new rows, not with the store. Matching
itself is the full run's path (`linking.link`) with the anchors as fixed rows. The
golden record of each customer that gained rows is rebuilt by survivorship over its anchor and
its rows in this run; fields the anchor keeps keep their stored lineage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema
from ..cleanse.name import match_first_name
from ..progress import Steps
from .blocking import sound
from .households import household_ids
from .ids import assign_ids, identities
from .linking import IN_PROCESS, LinkSteps, at_step, link
from .model import MatchModel
from .prepare import MatchFrame, _company, _postal, _street, custom_columns, fold, text_column
from .result import DedupeResult
from .settings import DedupeSettings, SurvivorshipSettings
from .stage import (
    cross_reference,
    golden_records,
    golden_stats,
    pairs_to_review,
    run_stats,
    scored_pairs,
)

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
    """A whole name's sound, as the name keys compute it (`blocking.sound` of the folded name)."""
    folded = fold(name).replace(" ", "")
    return sound(folded) if folded else ""


def _pair(a: pd.Series, b: pd.Series) -> pd.Series:
    """Two values in either order (missing when either is)."""
    both = pd.concat([a, b], axis=1)
    return (both.min(axis=1) + "|" + both.max(axis=1)).where(a.notna() & b.notna(), None)


def _anchor_keys(frame: pd.DataFrame) -> list[pd.Series]:
    """Keys on golden values, computed as matching computes its blocking keys (folded, canonical
    first names), for the keys listed in `blocking.ANCHOR_KEYS`: a stored record sharing none of
    them with a new row is never that row's candidate on those keys."""
    postal = _by_value(frame, "postal_code", _postal)
    city = _by_value(frame, "city", fold)
    street = _by_value(frame, "address_line1", _street)
    last = _by_value(frame, "last_name", _sound)
    first_raw = _by_value(frame, "first_name", _sound)
    if "first_name_match" in frame.columns:  # standardised rows carry the canonical first name
        first = _by_value(frame, "first_name_match", _sound).where(lambda v: v.notna(), first_raw)
    else:
        first = _by_value(frame, "first_name", lambda v: _sound(match_first_name(v) or v))
    email = _by_value(frame, "email", str.lower)
    return [
        email,
        email.map(
            lambda v: v.split("@", 1)[0] if isinstance(v, str) and len(v.split("@", 1)[0]) >= 4 else None
        ),
        _by_value(frame, "phone", lambda v: re.sub(r"\D", "", v)[-9:]),
        _by_value(frame, "date_of_birth", lambda v: v[:10]),
        postal + "|" + street,
        city + "|" + street,
        _pair(first, last),  # both names, in either order, anywhere
        _pair(first_raw, last),
        _by_value(frame, "company", _company),
    ]


def nearby(customers: pd.DataFrame, new: pd.DataFrame) -> np.ndarray:
    """Which stored customers can be a candidate of a new row on a tight key: they share an email
    or a mailbox name, a phone, a birth date, a street in a place, both names, a company or a
    custom id. (Broad keys, a surname or a name word in a place, would bring in every namesake of
    the store for a few new rows; an incremental run does without them.)"""
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


def dedupe_incremental(
    clean: pd.DataFrame,
    stored: Stored,
    restandardise: Callable[[pd.DataFrame], pd.DataFrame],
    settings: DedupeSettings | None = None,
    survivorship: SurvivorshipSettings | None = None,
    *,
    decisions: pd.DataFrame | None = None,
    model: MatchModel | None = None,
    steps: Steps | None = None,
    engine: LinkSteps = IN_PROCESS,
) -> DedupeResult:
    """Match this run's rows against the stored customers; see the module docstring.

    `restandardise` turns stored golden records (canonical columns) into standardised rows, so
    they carry the derived columns matching reads. `model`: a fitted model to use instead of
    fitting one on this run's pairs (few new rows teach EM little; `fit` leans on built-in
    parameters then). `engine`: what blocks, compares and survives (`linking.LinkSteps`; the Spark
    engine passes its own)."""
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
    owner = np.concatenate([owner_input, anchors_of["customer_id"].astype(str).to_numpy(dtype=object)])
    new = np.concatenate([is_new, np.zeros(len(anchors), dtype=bool)])

    linked = link(
        frame, settings, decisions=decisions, model=model, new=new, owners=owner, steps=steps, engine=engine
    )
    fixed = np.flatnonzero(pd.notna(owner))
    known = pd.DataFrame(
        {
            "source": text_column(frame, "source").fillna("").to_numpy(dtype=object)[fixed],
            "source_row": frame["source_row"].to_numpy()[fixed],
            "source_key": text_column(frame, "source_key").to_numpy(dtype=object)[fixed],
            "customer_id": owner[fixed],
        }
    )
    labels = linked.labels
    customer = assign_ids(labels, linked.ids, known)

    # Golden records for the customers this run touches: their anchor and their rows in this run.
    touched = np.isin(labels, np.unique(labels[:n_input]))
    rows = np.flatnonzero(touched)
    sub = frame.iloc[rows].reset_index(drop=True)
    households = _households(linked.mf, customer, customers)
    at_step(steps, "golden records")
    golden, lineage = golden_records(sub, labels[rows], customer[rows], survivorship, households, engine)
    golden = _member_counts(golden, customer[:n_input], is_new, customers)
    lineage = _stored_lineage(lineage, stored.lineage)

    xref, accepted = cross_reference(clean, linked, customer, settings)
    if len(stored.xref) and (~is_new).any():
        stored_scores = pd.Series(
            pd.to_numeric(stored.xref["match_score"], errors="coerce").to_numpy(),
            index=identities(stored.xref).to_numpy(),
        )
        stored_scores = stored_scores[~stored_scores.index.duplicated(keep="last")]
        known_rows = np.flatnonzero(~is_new)
        xref.loc[known_rows, "match_score"] = (
            linked.ids.iloc[known_rows].map(stored_scores).to_numpy(dtype=float)
        )
    pairs = scored_pairs(linked.left, linked.right, linked.scores)
    review = pairs_to_review(frame, linked, pairs, customer, settings)
    joined = is_new & np.isin(customer[:n_input], customers["customer_id"].astype(str).to_numpy())
    stats = {
        "mode": "incremental",
        "rows": n_input,
        "new_rows": int(is_new.sum()),
        "known_rows": int((~is_new).sum()),
        "stored_customers": int(len(customers)),
        "anchors_compared": int(len(anchors)),
        "new_rows_joining_stored_customers": int(joined.sum()),
        **run_stats(linked, accepted, review),
        **golden_stats(golden),
    }
    return DedupeResult(
        golden=golden, xref=xref, review=review, lineage=lineage, pairs=pairs, stats=stats, model=linked.model
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
    stored = stored.astype({"source": object})  # a categorical cannot take the store's own name
    keyed = stored.assign(_k=stored["customer_id"].astype(str) + "\x1f" + stored["field"].astype(str))
    keyed = keyed.drop_duplicates("_k").set_index("_k")
    wanted = (out["customer_id"].astype(str) + "\x1f" + out["field"].astype(str))[from_anchor]
    out.loc[from_anchor, "source"] = wanted.map(keyed["source"]).fillna(STORE_SOURCE).to_numpy()
    stored_rows = pd.to_numeric(wanted.map(keyed["source_row"]), errors="coerce")
    out.loc[from_anchor, "source_row"] = stored_rows.fillna(0).to_numpy(dtype=np.int64)
    return out
