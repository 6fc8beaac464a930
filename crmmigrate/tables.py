"""Reading and writing the tool's own tabular files (CSV or Parquet, by extension).

Every CSV the tool writes is safe to open in a spreadsheet: a value or a column name that a
spreadsheet would run as a formula (starting with = @, tab or carriage return, or with + or -
unless it is a plain number or phone number such as +49 30 1234567 or +1 212 555 0100 x12) is
prefixed with a single quote, following OWASP's CSV-injection advice; `read_table` takes the
quote off again, so the tool's own CSV files round-trip. A value that itself starts with quotes
before such a formula gets one more, so that it round-trips too. Parquet keeps values exactly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A value starting with + or - that no spreadsheet runs as a formula: a signed number (`-1.5e3`),
#: a phone number (digits, spaces, brackets, dots, dashes, slashes), with an extension
#: (`x12`, `ext. 12`, `#12`), or only dashes (a placeholder).
PLAIN_NUMBER = r"[+-][\d\s().\-/]*\d[\d\s().\-/]*(?:[eE][+-]?\d+|\s*(?:x|ext\.?|#)\s*\d+)?|-+|\+"
SUFFIXES = (".csv", ".parquet")


def _risky(text: pd.Series) -> pd.Series:
    """Values a spreadsheet would run, also behind quotes of their own (`'=1+1` is written `''=1+1`)."""
    text = text.str.lstrip("'")
    starts = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
    plain = text.str.fullmatch(PLAIN_NUMBER).fillna(False).astype(bool)
    return starts & ~plain


def _is_risky(text: str) -> bool:
    return bool(_risky(pd.Series([text], dtype="string")).iloc[0])


def _guarded_name(name: object) -> object:
    return "'" + str(name) if _is_risky(str(name)) else name


#: The characters Python's \s matches in ASCII text; RE2's \s lacks \v and \x1c-\x1f.
_ASCII_SPACES = r"\t\n\x0b\x0c\r \x1c-\x1f"


def _for_re2(pattern: str) -> str:
    r"""A Python pattern as Arrow's regular expressions (RE2) read it, for ASCII text: each \s spelt
    out (in a class or alone), anchored to match whole values as `fullmatch` does. (\d is [0-9]
    in both on ASCII.)"""
    out, in_class, k = [], False, 0
    while k < len(pattern):
        token = pattern[k : k + 2] if pattern[k] == "\\" else pattern[k]  # an escape is one token
        k += len(token)
        if token == r"\s":
            token = _ASCII_SPACES if in_class else f"[{_ASCII_SPACES}]"
        elif token in "[]":
            in_class = token == "["
        out.append(token)
    return "^(?:" + "".join(out) + ")$"


_PLAIN_NUMBER_ASCII = _for_re2(PLAIN_NUMBER)


def _risky_in_arrow(series: pd.Series, quoted: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    """`_risky` of the column's values where Arrow can tell (ASCII text), and where it cannot
    (values of other letters that start like a formula); None when the column is not all text.
    In Python, `_risky` costs seconds a million values, and a phone column starts with + in each."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .text_columns import arrow_text

    try:  # text as it is written: empty text kept, bytes as their text, no other values
        text = arrow_text(series, empty_as_null=False, bytes_as_text=True, others="raise")
    except (pa.ArrowException, TypeError, ValueError):
        return None
    starts = "^'+" if quoted else "^'*"
    pattern = starts + "[" + "".join(f"\\x{ord(p):02x}" for p in FORMULA_PREFIXES) + "]"
    maybe = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    if not pc.any(maybe).as_py():
        none = np.zeros(len(text), dtype=bool)
        return none, none
    ascii_ = pc.fill_null(pc.string_is_ascii(text), False)
    plain = pc.match_substring_regex(pc.utf8_ltrim(text, characters="'"), _PLAIN_NUMBER_ASCII)
    risky = pc.and_(pc.and_(maybe, ascii_), pc.invert(pc.fill_null(plain, False)))
    undecided = pc.and_(maybe, pc.invert(ascii_))
    return risky.to_numpy(zero_copy_only=False), undecided.to_numpy(zero_copy_only=False)


def _risky_values(series: pd.Series, quoted: bool = False) -> pd.Series:
    """`_risky` of the text of `series` (only values starting with a quote when `quoted`)."""
    found = _risky_in_arrow(series, quoted)
    if found is None:
        text = series.astype("string")
        risky = _risky(text)
        return (text.str.startswith("'").fillna(False) & risky).astype(bool) if quoted else risky
    decided, undecided = found
    risky = pd.Series(decided, index=series.index)
    if undecided.any():
        risky[undecided] = _risky(series[undecided].astype("string")).to_numpy(dtype=bool)
    return risky


