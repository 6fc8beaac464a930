"""Erasing a person (the right to be forgotten) and keeping them out of later runs.

`forget` deletes the person's golden record, cross-reference rows, lineage and every before-image
that holds their data or their link to a source row, in one transaction, and adds digests of
their identifiers (email, the legacy systems' keys, the customer id) to `suppressions`.
Extraction rejects matching rows with reason `suppressed` by calling `suppressed_mask`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..errors import StoreError
from . import tables
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


def suppressed_mask(staged: pd.DataFrame, suppressions: pd.DataFrame) -> np.ndarray:
    """True for staged rows whose email or (source, source_key) is on the suppression list."""
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
    return mask


def _frame(conn: sa.Connection, query: sa.Select) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()), dtype=object)


def forget(conn: sa.Connection, *, email: str | None = None, customer_id: str | None = None) -> ForgetResult:
    """Erase one person (by email or customer id) inside the caller's transaction."""
    if not email and not customer_id:
        raise StoreError("say whom to forget", hint="give --email or --customer-id")
    c = tables.customers
    condition = (
        c.c.customer_id == customer_id if customer_id else sa.func.lower(c.c.email) == email.strip().lower()
    )
    found = _frame(conn, sa.select(c.c.customer_id, c.c.email).where(condition))
    ids = found["customer_id"].tolist()
    x = tables.customer_sources
    rows = (
        _frame(conn, sa.select(x.c.source, x.c.source_id, x.c.source_key).where(x.c.customer_id.in_(ids)))
        if ids
        else (pd.DataFrame(columns=["source", "source_id", "source_key"], dtype=object))
    )
    keys = pd.DataFrame({"customer_id": ids}, dtype=object)
    for table in (tables.customers, tables.golden_lineage):
        delete_rows(conn, table, ["customer_id"], keys)
    delete_rows(conn, tables.customer_history, ["customer_id"], keys)
    delete_rows(conn, tables.customer_sources, ["source", "source_id"], rows)
    delete_rows(conn, tables.source_history, ["source", "source_id"], rows)
    delete_rows(conn, tables.source_history, ["run_id", "source", "source_id"], _former_links(conn, ids))
    digests = _suppressions(email, found, rows, ids)
    existing = set(_frame(conn, sa.select(tables.suppressions.c.value_hash))["value_hash"])
    new = [(kind, h) for kind, h in digests if h not in existing]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if new:
        conn.execute(
            tables.suppressions.insert(), [{"kind": k, "value_hash": h, "added": now} for k, h in new]
        )
    return ForgetResult(customers=len(ids), source_rows=len(rows), suppressed=len(new))


def _former_links(conn: sa.Connection, ids: list[str]) -> pd.DataFrame:
    """Keys of before-images that link a source row to one of `ids` although the row is no longer
    theirs: a later run moved it to another customer (or, before schema version 2, overwrote it
    with another row). They hold the person's link, so they go too; the row's key is not
    suppressed, as it belongs to someone else now. LIKE finds candidates, the JSON decides."""
    h = tables.source_history
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


def _suppressions(
    email: str | None, found: pd.DataFrame, rows: pd.DataFrame, ids: list[str]
) -> set[tuple[str, str]]:
    emails = {e for e in [email, *found["email"].tolist()] if e}
    digests = {("email", suppression_hash("email", e)) for e in emails}
    digests |= {("customer_id", suppression_hash("customer_id", i)) for i in ids}
    keyed = rows[rows["source_key"].notna()]
    digests |= {
        ("source_key", suppression_hash("source_key", f"{s}|{k}"))
        for s, k in zip(keyed["source"], keyed["source_key"], strict=True)
    }
    return digests
