"""Applying a mapping to a chunk of raw records: canonical columns, lineage, and the rows that
carry no customer at all (`empty_row`, `no_identity`) as rejects. Vectorised per column; work
per distinct value (value maps, dates, name splits) is done once per value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..mappings.spec import ColumnRule, MappingSpec
from ..schema import FIELDS, REJECT_COLUMNS, STAGED_COLUMNS, Reason
from .chunk import RawChunk
from .names import split_name
from .text import as_text, empty_text, text_dtype

#: A row needs one of these to be a customer: something that tells one person from another. A birth
#: date or a street address with a city is enough to match a row to others (a web form that asked
#: only for them); a city or a country alone is not.
IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "company",
    "email",
    "phone",
    "date_of_birth",
    "address_line1",
)
#: A value of only white space, control and invisible characters (zero-width, bidi) is blank.
BLANK = (  # escapes both Python's re and pyarrow's RE2 read; other characters written as they are
    "[\\s\\x00-\\x1f\\x7f-\\x9f" + "\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff" + "]*"
)  # U+1680 spelled out: RE2's \s is ASCII only, Python's is every str.isspace() character
TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c", "%T", "%z", "%Z")


@dataclass(frozen=True)
class MappingPlan:
    """A mapping checked against a file's columns: what is read, what is custom, what is dropped."""

    spec: MappingSpec
    columns: tuple[str, ...]
    custom: tuple[str, ...] = field(init=False)
    unmapped: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        custom = [t for t in self.spec.columns if t not in STAGED_COLUMNS]
        custom += [k for k in self.spec.keep if k not in custom and k not in STAGED_COLUMNS]
        used = set(used_columns(self.spec))
        object.__setattr__(self, "custom", tuple(custom))
        object.__setattr__(self, "unmapped", tuple(c for c in self.columns if c not in used))


def used_columns(spec: MappingSpec) -> list[str]:
    """Every source column the mapping reads (key, rules, keep), in order, once."""
    names = [spec.key] if spec.key else []
    for rule in spec.columns.values():
        names += rule.source_columns()
    names += spec.keep
    return list(dict.fromkeys(names))


