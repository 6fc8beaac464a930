"""Erasing a person (the right to be forgotten) and keeping them out of later runs.

`forget` deletes the person's golden record, cross-reference rows, lineage and every before-image
that holds their data or their link to a source row, and the ids of customers merged into theirs
(`customer_aliases`; a retired id given to `forget` finds the person), in one transaction, and adds digests of
everything they are recognised by to `suppressions`: their email and phone as standardised,
their names with their birth date and with their address, the legacy systems' keys, the customer
id. Extraction rejects matching rows with reason `suppressed` (`suppressed_mask`, on standardised
values, so that however a row writes the email it is recognised), and a load refuses them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..errors import StoreError
from . import tables
from .values import stored_text
from .write import delete_rows


@dataclass(frozen=True)
class ForgetResult:
    customers: int  # golden records erased
    source_rows: int  # cross-reference rows erased
    suppressed: int  # identifiers added to the suppression list


def suppression_hash(kind: str, value: str) -> str:
    """sha256 of `kind:value`, the value trimmed (and lower-cased for emails)."""
    text = value.strip().lower() if kind == "email" else value.strip()
    return hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()


def _hashes(kind: str, values: pd.Series) -> pd.Series:
    distinct = pd.unique(values.dropna().astype(str))
    digests = {v: suppression_hash(kind, v) for v in distinct}
    return values.map(digests)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[column].astype(object).map(lambda v: None if pd.isna(v) else (str(v).strip() or None))


def _each(values: pd.Series, func: Callable[[str], str | None]) -> list[str | None]:
    return [func(v) if isinstance(v, str) else None for v in values.tolist()]


def _joined(*parts: list[str | None]) -> list[str | None]:
    """Parts joined with '|' per row; None where any part is missing."""
    return ["|".join(row) if all(p is not None for p in row) else None for row in zip(*parts, strict=True)]


def identity_keys(clean: pd.DataFrame) -> dict[str, pd.Series]:
    """The identifiers a person is recognised by, per row of standardised values, by kind: the
    email, the phone (E.164), and the matcher's own evidence: both names with the birth date, and
    both names with the street and postal code (names folded, first names to their canonical
    form, as matching compares them). Missing where a part is missing."""
    from ..cleanse.name import match_first_name
    from ..dedupe.prepare import _postal, _street, fold

    first = _each(_text(clean, "first_name"), match_first_name)
    last = _each(_text(clean, "last_name"), fold)
    names = _joined(first, last)
    dob = _each(_text(clean, "date_of_birth"), lambda v: v[:10])
    street = _each(_text(clean, "address_line1"), _street)
    postal = _each(_text(clean, "postal_code"), _postal)
    keys = {
        "email": _each(_text(clean, "email"), str.lower),
        "phone": _each(_text(clean, "phone"), lambda v: v),
        "name_dob": _joined(names, dob),
        "name_address": _joined(names, postal, street),
    }
    return {kind: pd.Series(values, index=clean.index, dtype=object) for kind, values in keys.items()}


def suppressed_mask(
    staged: pd.DataFrame, suppressions: pd.DataFrame, clean: pd.DataFrame | None = None
) -> np.ndarray:
    """True for rows of a person on the suppression list: their legacy key (source, source_key),
    or, in their standardised values (`clean`, the same rows; `staged` itself when not given),
    their email, phone, names with birth date, or names with address. The raw email is checked
    too, as suppression lists written before standardised digests hold it."""
    mask = np.zeros(len(staged), dtype=bool)
    if not len(suppressions) or not len(staged):
        return mask
    by_kind = suppressions.groupby("kind")["value_hash"].apply(set).to_dict()
    if "email" in staged.columns and by_kind.get("email"):
        mask |= _hashes("email", staged["email"]).isin(by_kind["email"]).to_numpy(dtype=bool)
    if {"source", "source_key"} <= set(staged.columns) and by_kind.get("source_key"):
        keyed = staged["source_key"].notna().to_numpy(dtype=bool)
        keys = pd.Series(None, index=staged.index, dtype=object)
        keys[keyed] = staged["source"][keyed].astype(str) + "|" + staged["source_key"][keyed].astype(str)
        mask |= _hashes("source_key", keys).isin(by_kind["source_key"]).to_numpy(dtype=bool)
    standard = identity_keys((clean if clean is not None else staged).reset_index(drop=True))
    for kind, values in standard.items():
        if by_kind.get(kind):
            mask |= _hashes(kind, values).isin(by_kind[kind]).to_numpy(dtype=bool)
    return mask


def _frame(conn: sa.Connection, query: sa.Select) -> pd.DataFrame:
    """Rows as object columns, typed customer values (a birth date) as the pipeline's text."""
    result = conn.execute(query)
    return stored_text(pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()), dtype=object))


def resolve_alias(conn: sa.Connection, customer_id: str) -> str:
    """The live customer a retired id was merged into (following merges of merges), or the id."""
    t = tables.of(conn)
    a = t.customer_aliases
    seen = {customer_id}
    while True:
        survivor = conn.execute(sa.select(a.c.survivor_id).where(a.c.customer_id == customer_id)).scalar()
        if survivor is None or survivor in seen:
            return customer_id
        seen.add(survivor)
        customer_id = survivor


