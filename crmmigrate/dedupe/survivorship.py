"""Survivorship: which member's value each golden field takes, and where it came from (lineage).

Each field (or group of dependent fields: a name, an address) has an ordered chain of rules from
the settings; rows are sorted by the chain and the first wins, with a deterministic final
tie-break on (source, source_row). Dependent fields are taken from the same winning row, so a
city never ends up beside another member's street.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema
from ..errors import ConfigError
from .prepare import custom_columns, text_column
from .settings import SurvivorshipSettings

#: Fields chosen together, from one winning row; the first field is the group's anchor.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("last_name", "first_name", "full_name"),
    ("address_line1", "address_line2", "city", "postal_code", "region", "country"),
)
#: Chains for record metadata, unless the settings name the field.
SPECIAL_CHAINS = {"created_at": ["earliest"], "updated_at": ["most_recent"]}
RULES = (
    "valid_only",
    "most_recent",
    "most_complete",
    "most_frequent",
    "longest",
    "source_priority",
    "earliest",
)
STATUS_RANK = {"valid": 0, "fixed": 0, "inferred": 1}


def check_rules(settings: SurvivorshipSettings) -> None:
    chains = [settings.default, *settings.fields.values()]
    unknown = sorted({r for chain in chains for r in chain if r not in RULES})
    if unknown:
        raise ConfigError(
            f"unknown survivorship rule(s): {', '.join(unknown)}", hint="rules: " + ", ".join(RULES)
        )


@dataclass(frozen=True)
class Survivors:
    golden: pd.DataFrame  # one row per cluster, ordered like `clusters`
    lineage: pd.DataFrame  # cluster, field, row


def _chain(settings: SurvivorshipSettings, group: tuple[str, ...]) -> list[str]:
    for name in group:
        if name in settings.fields:
            return list(settings.fields[name])
    return list(SPECIAL_CHAINS.get(group[0], settings.default))


def _sort_keys(
    clean: pd.DataFrame,
    frame: pd.DataFrame,
    group: tuple[str, ...],
    chain: list[str],
    settings: SurvivorshipSettings,
    completeness: np.ndarray,
) -> list[tuple[str, bool]]:
    anchor = group[0]
    rows = frame["row"].to_numpy()
    keys: list[tuple[str, bool]] = []
    values = text_column(clean, anchor).to_numpy(dtype=object)[rows]
    frame["_anchor_missing"] = pd.isna(values).astype(int)
    keys.append(("_anchor_missing", True))
    for k, rule in enumerate(chain):
        name = f"_k{k}"
        if rule == "valid_only":
            status = text_column(clean, schema.status_column(anchor)).to_numpy(dtype=object)[rows]
            frame[name] = [STATUS_RANK.get(s, 2) if isinstance(s, str) else 0 for s in status]
            keys.append((name, True))
        elif rule in ("most_recent", "earliest"):
            column = "updated_at" if rule == "most_recent" else "created_at"
            stamp = text_column(clean, column).to_numpy(dtype=object)[rows]
            frame[name] = (
                pd.Series(stamp, dtype=object).fillna("" if rule == "most_recent" else "~").to_numpy()
            )
            keys.append((name, rule == "earliest"))
        elif rule == "most_complete":
            group_fill = sum(text_column(clean, f).notna().to_numpy()[rows].astype(int) for f in group)
            frame[name] = group_fill * 1000 + completeness[rows]
            keys.append((name, False))
        elif rule == "most_frequent":
            value = pd.Series(values, dtype=object).fillna("\0")
            frame[name] = (
                frame.assign(_v=value.to_numpy()).groupby(["cluster", "_v"])["row"].transform("size")
            )
            keys.append((name, False))
        elif rule == "longest":
            frame[name] = pd.Series(values, dtype=object).map(
                lambda v: len(str(v)) if isinstance(v, str) else 0
            )
            keys.append((name, False))
        elif rule == "source_priority":
            rank = {s: r for r, s in enumerate(settings.source_priority)}
            sources = text_column(clean, "source").to_numpy(dtype=object)[rows]
            frame[name] = [rank.get(s, len(rank)) for s in sources]
            keys.append((name, True))
    return keys


def _winners(
    clean: pd.DataFrame,
    clusters: np.ndarray,
    group: tuple[str, ...],
    settings: SurvivorshipSettings,
    completeness: np.ndarray,
    source: np.ndarray,
    source_row: np.ndarray,
) -> pd.Series:
    """Winning row per cluster for a group (clusters where the group is all missing are absent)."""
    filled = np.zeros(len(clean), dtype=bool)
    for f in group:
        filled |= text_column(clean, f).notna().to_numpy()
    rows = np.flatnonzero(filled)
    frame = pd.DataFrame({"cluster": clusters[rows], "row": rows})
    keys = _sort_keys(clean, frame, group, _chain(settings, group), settings, completeness)
    frame["_source"], frame["_source_row"] = source[rows], source_row[rows]
    columns = [k for k, _ in keys] + ["_source", "_source_row", "row"]
    ascending = [a for _, a in keys] + [True, True, True]
    frame = frame.sort_values(columns, ascending=ascending, kind="mergesort")
    first = frame.drop_duplicates("cluster")
    return pd.Series(first["row"].to_numpy(), index=first["cluster"].to_numpy())


def survive(clean: pd.DataFrame, clusters: np.ndarray, settings: SurvivorshipSettings) -> Survivors:
    """Golden values per cluster (index = cluster number, sorted) and their lineage."""
    check_rules(settings)
    clean = clean.reset_index(drop=True)
    fields = [f for f in schema.FIELDS] + custom_columns(clean)
    completeness = sum(text_column(clean, f).notna().to_numpy().astype(int) for f in schema.FIELDS)
    source = text_column(clean, "source").fillna("").to_numpy(dtype=object)
    source_row = pd.to_numeric(clean.get("source_row", pd.Series(range(len(clean)))), errors="coerce")
    source_row = source_row.fillna(0).to_numpy()
    cluster_index = np.unique(clusters)
    golden = pd.DataFrame(index=cluster_index)
    lineage = []
    grouped = {f for g in GROUPS for f in g}
    groups = list(GROUPS) + [(f,) for f in fields if f not in grouped]
    for group in groups:
        winners = _winners(clean, clusters, group, settings, completeness, source, source_row)
        for field in group:
            values = text_column(clean, field) if field in clean.columns else None
            column = pd.Series(None, index=cluster_index, dtype=object)
            if values is not None and len(winners):
                picked = values.to_numpy(dtype=object)[winners.to_numpy()]
                column.loc[winners.index] = picked
                has = ~pd.isna(picked)
                lineage.append(
                    pd.DataFrame(
                        {"cluster": winners.index[has], "field": field, "row": winners.to_numpy()[has]}
                    )
                )
            golden[field] = column
    lineage_frame = (
        pd.concat(lineage, ignore_index=True)
        if lineage
        else pd.DataFrame({"cluster": [], "field": [], "row": []})
    )
    return Survivors(golden=golden, lineage=lineage_frame)
