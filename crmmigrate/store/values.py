"""The typed customer columns' values as the pipeline writes them, going in and coming back.

The pipeline holds dates as ISO 8601 text (`1980-02-29`, `2019-08-02T18:45:00`) and custom fields
as canonical JSON. The databases hold DATE, a UTC timestamp and JSON(B) (see `tables`), and give
back `date`, `datetime` (aware on PostgreSQL) and `dict` objects, or, on SQLite, the text itself.
Loading, diffing, checksums and incremental runs all compare text, so both directions meet in one
form here:

- a date: `YYYY-MM-DD`;
- a moment: in UTC, without an offset; `YYYY-MM-DD` at midnight, else `YYYY-MM-DDTHH:MM:SS`
  (`.ffffff` when it has a fraction). `2019-08-02T18:45:00+02:00` becomes `2019-08-02T16:45:00`;
- JSON: sorted keys, no spaces, UTF-8 as it is.

Columns are converted in bulk with Arrow (a million timestamps per reload), and the odd value
(another ISO spelling, an offset) once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import tables

Kind = Literal["date", "timestamp", "json"]

#: The kind of each typed column of `customers`.
KINDS: dict[str, Kind] = {
    **{c: "date" for c in tables.DATE_COLUMNS},
    **{c: "timestamp" for c in tables.TIMESTAMP_COLUMNS},
    **{c: "json" for c in tables.JSON_COLUMNS},
}

#: What each kind of column expects, for messages.
EXPECTED = {
    "date": "a date as YYYY-MM-DD",
    "timestamp": "a date and time in ISO 8601 (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS, with or without an offset)",
    "json": "a JSON object",
}

#: The pipeline's own forms, checked in bulk: (strptime format, the text's pattern, its length).
_FAST = {
    "date": (("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$", 10),),
    "timestamp": (
        ("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$", 10),
        ("%Y-%m-%dT%H:%M:%S", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", 19),
    ),
}


def _moment_text(moment: dt.datetime) -> str:
    """A naive UTC moment as text: the date alone at midnight."""
    if moment.time() == dt.time(0):
        return moment.date().isoformat()
    return moment.isoformat(sep="T", timespec="microseconds" if moment.microsecond else "seconds")


def _one(text: str, kind: Kind) -> str | None:
    """One text value in the canonical form of `kind`; None when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if kind == "date":
        return moment.date().isoformat() if moment.time() == dt.time(0) else None
    return _moment_text(moment)


def canonical_text(text: pa.Array, kind: Kind) -> tuple[pa.Array, np.ndarray]:
    """(canonical text, not readable) of an Arrow string array (null for missing): the pipeline's
    own forms are recognised in Arrow, other values converted in Python once per distinct value,
    and those that are not readable as `kind` kept as they are. JSON passes as it is."""
    bad = np.zeros(len(text), dtype=bool)
    if kind == "json" or not len(text):
        return text, bad
    done = np.asarray(pc.is_null(text).to_numpy(zero_copy_only=False), dtype=bool)
    spaced = pc.replace_substring(text, "T", " ", max_replacements=1)
    for fmt, pattern, width in _FAST[kind]:
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        # The moment written again (Arrow writes `YYYY-MM-DD HH:MM:SS`, far faster than strftime):
        # the same text only when the value was a real date (not 30 February) in this form.
        again = pc.utf8_slice_codeunits(pc.cast(parsed, pa.string()), 0, width)
        same = pc.and_(pc.match_substring_regex(text, pattern), pc.equal(again, spaced))
        same = pc.and_(same, pc.greater_equal(pc.year(parsed), 1))
        done |= np.asarray(pc.fill_null(same, False).to_numpy(zero_copy_only=False), dtype=bool)
    rest = np.flatnonzero(~done)
    if len(rest):
        values = text.take(pa.array(rest)).to_pylist()
        converted = {v: _one(v, kind) for v in set(values)}
        new = [converted[v] for v in values]
        bad[rest] = [v is None for v in new]
        kept = [value if c is None else c for value, c in zip(values, new, strict=True)]
        mask = np.zeros(len(text), dtype=bool)
        mask[rest] = True
        text = pc.replace_with_mask(text, pa.array(mask), pa.array(kept, type=text.type))
    # `2019-08-02T00:00:00` is midnight: the date alone, as the pipeline writes it
    if kind == "timestamp":
        midnight = pc.and_(pc.fill_null(pc.ends_with(text, "T00:00:00"), False), pa.array(~bad))
        if pc.any(midnight).as_py():
            text = pc.if_else(midnight, pc.utf8_slice_codeunits(text, 0, 10), text)
    return text, bad


