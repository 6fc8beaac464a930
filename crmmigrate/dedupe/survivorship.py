"""Survivorship: which member's value each golden field takes, and where it came from (lineage).

Each field (or group of dependent fields: a name, an address) has an ordered chain of rules from
the settings; rows are sorted by the chain and the first wins, with a deterministic final
tie-break on (source, source_row). Dependent fields are taken from the same winning row, so a
city never ends up beside another member's street.

An address is chosen among the rows with the most usable one first (a street with a postal code
or a city, then a street alone, then a place alone), so the most recent complete address wins
over a newer row that gives only a town or only a street.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema
from .prepare import custom_columns, stripped_text
from .settings import SurvivorshipSettings

NAME = ("last_name", "first_name", "full_name")
ADDRESS = ("address_line1", "address_line2", "city", "postal_code", "region", "country")
#: Fields chosen together, from one winning row; the first field is the group's anchor.
GROUPS: tuple[tuple[str, ...], ...] = (NAME, ADDRESS)
#: Custom columns that are parts of an address too (besides any named `address_…`).
CUSTOM_ADDRESS_PARTS = frozenset({"street", "house_number", "street_number", "district", "county"})
#: Chains for record metadata, unless the settings name the field.
SPECIAL_CHAINS = {"created_at": ["earliest"], "updated_at": ["most_recent"]}
STATUS_RANK = {"valid": 0, "fixed": 0, "inferred": 1}


def is_address_part(column: str) -> bool:
    """A custom column that belongs to the address block (`address_line3`, `house_number`)."""
    return column.startswith("address_") or column in CUSTOM_ADDRESS_PARTS


@dataclass(frozen=True)
class Survivors:
    golden: pd.DataFrame  # one row per cluster, ordered like `clusters`
    lineage: pd.DataFrame  # cluster, field, row


def _chain(settings: SurvivorshipSettings, group: tuple[str, ...]) -> list[str]:
    for name in group:
        if name in settings.fields:
            return list(settings.fields[name])
    return list(SPECIAL_CHAINS.get(group[0], settings.default))


class _Columns:
    """The cleaned rows' columns as stripped text with blanks missing. Columns stay Arrow-backed
    where they are (pandas 3) and are stripped again when read rather than kept: at a million rows
    a copy of every column, or a Python string per value, costs gigabytes. Columns of Python
    strings (pandas 2) are kept once stripped: they share the strings, a pointer per row."""

    def __init__(self, clean: pd.DataFrame) -> None:
        self._clean = clean
        self._filled: dict[str, np.ndarray] = {}
        self._recency: np.ndarray | None = None
        self._text: dict[str, pd.Series] = {}  # Python-string columns, stripped once

    def __len__(self) -> int:
        return len(self._clean)

    def has(self, name: str) -> bool:
        return name in self._clean.columns

    def series(self, name: str) -> pd.Series:
        if name in self._text:
            return self._text[name]
        if name not in self._clean.columns:
            return pd.Series(None, index=range(len(self._clean)), dtype=object)
        column = self._clean[name]
        text = stripped_text(column).reset_index(drop=True)
        if column.dtype == object:  # the same strings, referenced again: a pointer per row
            self._text[name] = text
        return text

    def text(self, name: str, rows: np.ndarray) -> pd.Series:
        return self.series(name).take(rows).reset_index(drop=True)

    def filled(self, name: str) -> np.ndarray:
        if name not in self._filled:
            self._filled[name] = self.series(name).notna().to_numpy()
        return self._filled[name]

    def recency(self) -> np.ndarray:
        """Per row, an integer that grows with `updated_at`, or `created_at` where a row has no
        (readable) `updated_at`; 0 for a row with neither. Computed once for every rule that asks."""
        if self._recency is None:
            when = self._timestamps("updated_at")
            when = when.fillna(self._timestamps("created_at"))
            self._recency = when.rank(method="dense").fillna(0).to_numpy(dtype=np.int64)
        return self._recency

    def _timestamps(self, name: str) -> pd.Series:
        """ISO 8601 dates and times as UTC instants; anything else (not a date) is missing."""
        return pd.to_datetime(self.series(name), errors="coerce", utc=True, format="ISO8601")

    def pick(self, name: str, rows: np.ndarray) -> pd.Series:
        """Values at `rows`, missing where a row is -1."""
        series = self.series(name)
        if series.dtype == object:
            values = series.to_numpy(dtype=object)[np.maximum(rows, 0)]
            values[rows < 0] = None
            return pd.Series(values, dtype=object)
        return pd.Series(series.array.take(rows, allow_fill=True))


def _rank(values: pd.Series, missing: str) -> np.ndarray:
    """Integer ranks that sort like the text values (missing ones as `missing`)."""
    return pd.factorize(values.fillna(missing).astype(str), sort=True)[0]


def _per_distinct(values: pd.Series, func: Callable[[object], int]) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(u) for u in uniques] + [func(None)], dtype=np.int64)
    return mapped[codes]


def _sort_keys(
    columns: _Columns,
    clusters: np.ndarray,
    rows: np.ndarray,
    group: tuple[str, ...],
    chain: list[str],
    settings: SurvivorshipSettings,
    completeness: np.ndarray,
) -> list[np.ndarray]:
    """Sort keys for `rows`, most significant first, each ascending (descending rules negated)."""
    anchor = group[0]
    values = columns.text(anchor, rows)
    usable = _address_usability(columns, rows) if anchor == ADDRESS[0] else values.isna().to_numpy()
    keys: list[np.ndarray] = [usable.astype(np.int64)]
    priority = {s: r for r, s in enumerate(settings.source_priority)}
    for rule in chain:
        if rule == "valid_only":
            status = columns.text(schema.status_column(anchor), rows)
            keys.append(_per_distinct(status, lambda s: STATUS_RANK.get(s, 2) if isinstance(s, str) else 0))
        elif rule == "most_recent":
            keys.append(-columns.recency()[rows])
        elif rule == "earliest":
            keys.append(_rank(columns.text("created_at", rows), "~"))
        elif rule == "most_complete":
            group_fill = sum(columns.filled(f)[rows].astype(np.int64) for f in group)
            keys.append(-(group_fill * 1000 + completeness[rows]))
        elif rule == "most_frequent":
            value_codes = pd.factorize(values, use_na_sentinel=False)[0]
            counts = pd.DataFrame({"c": clusters[rows], "v": value_codes}).groupby(["c", "v"])["v"]
            keys.append(-counts.transform("size").to_numpy(dtype=np.int64))
        elif rule == "longest":
            keys.append(-_per_distinct(values, lambda v: len(str(v)) if isinstance(v, str) else 0))
        elif rule == "source_priority":
            sources = columns.text("source", rows)
            keys.append(_per_distinct(sources, lambda s: priority.get(s, len(priority))))
    return keys


def _address_usability(columns: _Columns, rows: np.ndarray) -> np.ndarray:
    """0: a street with a postal code or a city; 1: a street alone; 2: a place alone (postal code
    or city); 3: the rest (a country, a region, a second line)."""
    street = columns.filled("address_line1")[rows]
    place = columns.filled("postal_code")[rows] | columns.filled("city")[rows]
    return np.select([street & place, street, place], [0, 1, 2], default=3)


def _winners(
    columns: _Columns,
    clusters: np.ndarray,
    shared: np.ndarray,
    group: tuple[str, ...],
    settings: SurvivorshipSettings,
    completeness: np.ndarray,
    tie_break: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """(cluster, winning row) for a group; clusters where the group is all missing are absent.

    A row alone in its cluster wins there unopposed; only rows of shared clusters (`shared`) are
    sorted by the rule chain, then by (source, source_row, row) for a deterministic tie-break."""
    filled = np.zeros(len(columns), dtype=bool)
    for f in group:
        filled |= columns.filled(f)
    alone = np.flatnonzero(filled & ~shared)
    rows = np.flatnonzero(filled & shared)
    keys = _sort_keys(columns, clusters, rows, group, _chain(settings, group), settings, completeness)
    source_rank, source_row = tie_break
    # np.lexsort sorts by the last key first: the chain's first rule goes last.
    order = np.lexsort([rows, source_row[rows], source_rank[rows], *reversed(keys), clusters[rows]])
    ranked = rows[order]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = clusters[ranked][1:] != clusters[ranked][:-1]
    won = np.concatenate([alone, ranked[first]])
    return clusters[won], won


def survive(clean: pd.DataFrame, clusters: np.ndarray, settings: SurvivorshipSettings) -> Survivors:
    """Golden values per cluster (index = cluster number, sorted) and their lineage.

    The lineage's `field` is categorical: one row per cluster and filled field adds up at scale."""
    clean = clean.reset_index(drop=True)
    clusters = np.asarray(clusters)
    columns = _Columns(clean)
    custom = custom_columns(clean)
    fields = [*schema.FIELDS, *custom]
    completeness = sum(columns.filled(f).astype(np.int64) for f in schema.FIELDS)
    source_row = pd.to_numeric(clean.get("source_row", pd.Series(range(len(clean)))), errors="coerce")
    tie_break = (_rank(columns.series("source"), ""), source_row.fillna(0).to_numpy())
    cluster_index, position = np.unique(clusters, return_inverse=True)
    shared = np.bincount(position)[position] > 1
    golden: dict[str, object] = {}
    lineage_cluster, lineage_field, lineage_row = [], [], []
    address = (*ADDRESS, *(c for c in custom if is_address_part(c)))
    grouped = {*NAME, *address}
    groups = [NAME, address] + [(f,) for f in fields if f not in grouped]
    field_names = [f for g in groups for f in g]
    for group in groups:
        won_cluster, won_row = _winners(columns, position, shared, group, settings, completeness, tie_break)
        slots = np.full(len(cluster_index), -1, dtype=np.int64)
        slots[won_cluster] = won_row
        for field in group:
            picked = columns.pick(field, slots)
            golden[field] = picked.array if picked.dtype != object else picked.to_numpy(dtype=object)
            if columns.has(field) and len(won_row):
                has = picked.notna().to_numpy()
                lineage_cluster.append(cluster_index[has])
                lineage_row.append(slots[has])
                lineage_field.append(np.full(int(has.sum()), field_names.index(field), dtype=np.int32))
    lineage = pd.DataFrame(
        {
            "cluster": np.concatenate(lineage_cluster) if lineage_cluster else np.empty(0, np.int64),
            "field": pd.Categorical.from_codes(
                np.concatenate(lineage_field) if lineage_field else np.empty(0, np.int32),
                categories=field_names,
            ),
            "row": np.concatenate(lineage_row) if lineage_row else np.empty(0, np.int64),
        }
    )
    return Survivors(golden=pd.DataFrame(golden, index=cluster_index), lineage=lineage)
