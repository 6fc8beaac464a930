"""A column's values as text, by one set of rules: as Python objects (`text_column`) or as an
Arrow string array (`arrow_text`), with options for what the callers differ in.

The store reads every value as text (empty text as missing, numbers, dates and booleans as their
usual text) for loading, diffing and its checksum; the CSV outputs' formula guard looks at text as
it is written (empty text kept) and at nothing else. Both go through `arrow_text`.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _text_of(value: object) -> str | None:
    """One non-missing Python value as the text stored for it."""
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, pd.Timestamp):
        return (
            value.date().isoformat() if value == value.normalize() and value.tz is None else value.isoformat()
        )
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def text_column(series: pd.Series) -> pd.Series:
    """`series` as object dtype holding str or None (vectorised; odd types converted per distinct value)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
        has_time = bool((s.dropna() != s.dropna().dt.normalize()).any())
        text = series.dt.strftime("%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d")
        return text.astype(object).where(series.notna(), None)
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Each category once, then taken by code: converting row by row would make a Python string
        # per row (9M lineage rows at a million customers: gigabytes).
        categories = text_column(pd.Series(series.cat.categories.to_numpy(dtype=object), dtype=object))
        values = np.append(categories.to_numpy(dtype=object), None)[series.cat.codes.to_numpy()]
        return pd.Series(values, index=series.index, dtype=object)
    values = series.to_numpy(dtype=object, na_value=None)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = _convert_odd(values)
    empty = values == ""
    if empty.any():
        values = values.copy()
        values[empty] = None
    return pd.Series(values, index=series.index, dtype=object)


def _convert_odd(values: np.ndarray) -> np.ndarray:
    """Text for the values that are not already str (numbers, dates, booleans), once per distinct value."""
    out = values.copy()
    odd = np.fromiter((v is not None and not isinstance(v, str) for v in values), bool, count=len(values))
    try:
        distinct = {v: _text_of(v) for v in pd.unique(values[odd])}
        out[odd] = [distinct[v] for v in values[odd]]
    except TypeError:  # unhashable values (lists, dicts): convert one by one
        out[odd] = [_text_of(v) for v in values[odd]]
    return out


def arrow_text(
    series: pd.Series,
    *,
    empty_as_null: bool = True,
    bytes_as_text: bool = False,
    others: Literal["text", "raise"] = "text",
) -> pa.Array:
    """The column as an Arrow string array, null for every missing value. Text held in Arrow
    (pandas' `str` dtype) is taken as it is and text in Python objects converted in one call: a
    Python object per value would cost seconds per million rows.

    - `empty_as_null`: empty text as null, as the store reads it (`text_column`); else kept.
    - `bytes_as_text`: bytes taken as UTF-8 text, as Arrow takes them (a driver's values); else
      the column is not text, and `others` decides (`text_column` writes `b'...'`).
    - `others`, for a column that is not all text (numbers, dates, booleans): `"text"`, each value
      as `text_column` writes it; `"raise"`, a TypeError.

    By default `text_column(series)` in Arrow.
    """
    text = _text_as_it_is(series, bytes_as_text)
    if text is None:
        if others == "raise":
            raise TypeError(f"the column ({series.dtype}) holds values that are not text")
        text = pa.array(text_column(series).to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    if empty_as_null:
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return text


def _text_as_it_is(series: pd.Series, bytes_as_text: bool) -> pa.Array | None:
    """The column's text in Arrow (missing values null) when it holds only text, else None."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage in ("pyarrow", "pyarrow_numpy"):
        text = pa.array(series.array)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        return text.cast(pa.string())
    is_text_dtype = series.dtype == object or isinstance(series.dtype, pd.StringDtype)
    if not bytes_as_text and not is_text_dtype:
        return None
    values = series.to_numpy(dtype=object)
    if not bytes_as_text and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # other values (or text Arrow cannot hold)
        return None