def missing_columns(spec: MappingSpec, columns: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """(target, column) for every required source column the file lacks."""
    present = set(columns)
    out = []
    if spec.key and spec.key not in present:
        out.append(("source_key", spec.key))
    for target, rule in spec.columns.items():
        if rule.optional:
            continue
        out += [(target, c) for c in rule.source_columns() if c not in present]
    out += [("keep", k) for k in spec.keep if k not in present]
    return out


def spec_problems(spec: MappingSpec) -> list[str]:
    """Mistakes in a mapping that no file can fix."""
    problems = []
    if not any(t in spec.columns for t in IDENTITY_FIELDS):
        problems.append(f"it fills none of {', '.join(IDENTITY_FIELDS)}, so every row would be rejected")
    lineage = [t for t in spec.columns if t in ("source", "source_row", "source_key")]
    if lineage:
        problems.append(f"{', '.join(lineage)} cannot be mapped (use `key:` for the legacy id)")
    clash = [k for k in spec.keep if k in STAGED_COLUMNS]
    if clash:
        problems.append(
            f"keep: {', '.join(clash)} clash with canonical column names; map them under `columns:`"
        )
    return problems


def _blank(s: pd.Series) -> np.ndarray:
    """Missing or blank values; on Arrow-backed text in RE2, as pandas may test each value in Python."""
    arrow = None
    if s.dtype != object:
        try:
            arrow = pa.array(s.array)
        except (TypeError, ValueError, pa.ArrowException):
            arrow = None
    if arrow is not None and (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        match = pc.match_substring_regex(arrow, f"^{BLANK}$")
        return np.asarray(match.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)
    return (s.isna() | s.str.fullmatch(BLANK).fillna(True).astype(bool)).to_numpy()


class _Columns:
    """Source columns of one chunk with blank values made missing, computed once each."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.cache: dict[str, pd.Series] = {}

    def get(self, name: str) -> pd.Series:
        if name not in self.cache:
            if name not in self.frame.columns:
                self.cache[name] = empty_text(self.frame.index)
            else:
                s = as_text(self.frame[name])
                blank = _blank(s)
                self.cache[name] = s.where(~blank) if blank.any() else s
        return self.cache[name]


def _join(parts: list[pd.Series], sep: str) -> pd.Series:
    out = parts[0]
    for part in parts[1:]:
        both = out.notna() & part.notna()
        joined = out.where(~both, out.str.cat(part, sep=sep))
        out = as_text(joined.where(out.notna(), part))
    return out


def _by_value(series: pd.Series, func: Any) -> pd.Series:
    """`func` applied once per distinct value; None means missing."""
    uniques = series.dropna().unique()
    if len(uniques) == 0:
        return series
    lookup = {v: func(v) for v in uniques}
    return as_text(series.map(lookup))


def _value_map(series: pd.Series, values: dict[str, str | None]) -> pd.Series:
    folded = {str(k).strip().casefold(): v for k, v in values.items()}
    missing = object()

    def lookup(v: str) -> Any:
        if v in values:
            return values[v]
        return folded.get(v.strip().casefold(), missing)

    uniques = series.dropna().unique()
    table = {v: r for v in uniques if (r := lookup(v)) is not missing}
    if not table:
        return series
    hit = series.isin(list(table))
    return as_text(series.where(~hit, series.map(table)))


def _dates(series: pd.Series, fmt: str) -> pd.Series:
    """Values in `fmt` as ISO dates (or datetimes when `fmt` has a time); others stay as read."""
    with_time = any(d in fmt for d in TIME_DIRECTIVES)

    def parse(v: str) -> str:
        try:
            value = dt.datetime.strptime(v.strip(), fmt)
        except ValueError:
            return v
        return value.isoformat() if with_time else value.date().isoformat()

    uniques = series.dropna().unique()
    if len(uniques) > 2000 and "%z" not in fmt and "%Z" not in fmt:
        parsed = pd.to_datetime(pd.Series(uniques).str.strip(), format=fmt, errors="coerce")
        text = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S" if with_time else "%Y-%m-%d")
        lookup = {u: (t if isinstance(t, str) else u) for u, t in zip(uniques, text, strict=True)}
        return as_text(series.map(lookup))
    return _by_value(series, parse)


def rule_values(rule: ColumnRule, cols: _Columns, index: pd.Index) -> pd.Series:
    if rule.const is not None:
        return pd.Series(rule.const, index=index, dtype=text_dtype())
    if rule.join is not None:
        values = _join([cols.get(c) for c in rule.join], rule.sep)
    else:
        values = cols.get(rule.column)
    if rule.values:
        values = _value_map(values, rule.values)
    if rule.split:
        part = 0 if rule.split == "first" else 1
        values = _by_value(values, lambda v: split_name(v)[part])
    if rule.format:
        values = _dates(values, rule.format)
    return values


def _missing_all(series_list: list[pd.Series], index: pd.Index) -> np.ndarray:
    mask = np.ones(len(index), dtype=bool)
    for s in series_list:
        mask &= s.isna().to_numpy()
    return mask


def _reject_frame(source: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    if not records:
        return pd.DataFrame(columns=list(REJECT_COLUMNS))
    frame = pd.DataFrame.from_records(records)
    frame.insert(0, "source", source)
    return frame


def _rename_raw(columns: pd.Index) -> dict[str, str]:
    return {c: f"{c} (raw)" for c in columns if c in REJECT_COLUMNS}


def reader_rejects(source: str, chunk: RawChunk) -> pd.DataFrame:
    frame = _reject_frame(source, chunk.rejects)
    head = list(REJECT_COLUMNS)
    raw = [c for c in frame.columns if c not in head]
    frame = frame[head + raw]
    return frame


def apply_mapping(chunk: RawChunk, plan: MappingPlan, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(staged rows, rejected rows) of one chunk; every record of the chunk is in one of them."""
    raw = chunk.frame.reset_index(drop=True)
    index = raw.index
    cols = _Columns(raw)
    spec = plan.spec
    out: dict[str, pd.Series] = {
        "source": pd.Series(source, index=index, dtype=text_dtype()),
        "source_row": pd.Series(chunk.rows, index=index, dtype="int64"),
        "source_key": cols.get(spec.key) if spec.key else empty_text(index),
    }
    filled: list[pd.Series] = [out["source_key"]] if spec.key else []
    for name in (*FIELDS, *plan.custom):
        rule = spec.columns.get(name)
        if rule is not None:
            out[name] = rule_values(rule, cols, index)
            if rule.const is None:
                filled.append(out[name])
        elif name in spec.keep:
            out[name] = cols.get(name)
            filled.append(out[name])
        else:
            out[name] = empty_text(index)
    staged = pd.DataFrame(out, index=index)
    empty = _missing_all(filled, index)
    no_identity = ~empty & _missing_all([out[f] for f in IDENTITY_FIELDS], index)
    rejected = empty | no_identity
    rejects = [reader_rejects(source, chunk)]
    if rejected.any():
        reasons = np.where(empty[rejected], Reason.EMPTY_ROW.value, Reason.NO_IDENTITY.value)
        details = np.where(
            empty[rejected],
            "no value in any mapped column",
            "no name, company, email, phone, birth date or street",
        )
        bad = raw.loc[rejected].rename(columns=_rename_raw(raw.columns))
        head = pd.DataFrame(
            {"source": source, "source_row": chunk.rows[rejected], "reason": reasons, "detail": details},
            index=bad.index,
        )
        rejects.append(pd.concat([head, bad], axis=1))
        staged = staged.loc[~rejected].reset_index(drop=True)
    rejects = [r for r in rejects if len(r)]
    reject_frame = pd.concat(rejects, ignore_index=True) if rejects else _reject_frame(source, [])
    if len(rejects) > 1:
        reject_frame = reject_frame.sort_values("source_row", kind="stable", ignore_index=True)
    return staged, reject_frame
