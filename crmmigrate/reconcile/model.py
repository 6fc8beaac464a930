"""The reconciliation: a frozen account of where every source row went, built once and rendered
by separate renderers (JSON, HTML, Markdown).

`balanced` is true only when every equality holds: per source `read = rejected + staged`; all
staged rows are golden members; the cross-reference and golden set agree; and, after a load, the
store holds the golden set exactly (same checksum) and at least as many customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from ..extract.files import FileCounts

SIZE_BUCKETS = ("1", "2", "3", "4", "5", "6-10", "11+")
SCORE_BINS = 10


@dataclass(frozen=True)
class SourceCounts:
    """Rows of one source: read = rejected + staged."""

    read: int
    rejected: int
    staged: int
    rejected_by_reason: Mapping[str, int] = field(default_factory=dict)
    unmapped_columns: tuple[str, ...] = ()
    files: tuple[FileCounts, ...] = ()  # a glob or directory source: the same counts per file

    def as_dict(self) -> dict[str, Any]:
        out = {
            "read": int(self.read),
            "rejected": int(self.rejected),
            "staged": int(self.staged),
            "rejected_by_reason": {str(k): int(v) for k, v in sorted(self.rejected_by_reason.items())},
            "unmapped_columns": list(self.unmapped_columns),
        }
        if self.files:
            out["files"] = [f.as_dict() for f in self.files]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceCounts:
        return cls(
            read=int(data.get("read", 0)),
            rejected=int(data.get("rejected", 0)),
            staged=int(data.get("staged", 0)),
            rejected_by_reason={str(k): int(v) for k, v in data.get("rejected_by_reason", {}).items()},
            unmapped_columns=tuple(data.get("unmapped_columns", ())),
            files=tuple(FileCounts.from_dict(f) for f in data.get("files", ())),
        )


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Reconciliation:
    run_id: str
    sources: Mapping[str, SourceCounts]
    golden_records: int
    golden_members: int
    merged_clusters: int
    cluster_sizes: Mapping[str, int]
    golden_checksum: str
    store_customers: int | None
    store_checksum: str | None
    load: Mapping[str, Any] | None
    fill_rates: Mapping[str, Mapping[str, float | None]]
    standardisation: Mapping[str, Mapping[str, int]]
    match_scores: tuple[tuple[float, float, int], ...]
    checks: tuple[Check, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def merge_rate(self) -> float:
        """Share of staged rows merged into another record (0 when nothing was merged)."""
        if not self.golden_members:
            return 0.0
        return 1 - self.golden_records / self.golden_members

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "balanced": self.balanced,
            "sources": {name: counts.as_dict() for name, counts in self.sources.items()},
            "golden": {
                "records": self.golden_records,
                "members": self.golden_members,
                "merged_clusters": self.merged_clusters,
                "merge_rate": round(self.merge_rate, 6),
                "cluster_sizes": dict(self.cluster_sizes),
                "checksum": self.golden_checksum,
            },
            "store": {"customers": self.store_customers, "checksum": self.store_checksum, "load": self.load},
            "fill_rates": {f: dict(r) for f, r in self.fill_rates.items()},
            "standardisation": {f: dict(c) for f, c in self.standardisation.items()},
            "match_scores": [{"from": lo, "to": hi, "count": n} for lo, hi, n in self.match_scores],
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reconciliation:
        """Rebuild a report from its JSON (e.g. to print or re-render `out/reconciliation.json`)."""
        golden = data.get("golden", {})
        store = data.get("store", {})
        return cls(
            run_id=str(data.get("run_id", "")),
            sources={name: SourceCounts.from_dict(s) for name, s in data.get("sources", {}).items()},
            golden_records=int(golden.get("records", 0)),
            golden_members=int(golden.get("members", 0)),
            merged_clusters=int(golden.get("merged_clusters", 0)),
            cluster_sizes=dict(golden.get("cluster_sizes", {})),
            golden_checksum=str(golden.get("checksum", "")),
            store_customers=store.get("customers"),
            store_checksum=store.get("checksum"),
            load=store.get("load"),
            fill_rates=dict(data.get("fill_rates", {})),
            standardisation=dict(data.get("standardisation", {})),
            match_scores=tuple((m["from"], m["to"], m["count"]) for m in data.get("match_scores", ())),
            checks=tuple(
                Check(c["name"], bool(c["passed"]), c.get("detail", "")) for c in data.get("checks", ())
            ),
            extra=dict(data.get("extra", {})),
        )


# -- building the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Members:
    """How the cross-reference and the golden set meet: this run's members per golden record
    (`sizes`), distinct cross-reference ids without a golden record (`orphans`), and distinct
    golden ids without a cross-reference row (`empty`)."""

    sizes: pd.Series
    orphans: int
    empty: int


def members(golden: pd.DataFrame, xref: pd.DataFrame) -> Members:
    """`Members` of a run, counted in Arrow when both id columns hold text (counting a million
    Python strings in dicts and sets costs seconds), else in pandas and Python sets."""
    ids = text_ids(golden["customer_id"]) if "customer_id" in golden.columns else None
    linked = text_ids(xref["customer_id"]) if "customer_id" in xref.columns else None
    if ids is None or linked is None:
        return _members_of_objects(golden, xref)
    known = pc.drop_null(pc.unique(ids))
    where = _positions(linked, known)
    per_id = np.bincount(where, minlength=len(known) + 1)
    orphaned = pc.filter(linked, pa.array(where == len(known)))  # missing ids are not orphans
    orphans = pc.count_distinct(orphaned, mode="only_valid").as_py()
    empty = int((per_id[: len(known)] == 0).sum())
    per_id[len(known)] = 0  # the bin of members whose id is missing or not golden
    sizes = pd.Series(per_id[_positions(ids, known)], index=golden.index)
    return Members(sizes, int(orphans), empty)


def _positions(values: pa.Array, known: pa.Array) -> np.ndarray:
    """Each value's position in `known`; len(known) for a value not in it."""
    found = pc.fill_null(pc.index_in(values, value_set=known), len(known))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def _members_of_objects(golden: pd.DataFrame, xref: pd.DataFrame) -> Members:
    per_id = xref["customer_id"].astype(object).value_counts() if len(xref) else pd.Series(dtype=int)
    sizes = golden["customer_id"].astype(object).map(per_id).fillna(0).astype(int)
    golden_ids, xref_ids = _id_set(golden), _id_set(xref)
    return Members(sizes, len(xref_ids - golden_ids), len(golden_ids - xref_ids))


