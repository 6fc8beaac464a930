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

#: The pipeline's own forms, checked in bulk: (strptime format, the text's pattern).
_FAST = {
    "date": (("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$"),),
    "timestamp": (
        ("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$"),
        ("%Y-%m-%dT%H:%M:%S", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"),
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


def _texts(values: np.ndarray, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """(canonical text, not readable) for an array of str and None."""
    out = np.full(len(values), None, dtype=object)
    bad = np.zeros(len(values), dtype=bool)
    if not len(values):
        return out, bad
    text = pa.array(values, type=pa.string(), from_pandas=True)
    done = np.asarray(pc.is_null(text).to_numpy(zero_copy_only=False), dtype=bool)
    for fmt, pattern in _FAST[kind]:
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        again = pc.strftime(parsed, format=fmt)
        same = pc.and_(pc.match_substring_regex(text, pattern), pc.equal(again, text))
        same = pc.and_(same, pc.greater_equal(pc.year(parsed), 1))
        hit = np.asarray(pc.fill_null(same, False).to_numpy(zero_copy_only=False), dtype=bool) & ~done
        if hit.any():
            out[hit] = values[hit]
            done |= hit
    rest = np.flatnonzero(~done)
    if len(rest):
        converted = {v: _one(v, kind) for v in pd.unique(values[rest])}
        out[rest] = [converted[v] for v in values[rest]]
        missing = np.fromiter((v is None for v in out[rest]), dtype=bool, count=len(rest))
        bad[rest[missing]] = True
        out[rest[missing]] = values[rest[missing]]  # kept as they are: the caller decides
    # `2019-08-02T00:00:00` is midnight: the date alone, as the pipeline writes it
    if kind == "timestamp":
        midnight = np.fromiter(
            (isinstance(v, str) and v.endswith("T00:00:00") for v in out), dtype=bool, count=len(out)
        )
        out[midnight & ~bad] = [v[:10] for v in out[midnight & ~bad]]
    return out, bad


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
