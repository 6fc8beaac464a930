"""The CRM store: SQLite, PostgreSQL or MariaDB/MySQL behind one interface.

    with open_store("sqlite:///crm.db") as store, store.lock():
        result = store.load(golden, xref, lineage, run_id=run_id, config_hash=h)

Loads are idempotent upserts in one transaction, recorded in a run ledger with before-images.
"""

from __future__ import annotations

from .core import LoadResult, Store, open_store
from .engine import mask_url
from .frames import golden_checksum
from .plan import LoadPlan, TableCounts
from .privacy import ForgetResult, suppressed_mask, suppressed_rejects

__all__ = [
    "ForgetResult",
    "LoadPlan",
    "LoadResult",
    "Store",
    "TableCounts",
    "golden_checksum",
    "mask_url",
    "open_store",
    "suppressed_mask",
    "suppressed_rejects",
]