def forget(conn: sa.Connection, *, email: str | None = None, customer_id: str | None = None) -> ForgetResult:
    """Erase one person (by email or customer id) inside the caller's transaction."""
    t = tables.of(conn)
    if not email and not customer_id:
        raise StoreError("say whom to forget", hint="give --email or --customer-id")
    c = t.customers
    if customer_id:
        customer_id = resolve_alias(conn, customer_id)
    condition = (
        c.c.customer_id == customer_id if customer_id else sa.func.lower(c.c.email) == email.strip().lower()
    )
    columns = [c.c.customer_id, *(c.c[name] for name in IDENTITY_COLUMNS)]
    found = _frame(conn, sa.select(*columns).where(condition))
    ids = found["customer_id"].tolist()
    x = t.customer_sources
    rows = (
        _frame(conn, sa.select(x.c.source, x.c.source_id, x.c.source_key).where(x.c.customer_id.in_(ids)))
        if ids
        else (pd.DataFrame(columns=["source", "source_id", "source_key"], dtype=object))
    )
    a = t.customer_aliases
    former = (
        _frame(conn, sa.select(a.c.customer_id).where(a.c.survivor_id.in_(ids)))["customer_id"].tolist()
        if ids
        else []
    )
    keys = pd.DataFrame({"customer_id": ids}, dtype=object)
    for table in (t.customers, t.golden_lineage, t.customer_history, t.lineage_history):
        delete_rows(conn, table, ["customer_id"], keys)
    delete_rows(conn, a, ["customer_id"], pd.DataFrame({"customer_id": former}, dtype=object))
    delete_rows(
        conn, t.customer_history, ["customer_id"], pd.DataFrame({"customer_id": former}, dtype=object)
    )
    delete_rows(conn, t.customer_sources, ["source", "source_id"], rows)
    delete_rows(conn, t.source_history, ["source", "source_id"], rows)
    delete_rows(conn, t.source_history, ["run_id", "source", "source_id"], _former_links(conn, ids))
    _redact_other_images(conn, found, email)
    digests = _suppressions(email, found, rows, [*ids, *former, *([customer_id] if customer_id else [])])
    existing = set(_frame(conn, sa.select(t.suppressions.c.value_hash))["value_hash"])
    new = [(kind, h) for kind, h in digests if h not in existing]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if new:
        conn.execute(t.suppressions.insert(), [{"kind": k, "value_hash": h, "added": now} for k, h in new])
    return ForgetResult(customers=len(ids), source_rows=len(rows), suppressed=len(new))


#: Fields of a before-image cleared when they hold a forgotten person's value.
_REDACTED = ("email", "phone", "date_of_birth", "address_line1", "address_line2", "postal_code")


def _redact_other_images(conn: sa.Connection, found: pd.DataFrame, email: str | None) -> int:
    """Before-images of OTHER customers that hold the person's data (a merge took their email or
    phone into someone else's record, and a later split left it in that record's before-image):
    the person's values are cleared from them, and their names where both names are theirs, so
    that no rollback can write them back. Returns the images changed."""
    t = tables.of(conn)
    values: set[str] = {
        str(v) for col in ("email", "phone") for v in found.get(col, []) if isinstance(v, str) and v
    }
    if email:
        values.add(email.strip())
    if not values:
        return 0
    h = t.customer_history
    pattern = sa.or_(*(h.c.before_image.contains(v, autoescape=True) for v in values))
    rows = conn.execute(sa.select(h.c.run_id, h.c.customer_id, h.c.before_image).where(pattern)).all()
    theirs = {
        col: {str(v).strip().lower() for v in found.get(col, []) if isinstance(v, str) and v}
        for col in (*_REDACTED, "first_name", "last_name")
    }
    theirs["email"] |= {v.lower() for v in values if "@" in v}
    names = {
        (str(f).lower(), str(la).lower())
        for f, la in zip(found.get("first_name", []), found.get("last_name", []), strict=False)
        if isinstance(f, str) and isinstance(la, str)
    }
    changed = 0
    for run_id, customer_id, text in rows:
        image = json.loads(text)
        before = dict(image)
        for col in _REDACTED:
            if isinstance(image.get(col), str) and image[col].strip().lower() in theirs[col]:
                image[col] = None
        pair = (str(image.get("first_name", "")).lower(), str(image.get("last_name", "")).lower())
        if pair in names:
            image["first_name"] = image["last_name"] = None
        if image != before:
            conn.execute(
                h.update()
                .where(h.c.run_id == run_id, h.c.customer_id == customer_id)
                .values(before_image=json.dumps(image, default=str))
            )
            changed += 1
    return changed


