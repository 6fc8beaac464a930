"""The store commands as library calls: each opens the store, does one thing, and closes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULT_CONFIG, StoreConfig, load_config
from ..tables import read_table
from .core import LoadResult, open_store
from .plan import LoadPlan


def choose_store(
    store: str | None,
    config_path: str | None = None,
    *,
    schema: str | None = None,
    table_prefix: str | None = None,
) -> StoreConfig:
    """Where the store is: `--store`, else the config's store (which falls back to
    $CRMMIGRATE_STORE_URL), else SQLite; the config's schema and table prefix unless `--schema`
    or `--table-prefix` say otherwise."""
    path = Path(config_path or DEFAULT_CONFIG)
    configured = load_config(path).store_config() if config_path or path.exists() else StoreConfig()
    return configured.overridden(store, schema, table_prefix).resolved()


def load_files(
    golden_path: str | Path,
    url: str | StoreConfig,
    *,
    xref_path: str | Path | None = None,
    lineage_path: str | Path | None = None,
    dry_run: bool = False,
    run_id: str | None = None,
) -> LoadResult:
    """Load a golden file (and its cross-reference and lineage files) as one run."""
    from ..pipeline import new_run_id

    golden = read_table(golden_path)
    xref = read_table(xref_path) if xref_path else None
    lineage = read_table(lineage_path) if lineage_path else None
    with open_store(url) as store, store.lock():
        return store.load(golden, xref, lineage, run_id=run_id or new_run_id(), dry_run=dry_run)


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    started: str
    finished: str
    status: str
    customers: dict[str, int]
    forced: bool
    detail: str


def _text(value: object) -> str:
    """A ledger value as text: "" for NULL (None, or NaN as pandas may give it)."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def list_runs(url: str | StoreConfig) -> tuple[RunInfo, ...]:
    with open_store(url) as store:
        frame = store.runs()
    return tuple(
        RunInfo(
            run_id=_text(r["run_id"]),
            started=_text(r["started"])[:19],
            finished=_text(r["finished"])[:19],
            status=_text(r["status"]),
            customers=json.loads(r["counts"]).get("customers", {}) if _text(r["counts"]) else {},
            forced=bool(r["forced"]) if _text(r["forced"]) else False,
            detail=_text(r["detail"]),
        )
        for r in frame.to_dict("records")
    )


def rollback(url: str | StoreConfig, run_id: str, *, dry_run: bool = False) -> LoadPlan:
    with open_store(url) as store:
        return store.rollback(run_id, dry_run=dry_run)