def _id_set(frame: pd.DataFrame) -> set[str]:
    if "customer_id" not in frame.columns:
        return set()
    return set(frame["customer_id"].dropna().astype(str))


def cluster_sizes(golden: pd.DataFrame, xref: pd.DataFrame) -> pd.Series:
    """This run's members per golden record, from the cross-reference. (`member_count` counts every
    member in the store: in an incremental run, also those of earlier runs.)"""
    return members(golden, xref).sizes


def text_ids(ids: pd.Series) -> pa.Array | None:
    """Ids as Arrow text (missing as null) when each is text or missing, else None."""
    if isinstance(ids.dtype, pd.StringDtype):
        return pa.array(ids.array, type=pa.string(), from_pandas=True)
    if ids.dtype != object or pd.api.types.infer_dtype(ids, skipna=True) not in ("string", "empty"):
        return None
    return pa.array(ids.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def size_distribution(sizes: pd.Series) -> dict[str, int]:
    buckets = pd.cut(sizes, bins=[0, 1, 2, 3, 4, 5, 10, np.inf], labels=SIZE_BUCKETS, right=True)
    counts = buckets.value_counts()
    return {label: int(counts.get(label, 0)) for label in SIZE_BUCKETS}


@dataclass(frozen=True)
class CleanFacts:
    """What the report needs of the clean rows, so a run can let go of them (a million rows of
    raw, standard and status columns) before it loads: each field's share filled as extracted
    (`raw`) and as standardised (`clean`), and each field's standardisation outcomes."""

    filled: dict[str, dict[str, float | None]]
    outcomes: dict[str, dict[str, int]]


@dataclass(frozen=True)
class CleanCounts:
    """`CleanFacts` as counts, which add up: an engine counts each part of the clean rows where
    it is (`clean_counts`) and sums the parts (`sum(parts, CleanCounts())`)."""

    rows: int = 0
    filled: Mapping[str, int] = field(default_factory=dict)  # column -> values present and not blank
    outcomes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # field -> status -> rows

    def __add__(self, other: CleanCounts) -> CleanCounts:
        outcomes = {f: dict(c) for f, c in self.outcomes.items()}
        for f, counts in other.outcomes.items():
            mine = outcomes.setdefault(f, {})
            for status, n in counts.items():
                mine[status] = mine.get(status, 0) + n
        filled = dict(self.filled)
        for column, n in other.filled.items():
            filled[column] = filled.get(column, 0) + n
        return CleanCounts(self.rows + other.rows, filled, outcomes)


def clean_counts(clean: pd.DataFrame) -> CleanCounts:
    columns = [c for f in schema.FIELDS for c in (schema.raw_column(f), f) if c in clean.columns]
    return CleanCounts(
        len(clean), {c: filled_count(clean[c]) for c in columns}, standardisation_outcomes(clean)
    )


def clean_facts(clean: pd.DataFrame | CleanCounts | None) -> CleanFacts:
    """What the report needs of the clean rows (None for none), or of the counts of their parts."""
    counts = clean_counts(clean) if isinstance(clean, pd.DataFrame) else clean or CleanCounts()
    filled = {
        f: {"raw": _rate(counts, schema.raw_column(f)), "clean": _rate(counts, f)} for f in schema.FIELDS
    }
    outcomes = {f: {s: c[s] for s in sorted(c)} for f, c in counts.outcomes.items()}
    return CleanFacts(filled, outcomes if clean is not None else {})


def _rate(counts: CleanCounts, column: str) -> float | None:
    if column not in counts.filled or not counts.rows:
        return None
    return round(counts.filled[column] / counts.rows, 6)


def fill_rates(
    clean: pd.DataFrame | CleanFacts | None, golden: pd.DataFrame
) -> dict[str, dict[str, float | None]]:
    """Share of filled values per field: raw (as extracted), clean (standardised), golden."""
    facts = clean if isinstance(clean, CleanFacts) else clean_facts(clean)
    golden_counts = clean_counts(golden)
    rates = {}
    for f in schema.FIELDS:
        row = {**facts.filled.get(f, {"raw": None, "clean": None}), "golden": _rate(golden_counts, f)}
        if any(v is not None for v in row.values()):
            rates[f] = row
    return rates


#: What `str.strip()` removes: every character for which `str.isspace()` is true.
_BLANK = "^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"


def filled_count(values: pd.Series) -> int:
    """Values that are present and not blank (as `str(value).strip() != ""`), counted in Arrow:
    a Python loop over a million values per field costs seconds."""
    try:
        text = text_ids(values)
        if text is None:
            text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # not all text: numbers, dates
        return int(values[values.notna()].astype(str).str.strip().ne("").sum())
    blank = pc.match_substring_regex(text, _BLANK)
    return int(pc.sum(pc.invert(blank)).as_py() or 0)  # nulls are neither blank nor counted


def standardisation_outcomes(clean: pd.DataFrame | None) -> dict[str, dict[str, int]]:
    if clean is None:
        return {}
    outcomes = {}
    for column in clean.columns:
        if str(column).endswith("_status"):
            counts = clean[column].astype(object).fillna("(none)").value_counts()
            outcomes[str(column)[: -len("_status")]] = {
                str(k): int(v) for k, v in counts.sort_index().items()
            }
    return outcomes


def score_histogram(xref: pd.DataFrame) -> tuple[tuple[float, float, int], ...]:
    if "match_score" not in xref.columns:
        return ()
    scores = pd.to_numeric(xref["match_score"], errors="coerce").dropna().clip(0, 1)
    if not len(scores):
        return ()
    counts, edges = np.histogram(scores, bins=SCORE_BINS, range=(0.0, 1.0))
    return tuple(
        (round(float(edges[i]), 2), round(float(edges[i + 1]), 2), int(counts[i])) for i in range(SCORE_BINS)
    )