def _texts(values: np.ndarray, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """(canonical text, not readable) for an array of str and None."""
    if not len(values):
        return np.full(0, None, dtype=object), np.zeros(0, dtype=bool)
    out, bad = canonical_text(pa.array(values, type=pa.string(), from_pandas=True), kind)
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=object), bad


def to_text(series: pd.Series, kind: Kind) -> tuple[pd.Series, pd.Series]:
    """Text values of a `kind` column (str or None) in canonical form, and which were not
    readable as `kind` (left as they are, for the load's check to name)."""
    values = series.to_numpy(dtype=object)
    if kind == "json":
        return series, pd.Series(False, index=series.index)
    out, bad = _texts(values, kind)
    return pd.Series(out, index=series.index, dtype=object), pd.Series(bad, index=series.index)


def _json(value: object) -> object:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return value


def _objects(values: np.ndarray, kind: Kind) -> np.ndarray:
    """Text for the driver's date and datetime objects (in UTC when they carry a zone)."""
    if kind == "date":
        moments = pa.array(values, type=pa.date32())
        return np.asarray(
            pc.strftime(moments, format="%Y-%m-%d").to_numpy(zero_copy_only=False), dtype=object
        )
    moments = pc.cast(pa.array(values, type=pa.timestamp("us", tz="UTC")), pa.timestamp("us"))
    seconds = pc.cast(moments, pa.timestamp("s"), safe=False)
    whole = pc.equal(pc.cast(seconds, pa.timestamp("us")), moments)
    midnight = pc.equal(pc.floor_temporal(moments, unit="day"), moments)
    text = pc.if_else(
        midnight,
        pc.strftime(moments, format="%Y-%m-%d"),
        pc.if_else(
            whole,
            pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%S"),
            pc.strftime(moments, format="%Y-%m-%dT%H:%M:%S"),
        ),
    )
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


def stored_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows read from `customers` with their typed columns as the pipeline's text (see the module
    docstring); other columns, and other tables' rows, are returned as they are. A value a
    database holds that cannot be read as its kind (text put into SQLite by hand) stays as it is."""
    typed = [c for c in frame.columns if c in KINDS]
    if not typed or not len(frame):
        return frame
    frame = frame.copy()
    for column in typed:
        kind = KINDS[column]
        values = frame[column].to_numpy(dtype=object)
        text = _all_text(values)
        if text is not None:  # SQLite gives text back: no Python loop over the values
            if kind != "json":
                values = canonical_text(text, kind)[0].to_numpy(zero_copy_only=False)
            frame[column] = pd.Series(values, index=frame.index, dtype=object)
            continue
        if kind == "json":
            frame[column] = pd.Series([_json(v) for v in values], index=frame.index, dtype=object)
            continue
        out = values.copy()
        is_text = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
        is_object = np.fromiter(
            (v is not None and not isinstance(v, str) for v in values), dtype=bool, count=len(values)
        )
        if is_text.any():
            out[is_text] = _texts(values[is_text], kind)[0]
        if is_object.any():
            out[is_object] = _objects(values[is_object], kind)
        frame[column] = pd.Series(out, index=frame.index, dtype=object)
    return frame


def _all_text(values: np.ndarray) -> pa.Array | None:
    """`values` as an Arrow string array when every one is str or None, else None."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    missing = values[pd.isna(values)]
    try:
        only_none = bool(np.equal(missing, None).all())
    except TypeError:  # pd.NA has no truth value
        only_none = False
    if not only_none:
        return None  # NaN or pd.NA: not what a driver gives, left to the loop below
    return pa.array(values, type=pa.string())
