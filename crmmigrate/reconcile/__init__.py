"""The reconciliation report: proof that every source row is where it should be.

rec = reconcile(run_id=..., sources=counts, golden=golden, xref=xref, load=result,
                store_customers=n, store_checksum=store.checksum(golden["customer_id"]))
Path("out/reconciliation.json").write_text(to_json(rec))
"""

from __future__ import annotations

from .build import reconcile
from .model import Check, Reconciliation, SourceCounts
from .render import load_json, to_html, to_json, to_markdown

__all__ = [
    "Check",
    "Reconciliation",
    "SourceCounts",
    "load_json",
    "reconcile",
    "to_html",
    "to_json",
    "to_markdown",
]