def _former_links(conn: sa.Connection, ids: list[str]) -> pd.DataFrame:
    """Keys of before-images that link a source row to one of `ids` although the row is no longer
    theirs: a later run moved it to another customer (or, before schema version 2, overwrote it
    with another row). They hold the person's link, so they go too; the row's key is not
    suppressed, as it belongs to someone else now. LIKE finds candidates, the JSON decides."""
    t = tables.of(conn)
    h = t.source_history
    found = []
    for customer_id in ids:
        query = sa.select(h.c.run_id, h.c.source, h.c.source_id, h.c.before_image).where(
            h.c.before_image.contains(customer_id, autoescape=True)
        )
        found += [
            (run_id, source, source_id)
            for run_id, source, source_id, image in conn.execute(query)
            if json.loads(image).get("customer_id") == customer_id
        ]
    return pd.DataFrame(found, columns=["run_id", "source", "source_id"], dtype=object)


#: The golden columns a person's identity digests are taken from.
IDENTITY_COLUMNS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "date_of_birth",
    "postal_code",
    "address_line1",
)


def _suppressions(
    email: str | None, found: pd.DataFrame, rows: pd.DataFrame, ids: list[str]
) -> set[tuple[str, str]]:
    """Digests of everything the person is recognised by: the email asked for (as written and
    standardised), every identifier of their golden records, their legacy keys, their ids."""
    from ..cleanse.email import standardise_email

    asked = [email, standardise_email(email)[0]] if email else []
    emails = {e for e in [*asked, *found["email"].tolist()] if isinstance(e, str) and e}
    digests = {("email", suppression_hash("email", e)) for e in emails}
    for kind, values in identity_keys(found).items():
        digests |= {(kind, suppression_hash(kind, v)) for v in values.dropna()}
    digests |= {("customer_id", suppression_hash("customer_id", i)) for i in ids}
    keyed = rows[rows["source_key"].notna()]
    digests |= {
        ("source_key", suppression_hash("source_key", f"{s}|{k}"))
        for s, k in zip(keyed["source"], keyed["source_key"], strict=True)
    }
    return digests


def suppressed_rejects(rejects: pd.DataFrame, suppressions: pd.DataFrame) -> np.ndarray:
    """True for rejected rows (raw values, any columns) that hold a suppressed person's email,
    phone or legacy key in any cell: a row the reader could not split or the mapping refused is
    still theirs, and its values must not be copied out again."""
    from ..cleanse.email import standardise_email
    from ..cleanse.phone import standardise_phone

    by_kind = suppressions.groupby("kind")["value_hash"].apply(set).to_dict()
    raw = rejects.drop(
        columns=[c for c in ("source", "source_row", "reason", "detail") if c in rejects.columns]
    )
    hit = np.zeros(len(rejects), dtype=bool)
    if raw.empty:
        return hit
    cells = raw.astype(object).where(raw.notna(), None)
    emails, phones = by_kind.get("email", set()), by_kind.get("phone", set())
    seen: dict[str, bool] = {}

    def personal(text: str) -> bool:
        if text not in seen:
            found = suppression_hash("email", text) in emails
            if not found and "@" in text:
                standard = standardise_email(text)[0]
                found = bool(standard) and suppression_hash("email", standard) in emails
            if not found and phones and any(ch.isdigit() for ch in text):
                number = standardise_phone(text, None, None)[0]
                found = bool(number) and suppression_hash("phone", number) in phones
            seen[text] = found
        return seen[text]

    keys = by_kind.get("source_key", set())
    sources = rejects["source"].astype(str).to_numpy() if "source" in rejects.columns else [""] * len(rejects)
    for row, values in enumerate(cells.itertuples(index=False, name=None)):
        texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
        hit[row] = any(personal(t) for t in texts) or any(
            suppression_hash("source_key", f"{sources[row]}|{t}") in keys for t in texts
        )
    return hit


def without_suppressed(
    golden: pd.DataFrame, xref: pd.DataFrame | None, lineage: pd.DataFrame | None, suppressions: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None, int]:
    """The golden set without the customers a `forget` erased (by customer id or identifiers) and
    without source rows of theirs (by legacy key): every path into the store checks this, also a
    load of outputs written before the person was forgotten. Returns how many customers went."""
    if not len(suppressions) or not len(golden):
        return golden, xref, lineage, 0
    by_kind = suppressions.groupby("kind")["value_hash"].apply(set).to_dict()
    gone = suppressed_mask(golden, suppressions)
    if by_kind.get("customer_id"):
        ids = golden["customer_id"].astype(str)
        gone |= _hashes("customer_id", ids).isin(by_kind["customer_id"]).to_numpy(dtype=bool)
    erased = set(golden.loc[gone, "customer_id"].astype(str))
    if xref is not None and len(xref):
        rows_gone = xref["customer_id"].astype(str).isin(erased).to_numpy(dtype=bool, copy=True)
        rows_gone |= suppressed_mask(xref[["source", "source_key"]], suppressions)
        erased |= set(xref.loc[rows_gone, "customer_id"].astype(str))
        xref = xref.loc[~xref["customer_id"].astype(str).isin(erased)]
    golden = golden.loc[~golden["customer_id"].astype(str).isin(erased)]
    if lineage is not None and len(lineage):
        lineage = lineage.loc[~lineage["customer_id"].astype(str).isin(erased)]
    return golden, xref, lineage, len(erased)
