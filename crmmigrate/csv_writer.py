"""Writing a frame as CSV through Arrow, byte for byte as `DataFrame.to_csv(index=False)` writes it.

pandas hands every value of every row to Python's csv writer: at the millions of rows of a run's
golden lineage that is most of the dedupe stage's output time, with the GIL held. Here a slice of
rows at a time, each column becomes text in Arrow (a categorical's categories once, not once per
row), the few values that need quotes are quoted by Python's own csv writer (so the rules are
those of the running Python), and the rows are joined in Arrow.

A frame with a column of another kind (dates, nullable integers, mixed objects) is left to pandas:
the same bytes either way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Rows made into text at once.
SLICE_ROWS = 100_000
#: Characters after which Python's csv writer may quote a value (it decides which it quotes).
MAY_NEED_QUOTES = '[,"\r\n]'

#: A column's text for the rows [start, stop), as `to_csv` writes it.
Render = Callable[[int, int], pa.Array]


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """`df.to_csv(path, index=False, encoding="utf-8")`, faster for text, numbers and flags."""
    renders = _renders(df)
    if renders is not None:
        try:
            _write(df, renders, path)
            return
        except (pa.ArrowException, UnicodeError):  # text Arrow cannot hold: pandas says what is wrong
            pass
    df.to_csv(path, index=False, encoding="utf-8")


def _write(df: pd.DataFrame, renders: list[Render], path: str | Path) -> None:
    with open(path, "wb") as file:
        file.write(_header(df.columns).encode("utf-8"))
        for start in range(0, len(df), SLICE_ROWS):
            stop = min(start + SLICE_ROWS, len(df))
            columns = [render(start, stop) for render in renders]
            columns[-1] = pc.binary_join_element_wise(columns[-1], "", "\n")  # "last\n"
            _write_values(file, pc.binary_join_element_wise(*columns, ","))


def _header(columns: pd.Index) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([str(c) for c in columns])
    return buffer.getvalue()


def _write_values(file: BinaryIO, text: pa.Array) -> None:
    """The values of a string array one after another, as they lie in its data buffer."""
    text = _one_chunk(text)
    _, offsets, data = text.buffers()
    if data is None or not len(text):
        return
    bounds = np.frombuffer(offsets, dtype=np.int32, count=len(text) + 1, offset=text.offset * 4)
    file.write(memoryview(data)[bounds[0] : bounds[-1]])


def _renders(df: pd.DataFrame) -> list[Render] | None:
    """How each column is rendered; None when a column is of a kind left to pandas (and for a
    single column, whose empty value pandas writes as "")."""
    if len(df.columns) < 2 or isinstance(df.columns, pd.MultiIndex):
        return None
    renders = [_render(series) for _, series in df.items()]
    return None if any(r is None for r in renders) else renders  # type: ignore[return-value]


def _render(series: pd.Series) -> Render | None:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _render_categorical(series)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":  # decimal digits, as numpy's str
        values = series.to_numpy()
        return lambda start, stop: pc.cast(pa.array(values[start:stop]), pa.string())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":  # numpy's str: True, False
        words = pa.array(["False", "True"])
        values = series.to_numpy()
        return lambda start, stop: words.take(pa.array(values[start:stop].astype(np.int8)))
    if isinstance(dtype, np.dtype) and dtype.kind == "f":  # to_csv: numpy's str, "" for NaN
        values = series.to_numpy()

        def floats(start: int, stop: int) -> pa.Array:
            part = values[start:stop]
            return pa.array(part.astype(str), type=pa.string(), mask=np.isnan(part))

        return lambda start, stop: pc.fill_null(floats(start, stop), "")
    if _all_text(series):
        return lambda start, stop: _quoted(_text(series.iloc[start:stop]))
    return None


def _render_categorical(series: pd.Series) -> Render | None:
    """A category's text is made once; each slice takes it by code."""
    categories = series.cat.categories
    if categories.hasnans or not (_all_text(pd.Series(categories)) or categories.dtype.kind in "iu"):
        return None  # (floats in categories: to_csv writes Python's str of each, left to it)
    render = _render(pd.Series(categories))
    if render is None:
        return None
    texts = render(0, len(categories))
    codes = series.cat.codes.to_numpy()

    def taken(start: int, stop: int) -> pa.Array:
        part = codes[start:stop]
        return pc.fill_null(texts.take(pa.array(part, mask=part < 0)), "")

    return taken


def _all_text(series: pd.Series) -> bool:
    """Text (Arrow or Python strings), with missing values; to_csv writes each as it is."""
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _text(series: pd.Series) -> pa.Array:
    """Strings as Arrow, "" where missing."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage in ("pyarrow", "pyarrow_numpy"):
        text = pa.array(series.array).cast(pa.string())  # no Python string made
    else:
        text = pa.array(series.to_numpy(dtype=object, na_value=None), type=pa.string(), from_pandas=True)
    return pc.fill_null(_one_chunk(text), "")


def _one_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _quoted(text: pa.Array) -> pa.Array:
    """The values Python's csv writer quotes, quoted by it (a handful in a column, if any)."""
    maybe = pc.match_substring_regex(text, MAY_NEED_QUOTES)
    if not pc.any(maybe).as_py():
        return text
    values = text.filter(maybe).to_pylist()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    quoted = []
    for value in values:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([value, ""])  # two fields: the value as the writer writes it, then ",\n"
        quoted.append(buffer.getvalue()[:-2])
    return pc.replace_with_mask(text, maybe, pa.array(quoted, type=pa.string()))
