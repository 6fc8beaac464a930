"""Turning typed cells (Excel, Parquet, SQL, JSON) into the text the staged set holds.

Every staged value is a string or missing. Numbers keep their digits (a float that holds an
integer loses the `.0`), dates become ISO 8601, booleans `true`/`false`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

MISSING_TEXT = ("", None)
#: Control characters and invisible format characters (zero-width, bidi controls, BOM): never
#: meant to be part of a column name, and harmful when a name is echoed in a message.
INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


@lru_cache(maxsize=1)
def text_dtype() -> Any:
    """The dtype of a text column: pyarrow-backed strings with NaN for missing.

    That is pandas 3's default `str`; pandas 2.1+ has the same as `string[pyarrow_numpy]`. Compact
    (a million rows of fifteen columns fit in a few hundred MiB) and vectorised string methods.
    """
    if int(pd.__version__.split(".")[0]) >= 3:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 2.3
    except (TypeError, ValueError, ImportError):
        pass
    try:
        return pd.StringDtype("pyarrow_numpy")  # pandas 2.1, 2.2
    except (TypeError, ValueError, ImportError):  # pandas without pyarrow
        return object


def empty_text(index: pd.Index) -> pd.Series:
    return pd.Series(np.nan, index=index, dtype=text_dtype())


def as_text(series: pd.Series) -> pd.Series:
    """A column of strings-or-missing in the text dtype (None and NaN alike become missing)."""
    dtype = text_dtype()
    if series.dtype == dtype:
        return series
    if dtype is object:
        return series.astype(object).where(series.notna(), None)
    return series.astype(object).where(series.notna(), np.nan).astype(dtype)


def cell_text(value: Any) -> str | None:
    """One typed value as text (None for missing)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(float(value))
    if isinstance(value, int | np.integer | Decimal):
        return str(value)
    if isinstance(value, pd.Timestamp) and pd.isna(value):
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        if all(not isinstance(v, dict | list) for v in value):
            return "; ".join(t for t in (cell_text(v) for v in value) if t)
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _datetime_text(series: pd.Series) -> pd.Series:
    values = series.dropna()
    if values.empty:
        return empty_text(series.index)
    has_tz = getattr(series.dt, "tz", None) is not None
    midnight = not has_tz and bool((values == values.dt.normalize()).all())
    if midnight:
        text = series.dt.strftime("%Y-%m-%d")
    else:
        text = series.map(lambda v: None if pd.isna(v) else v.isoformat())
    return text.astype(object).where(series.notna(), None)


def series_text(series: pd.Series) -> pd.Series:
    """A column of any dtype as text, vectorised for the common dtypes."""
    dtype = series.dtype
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return series
    if pd.api.types.is_bool_dtype(dtype):
        return series.map({True: "true", False: "false"}).astype(object).where(series.notna(), None)
    if pd.api.types.is_integer_dtype(dtype):
        return series.astype("Int64").astype("string").astype(object).where(series.notna(), None)
    if pd.api.types.is_float_dtype(dtype):
        values = series.dropna()
        if values.empty:
            return empty_text(series.index)
        if bool((values == values.round()).all()) and values.abs().max() < 1e16:
            return series.astype("Int64").astype("string").astype(object).where(series.notna(), None)
        return series.map(cell_text)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetime_text(series)
    uniques = series.dropna().unique() if len(series) > 1000 else None
    if uniques is not None and len(uniques) < len(series) // 2:
        try:
            lookup = {v: cell_text(v) for v in uniques}
            return series.map(lookup).astype(object).where(series.notna(), None)
        except TypeError:  # unhashable cells (lists, dicts)
            pass
    return series.map(cell_text)


def frame_text(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: series_text(df[c]) for c in df.columns}, index=df.index)


def dedupe_names(names: list[Any]) -> list[str]:
    """Header names made unique and non-empty (`Email`, `Email.1`; `column_3` for a blank one)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names):
        name = cell_text(raw)
        name = INVISIBLE.sub("", name).strip() if name else ""
        name = name or f"column_{i + 1}"
        candidate, n = name, 0
        while candidate in seen:
            n += 1
            candidate = f"{name}.{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def arrow_types_mapper() -> Any:
    """Arrow strings straight into the text dtype (no Python string objects on the way)."""
    if text_dtype() is object:
        return None
    import pyarrow as pa

    dtype = text_dtype()
    return {pa.string(): dtype, pa.large_string(): dtype}.get