def _risky_categories(series: pd.Series) -> bool:
    """Whether a categorical column has a value to neutralise (its categories looked at once)."""
    categories = pd.Series(series.cat.categories)
    used = np.unique(series.cat.codes.to_numpy())
    return bool(_risky_values(categories.iloc[used[used >= 0]]).any())


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text values and column names cannot run as spreadsheet formulas (the
    columns with no such value are shared with `df`, not copied: they are not changed)."""
    out = df.copy(deep=False)
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype) and not _risky_categories(series):
            continue
        risky = _risky_values(series)
        if risky.any():
            text = series[risky].astype("string")
            values = series.astype(object).copy()
            values[risky] = "'" + text.astype(str)
            out[column] = values
    names = [_guarded_name(c) for c in out.columns]
    if names != list(out.columns):
        out.columns = pd.Index(names, dtype=object)
    return out


def restore_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Undo `neutralise_formulas` on a CSV read back: `'=SUM(…)` is `=SUM(…)` again.

    Exactly the quotes it added come off: a value's own quote before a number stays (`'+4930…`).
    """
    df = df.rename(columns=lambda c: c[1:] if isinstance(c, str) and c[:1] == "'" and _is_risky(c) else c)
    for column in df.columns:
        series = df[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        quoted = _risky_values(series, quoted=True)
        if quoted.any():
            text = series[quoted].astype("string")
            values = series.astype(object).copy()
            values[quoted] = text.str.slice(1).astype(object)
            df[column] = values
    return df


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}",
            file=str(path),
            hint="use a .csv or .parquet file",
        )
    return suffix


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file written by the tool (or any file with canonical columns)."""
    path = Path(path)
    suffix = _check_suffix(path)
    if not path.exists():
        raise InputError("file not found", file=str(path), hint="check the path")
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many kinds
            raise InputError(f"not a readable Parquet file ({exc})", file=str(path)) from exc
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise InputError("the file is empty", file=str(path), hint="export the data again") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable UTF-8 CSV file ({exc})", file=str(path)) from exc
    return restore_formulas(frame)


def _replacing(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through a temporary file beside `path`, then rename it over `path`: a full disk or a
    crash leaves the old file or none, never a truncated one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write a report (JSON, HTML, Markdown) atomically."""
    return _replacing(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write `df` as CSV (formula-safe, UTF-8) or Parquet, by the extension of `path`, atomically."""
    path = Path(path)
    suffix = _check_suffix(path)
    if suffix == ".parquet":
        return _replacing(path, lambda p: _write_parquet(df, p))
    from .csv_writer import write_csv  # (pyarrow: imported when a file is written)

    return _replacing(path, lambda p: write_csv(neutralise_formulas(df), p))


#: Rows converted to Arrow at once when writing Parquet (one row group each).
PARQUET_SLICE_ROWS = 200_000


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """`df.to_parquet(path, index=False)`, converted to Arrow a slice at a time: the whole frame in
    Arrow at once is a second copy of a million rows' text (a gigabyte) beside the frame."""
    if len(df) <= PARQUET_SLICE_ROWS:
        df.to_parquet(path, index=False)
        return
    import pyarrow as pa

    schema = pa.Schema.from_pandas(df, preserve_index=False)
    slices = (
        pa.Table.from_pandas(df.iloc[start : start + PARQUET_SLICE_ROWS], schema=schema, preserve_index=False)
        for start in range(0, len(df), PARQUET_SLICE_ROWS)
    )
    _write_parquet_slices(slices, schema, path)


def write_slices(slices: Iterable[pa.Table], schema: pa.Schema, path: str | Path) -> Path:
    """Rows that come a slice at a time (from an engine that holds them elsewhere), in order, as
    one file: Parquet, a row group per slice, each slice a table of `schema` (as
    `pa.Schema.from_pandas` gives it for the whole rows); or CSV, by the extension of `path`;
    atomically."""
    path = Path(path)
    if _check_suffix(path) == ".parquet":
        return _replacing(path, lambda p: _write_parquet_slices(slices, schema, p))
    import pyarrow as pa

    return write_table(pa.concat_tables([schema.empty_table(), *slices]).to_pandas(), path)


def _write_parquet_slices(slices: Iterable[pa.Table], schema: pa.Schema, path: Path) -> None:
    import pyarrow.parquet as pq

    with pq.ParquetWriter(path, schema) as writer:
        for part in slices:
            writer.write_table(part)
