"""Compiling rules to GX expectations (by class name and arguments; GX itself is imported later).

Where GX has the check, the rule becomes that expectation on the column. Where it does not
(a postal code judged by the row's country, an ISO country, a date older than N months, at least
one of several columns), a helper column is computed in pandas, vectorised, and a plain GX
expectation runs on it, so every rule is still executed and reported by GX in the same validation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from .patterns import E164_PATTERN, EMAIL_PATTERN, POSTAL_PATTERNS, iso_alpha2_codes, postal_regex
from .rules import Rule

MAIN = "data"
DEFAULT_RELATED = "xref"
HELPER_PREFIX = "__crmmigrate_rule_"


@dataclass
class Compiled:
    """One rule ready to run: the frame it runs on, the expectation, and helper columns it needs."""

    rule: Rule
    frame: str = MAIN
    expectation: str | None = None  # GX expectation class name; None when it cannot run
    kwargs: dict[str, Any] = field(default_factory=dict)
    helpers: dict[str, pd.Series] = field(default_factory=dict)
    value_columns: tuple[str, ...] = ()  # the columns whose values a failing row shows
    problem: str | None = None  # why the rule cannot run (a missing column): it fails with this


def _anchored(pattern: str) -> str:
    """GX's pandas regex is a search; a rule's pattern must match the whole value."""
    return f"^(?:{pattern})$"


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def _per_value(series: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`convert(series)` (elementwise) computed once per distinct value of a text column and taken
    from there: pandas 2's text methods loop in Python per row, and a million rows hold far fewer
    countries or dates. Other columns (where 1 and 1.0 would count as one value) are converted whole."""
    if pd.api.types.infer_dtype(series, skipna=True) != "string":
        return convert(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    converted = convert(pd.Series(uniques)).array
    return pd.Series(converted.take(codes, allow_fill=True), index=series.index, name=series.name)


def _stripped(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _epoch_seconds(series: pd.Series, *, bad: float) -> pd.Series:
    """Dates as UTC epoch seconds; a present value that is not a date becomes `bad` (so it fails)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
    else:
        text = _per_value(series, _stripped)
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        retry = parsed.isna() & text.notna()
        if retry.any():  # a few non-ISO forms (e.g. 2024/01/31 10:00): parse those alone
            parsed = parsed.copy()
            parsed[retry] = pd.to_datetime(text[retry], errors="coerce", utc=True, format="mixed")
    if getattr(parsed.dt, "tz", None) is None:
        parsed = parsed.dt.tz_localize("UTC")
    # In seconds resolution, so dates far from today (year 2999, 1600) cannot overflow nanoseconds.
    epoch = pd.Timestamp(0, tz="UTC").as_unit("s")
    seconds = (parsed.dt.as_unit("s") - epoch) / pd.Timedelta(seconds=1)
    seconds = seconds.astype("float64")
    return seconds.where(~(seconds.isna() & series.notna()), bad)


def _numbers(series: pd.Series, *, bad: float) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    return numbers.where(~(numbers.isna() & series.notna()), bad)


def _text(series: pd.Series) -> pd.Series:
    return series if _is_text(series) else series.astype("string")


def _bounds(rule: Rule) -> dict[str, Any]:
    return {"min_value": rule.options.get("min"), "max_value": rule.options.get("max")}


def _bad_for(bounds: Mapping[str, Any]) -> float:
    """An out-of-range stand-in for unreadable values: below the minimum, else above the maximum."""
    return -np.inf if bounds.get("min_value") is not None else np.inf


def _values_for(series: pd.Series, values: list[Any]) -> list[Any]:
    """Allowed values comparable with the column (a CSV column holds text, YAML may say 1)."""
    return [str(v) for v in values] if _is_text(series) else list(values)


def _column_rule(rule: Rule, df: pd.DataFrame, helper: str, now: datetime) -> Compiled:
    col = rule.columns[0]
    s = df[col]
    c = Compiled(rule, value_columns=(col,))
    kind, opts = rule.check, rule.options
    if kind == "not_null":
        c.expectation, c.kwargs = "ExpectColumnValuesToNotBeNull", {"column": col}
    elif kind == "unique":
        c.expectation, c.kwargs = "ExpectColumnValuesToBeUnique", {"column": col}
    elif kind in ("in_set", "status_is"):
        values = _values_for(s, list(opts.get("values") or ["valid"]))
        c.expectation, c.kwargs = "ExpectColumnValuesToBeInSet", {"column": col, "value_set": values}
    elif kind in ("regex", "email", "e164"):
        pattern = {"email": EMAIL_PATTERN, "e164": E164_PATTERN}.get(kind) or str(opts["pattern"])
        c.expectation = "ExpectColumnValuesToMatchRegex"
        c.kwargs = {"column": col, "regex": _anchored(pattern)}
    elif kind == "iso_country":
        c.expectation = "ExpectColumnValuesToBeInSet"
        c.kwargs = {"column": col, "value_set": list(iso_alpha2_codes())}
    elif kind == "length":
        if not _is_text(s):
            c.helpers[helper], col = _text(s), helper
        c.expectation, c.kwargs = "ExpectColumnValueLengthsToBeBetween", {"column": col, **_bounds(rule)}
    elif kind == "between":
        bounds = _bounds(rule)
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            c.helpers[helper], col = _numbers(s, bad=_bad_for(bounds)), helper
        c.expectation, c.kwargs = "ExpectColumnValuesToBeBetween", {"column": col, **bounds}
    elif kind == "date_not_in_future":
        c.helpers[helper] = _epoch_seconds(s, bad=np.inf)
        c.expectation = "ExpectColumnValuesToBeBetween"
        c.kwargs = {"column": helper, "max_value": pd.Timestamp(now).timestamp()}
    elif kind == "not_older_than":
        offset = pd.DateOffset(months=int(opts.get("months") or 0), days=int(opts.get("days") or 0))
        cutoff = (pd.Timestamp(now) - offset).timestamp()
        c.helpers[helper] = _epoch_seconds(s, bad=-np.inf)
        c.expectation, c.kwargs = "ExpectColumnValuesToBeBetween", {"column": helper, "min_value": cutoff}
    elif kind == "postal_code":
        c = _postal_rule(rule, df, helper)
    return c


def _postal_rule(rule: Rule, df: pd.DataFrame, helper: str) -> Compiled:
    """`CC:code` per row, null when the code is missing or the country has no known pattern."""
    col = rule.columns[0]
    country_col = str(rule.options.get("country_column") or "country")
    c = Compiled(rule, value_columns=(col, country_col))
    if country_col not in df.columns:
        c.problem = f"country column {country_col!r} is not in the data"
        return c
    country = _per_value(df[country_col], lambda codes: _stripped(codes).str.upper())
    keyed = country + ":" + _text(df[col]).astype("string")
    known = country.isin(list(POSTAL_PATTERNS)).fillna(False).astype(bool)
    c.helpers[helper] = keyed.where(known & df[col].notna(), None).astype(object)
    c.expectation, c.kwargs = "ExpectColumnValuesToMatchRegex", {"column": helper, "regex": postal_regex()}
    return c


def _table_rule(rule: Rule, df: pd.DataFrame, helper: str, related: Mapping[str, pd.DataFrame]) -> Compiled:
    c = Compiled(rule, value_columns=rule.columns)
    if rule.check == "row_count_between":
        c.expectation, c.kwargs = "ExpectTableRowCountToBeBetween", _bounds(rule)
    elif rule.check == "unique":  # several columns: the combination is unique
        c.expectation = "ExpectCompoundColumnsToBeUnique"
        c.kwargs = {"column_list": list(rule.columns), "ignore_row_if": "any_value_is_missing"}
    elif rule.check == "any_not_null":  # a column the data lacks has no value in any row
        present = df[[col for col in rule.columns if col in df.columns]].notna().any(axis=1)
        c.helpers[helper] = pd.Series(np.where(present, "present", None), index=df.index, dtype=object)
        c.expectation, c.kwargs = "ExpectColumnValuesToNotBeNull", {"column": helper}
    elif rule.check == "xref_points_to_golden":
        c = _xref_rule(rule, df, helper, related)
    return c


def _xref_rule(rule: Rule, df: pd.DataFrame, helper: str, related: Mapping[str, pd.DataFrame]) -> Compiled:
    """Runs on the cross-reference frame: each row's id must be one of the golden ids."""
    name = str(rule.options.get("related") or DEFAULT_RELATED)
    col = rule.columns[0] if rule.columns else "customer_id"
    c = Compiled(rule, frame=name, value_columns=(col,))
    xref = related.get(name)
    if xref is None:
        c.problem = f"needs the {name!r} table (the cross-reference), which was not given"
    elif col not in xref.columns or col not in df.columns:
        c.problem = f"column {col!r} is missing from the {'golden data' if col in xref.columns else name}"
    else:
        ok = xref[col].isin(pd.unique(df[col].dropna()))
        c.helpers[helper] = pd.Series(np.where(ok, "golden", "orphan"), index=xref.index, dtype=object)
        c.expectation, c.kwargs = "ExpectColumnValuesToBeInSet", {"column": helper, "value_set": ["golden"]}
    return c


def _missing(rule: Rule, df: pd.DataFrame) -> list[str]:
    if rule.check == "xref_points_to_golden":
        return []
    missing = [c for c in rule.columns if c not in df.columns]
    if rule.check == "any_not_null" and len(missing) < len(rule.columns):
        return []  # "last name or company" on a list of people without a company column
    return missing


def compile_rule(
    rule: Rule, index: int, df: pd.DataFrame, related: Mapping[str, pd.DataFrame], now: datetime
) -> Compiled:
    """One rule against the frame it checks; a missing column gives a rule that fails, with why."""
    helper = f"{HELPER_PREFIX}{index}"
    missing = _missing(rule, df)
    if missing:
        names = ", ".join(repr(m) for m in missing)
        what = f"column {names} is" if len(missing) == 1 else f"columns {names} are"
        return Compiled(rule, value_columns=rule.columns, problem=f"{what} not in the data")
    if rule.check in ("row_count_between", "any_not_null", "xref_points_to_golden") or len(rule.columns) > 1:
        c = _table_rule(rule, df, helper, related)
    else:
        c = _column_rule(rule, df, helper, now)
    if c.expectation and rule.mostly is not None and c.expectation != "ExpectTableRowCountToBeBetween":
        c.kwargs["mostly"] = rule.mostly
    return c


def compile_rules(
    rules: tuple[Rule, ...],
    df: pd.DataFrame,
    related: Mapping[str, pd.DataFrame] | None = None,
    now: datetime | None = None,
) -> list[Compiled]:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return [compile_rule(rule, i, df, related or {}, now) for i, rule in enumerate(rules)]
