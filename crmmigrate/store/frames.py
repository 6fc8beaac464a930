"""Golden and cross-reference frames in the store's shape, with values normalised to text.

Loading, diffing and checksums all go through these functions, so a value read back from any of
the three databases compares equal to the value that was loaded: text for every field, NULL
(None) for anything missing (NaN, None, pd.NA, empty text), custom fields as canonical JSON.

The rows of a load are held in Arrow (`customer_rows`, `xref_frame`: pandas columns of ArrowDtype,
null for missing) and become Python values only an insert batch at a time (`write._Rows`), so a
million customers never exist as Python strings at once; `customer_frame` is their Python view.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from ..text_columns import arrow_text, text_column
from . import tables
from .values import KINDS, canonical_text, stored_text

#: Golden columns that are never custom fields (working columns of earlier stages).
_INTERNAL = {"member_count", "match_score", "cluster_id", "source", "source_row", "source_key"}
_INTERNAL_SUFFIXES = ("_raw", "_status", "_match")

#: Columns the checksum covers: the record's identity and content, not bookkeeping.
CHECKSUM_COLUMNS = ("customer_id", "household_id", *schema.FIELDS, "extra")


def _as_arrow(texts: pd.Series) -> pa.Array:
    return pa.array(texts.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def custom_columns(golden: pd.DataFrame) -> list[str]:
    """Columns of a golden frame that are custom fields (stored together in `extra`)."""
    known = {*tables.CUSTOMER_COLUMNS, tables.RUN_COLUMN}
    return sorted(
        c
        for c in golden.columns
        if c not in known and c not in _INTERNAL and not str(c).endswith(_INTERNAL_SUFFIXES)
    )


def _extra(golden: pd.DataFrame, columns: list[str]) -> pa.Array:
    """Canonical JSON (sorted keys, filled values only) of the custom fields, null when all empty:
    what `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` writes, built in Arrow."""
    if not columns:
        return pa.nulls(len(golden), pa.string())
    members = []  # `,"name":value` of each filled value, "" of each empty one
    for column in columns:
        value = _json_texts(arrow_text(golden[column]))
        members.append(pc.fill_null(pc.binary_join_element_wise("," + _json_text(column), value, ":"), ""))
    joined = pc.binary_join_element_wise(*members, "")
    joined = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", "")


def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


#: Characters `json.dumps` escapes in a string (with ensure_ascii=False).
_JSON_ESCAPED = r'[\x00-\x1f"\\]'


def _json_texts(text: pa.Array) -> pa.Array:
    """Each text value as a JSON string (null stays null): quoted in Arrow, escaped by `json`
    only where a value holds a quote, a backslash or a control character."""
    quoted = pc.binary_join_element_wise('"', text, '"', "")
    odd = pc.fill_null(pc.match_substring_regex(text, _JSON_ESCAPED), False)
    if pc.any(odd).as_py():
        where = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
        out = quoted.to_numpy(zero_copy_only=False).astype(object)
        out[where] = [_json_text(v) for v in text.take(pa.array(where)).to_pylist()]
        quoted = pa.array(out, type=pa.string(), from_pandas=True)
    return quoted


def _member_counts(golden: pd.DataFrame, xref: pd.DataFrame | None) -> pa.Array:
    """Each golden record's number of source rows (from its `member_count`, else counted in the
    cross-reference), as Arrow int64; null when unknown."""
    if "member_count" in golden.columns:
        counts = pd.to_numeric(golden["member_count"], errors="coerce")
    elif xref is not None and "customer_id" in xref.columns:
        per_id = xref["customer_id"].astype(object).value_counts()
        counts = golden["customer_id"].astype(object).map(per_id)
    else:
        return pa.nulls(len(golden), pa.int64())
    filled = counts.notna().to_numpy()
    numbers = np.zeros(len(counts), dtype=np.int64)
    numbers[filled] = counts[filled].astype("int64").to_numpy()
    return pa.array(numbers, mask=~filled)


def customer_texts(golden: pd.DataFrame) -> dict[str, pa.Array]:
    """The text columns of the `customers` table (all but `member_count`) for a golden frame, in
    Arrow: typed values in the form the store gives them back (UTC, ISO 8601), custom fields as JSON."""
    return checked_customer_texts(golden)[0]


def checked_customer_texts(golden: pd.DataFrame) -> tuple[dict[str, pa.Array], dict[str, np.ndarray]]:
    """`customer_texts`, and for each typed column which values are not readable as its kind (kept
    as they are, for the load's check to name)."""
    out, unreadable = {}, {}
    for column in tables.CUSTOMER_COLUMNS:
        if column == "member_count":
            continue
        if column == "extra":
            out[column] = _extra(golden, custom_columns(golden))
        elif column in golden.columns:
            text = arrow_text(golden[column])
            if column in KINDS:
                text, unreadable[column] = canonical_text(text, KINDS[column])
            out[column] = text
        else:
            out[column] = pa.nulls(len(golden), pa.string())
    return out, unreadable


def customer_rows(
    golden: pd.DataFrame, xref: pd.DataFrame | None = None, texts: dict[str, pa.Array] | None = None
) -> pd.DataFrame:
    """The golden set as rows of the `customers` table, held in Arrow (`arrow_column`s; null for
    missing): a million customers' values as Python objects are more than a GiB, and the load needs
    them only an insert batch at a time (`write._Rows`). `texts`: its `customer_texts`, when the
    caller has them already."""
    texts = texts if texts is not None else customer_texts(golden)
    return pd.DataFrame(
        {
            column: arrow_column(_member_counts(golden, xref) if column == "member_count" else texts[column])
            for column in tables.CUSTOMER_COLUMNS
        }
    )


def customer_frame(
    golden: pd.DataFrame, xref: pd.DataFrame | None = None, texts: dict[str, pa.Array] | None = None
) -> pd.DataFrame:
    """`customer_rows` as Python values (object columns; None for missing)."""
    rows = customer_rows(golden, xref, texts)
    return pd.DataFrame({c: python_values(rows[c]) for c in rows.columns})


def arrow_column(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """An Arrow array as a pandas column that keeps it as it is (pandas' ArrowDtype), values made
    Python objects only when asked (`python_values`)."""
    return pd.Series(pd.arrays.ArrowExtensionArray(values))


def arrow_of(series: pd.Series) -> pa.Array:
    """The Arrow array behind an `arrow_column`, in one chunk."""
    values = pa.array(series.array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def python_values(series: pd.Series) -> pd.Series:
    """A column as Python values, None for every missing one (an `arrow_column`'s nulls included),
    in an object Series on the same index."""
    values = series.to_numpy(dtype=object, na_value=None)
    return pd.Series(values, index=series.index, dtype=object)


def source_ids(keys: pd.Series, rows: pd.Series, given: pd.Series | None = None) -> pd.Series:
    """The identity of each source row within its source, as `customer_sources` keys it: the legacy
    key (trimmed); without one, the identity the dedupe stage `given` it (`~<digest>` of the row's
    values), else `#<source_row>` (cross-references written before content identities);
    `sha256:<hex>` of a key longer than `tables.SOURCE_ID_LENGTH` characters. The same identity as
    the dedupe stage's stable ids (`dedupe.ids.identities`, without the `source|` prefix), so the
    stored row a run finds for a legacy record is the one the ids were matched on. `keys` as
    `text_column` gives them; in Arrow, as a Python loop costs seconds per million rows."""
    stated = None if given is None else _as_arrow(given)
    ids = _source_id_text(_as_arrow(keys), rows, stated).to_numpy(zero_copy_only=False)
    return pd.Series(ids, index=keys.index, dtype=object)


def _source_id_text(keys: pa.Array, rows: pd.Series, given: pa.Array | None) -> pa.Array:
    """`source_ids` of Arrow text (null for missing)."""
    key = pc.utf8_trim_whitespace(keys)
    key = pc.if_else(pc.equal(key, ""), pa.scalar(None, pa.string()), key)
    long = pc.fill_null(pc.greater(pc.utf8_length(key), tables.SOURCE_ID_LENGTH), False)
    if pc.any(long).as_py():
        where = np.flatnonzero(long.to_numpy(zero_copy_only=False))
        values = key.to_numpy(zero_copy_only=False).astype(object)
        values[where] = [_digest(values[i]) for i in where]
        key = pa.array(values, type=pa.string(), from_pandas=True)
    numbers = pd.array(pd.to_numeric(rows, errors="coerce"), dtype="Int64")
    row_text = pa.array(numbers.astype("string[pyarrow]"), type=pa.string())
    by_row = pc.binary_join_element_wise("#", row_text, "")
    if given is not None:
        by_row = pc.coalesce(given, by_row)
    return pc.coalesce(key, by_row)


def _digest(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def xref_frame(xref: pd.DataFrame) -> pd.DataFrame:
    """The cross-reference as rows of `customer_sources` (its `source_id` computed here): text and
    scores held in Arrow (`arrow_column`), as in `customer_rows`."""
    n = len(xref)
    key = arrow_text(xref["source_key"]) if "source_key" in xref.columns else pa.nulls(n, pa.string())
    given = arrow_text(xref["source_id"]) if "source_id" in xref.columns else None
    source_row = _int_column(xref["source_row"]).reset_index(drop=True)
    if "match_score" in xref.columns:
        scores = pd.to_numeric(xref["match_score"], errors="coerce").astype(float).to_numpy()
        score = pa.array(scores, type=pa.float64(), from_pandas=True)  # NaN: null
    else:
        score = pa.nulls(n, pa.float64())
    return pd.DataFrame(
        {
            "source": arrow_column(arrow_text(xref["source"])),
            "source_row": source_row,
            "source_key": arrow_column(key),
            "source_id": arrow_column(_source_id_text(key, source_row, given)),
            "customer_id": arrow_column(arrow_text(xref["customer_id"])),
            "match_score": arrow_column(score),
        }
    )


def lineage_frame(lineage: pd.DataFrame) -> pd.DataFrame:
    """Field lineage as rows of `golden_lineage` (which source row each golden value came from).

    Categorical text columns (as `dedupe` gives them) stay categorical, their categories normalised:
    9M lineage rows at a million customers become text only a batch at a time, as they are
    inserted (`write._rows`)."""
    out = pd.DataFrame(index=lineage.index)
    for column in ("customer_id", "field", "source"):
        series = lineage[column]
        is_categorical = isinstance(series.dtype, pd.CategoricalDtype)
        out[column] = text_categorical(series) if is_categorical else text_column(series)
    out["source_row"] = _int_column(lineage["source_row"])
    return out.reset_index(drop=True)


def text_categorical(series: pd.Series) -> pd.Series:
    """A categorical column whose values read as `text_column` gives them (categories that read as
    missing, or as the same text, merged), without a Python object per row."""
    texts = text_column(pd.Series(series.cat.categories.to_numpy(dtype=object), dtype=object))
    remap, categories = pd.factorize(texts.to_numpy(dtype=object), use_na_sentinel=True)
    codes = series.cat.codes.to_numpy()
    codes = np.where(codes >= 0, remap[codes], -1)
    values = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
    return pd.Series(values, index=series.index)


def _int_column(series: pd.Series) -> pd.Series:
    """Whole numbers as int64 (the lineage's 9M source rows at a million customers stay one array);
    as Python ints or None only when some are missing."""
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().all():
        return numbers.astype("int64")
    return _python_ints(numbers)


def _python_ints(numbers: pd.Series) -> pd.Series:
    values = np.full(len(numbers), None, dtype=object)
    filled = numbers.notna().to_numpy()
    values[filled] = numbers[filled].astype("int64").tolist()
    return pd.Series(values, index=numbers.index, dtype=object)


def frame_checksum(rows: pd.DataFrame) -> str:
    """Order-independent sha256 over `CHECKSUM_COLUMNS` of rows in the `customers` shape.

    Each row becomes its values joined by U+001F (missing as U+0000) and is hashed; the sorted row
    digests are hashed again. Any tool can recompute it from the same text values. Values as read
    from a store (text or None) need no `text_column` first: empty text counts as missing here too.
    """
    return combined_checksum([row_digests(rows)])


def row_digests(rows: pd.DataFrame) -> np.ndarray:
    """The sha256 of each row of `frame_checksum`, as 4 big-endian words a row: the checksum of
    any number of parts of a set of rows is `combined_checksum` of their digests (a store's
    customers are hashed a slice at a time, never all held as Python values at once)."""
    return text_digests({c: arrow_text(rows[c], bytes_as_text=True) for c in CHECKSUM_COLUMNS})


def text_digests(texts: Mapping[str, pa.Array]) -> np.ndarray:
    """`row_digests` of rows held as Arrow text columns (null for missing, no empty text), as
    `stored_texts` gives them."""
    return _digests([texts[c] for c in CHECKSUM_COLUMNS])


def stored_texts(rows: Sequence[tuple], names: Sequence[str]) -> dict[str, pa.Array]:
    """Rows as a driver gives them (tuples of `names`) as Arrow text columns, each value as
    `row_digests` reads it once `stored_text` has read it back: typed values in the pipeline's
    text, empty text as null. A column of text and None (SQLite gives every column so) becomes
    Arrow in one call, without a pandas frame of Python values; another (a driver's dates, JSON
    as dicts, numbers) goes through `stored_text` and `text_column`."""
    out = {}
    for name, values in zip(names, zip(*rows, strict=True) if rows else [()] * len(names), strict=True):
        text = _driver_text(values, strict=name in KINDS)
        if text is None:
            read_back = stored_text(pd.DataFrame({name: pd.Series(values, dtype=object)}))[name]
            out[name] = arrow_text(read_back, bytes_as_text=True)
            continue
        if name in KINDS:
            text = canonical_text(text, KINDS[name])[0]
        out[name] = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return out


def _driver_text(values: Sequence[object], strict: bool) -> pa.Array | None:
    """`values` as Arrow text when every one is str or None, else None. Not `strict`, bytes are
    taken as UTF-8 text too, as `row_digests` takes them (and Arrow is faster told the type)."""
    try:
        text = pa.array(values) if strict else pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if pa.types.is_null(text.type):
        return text.cast(pa.string())
    return text if pa.types.is_string(text.type) else None


def _checksum(columns: list[pa.Array]) -> str:
    """`frame_checksum` of text columns (null for missing)."""
    return combined_checksum([_digests(columns)])


def _digests(columns: list[pa.Array]) -> np.ndarray:
    """The rows are joined in Arrow: only the hashing is per row."""
    texts = pc.binary_join_element_wise(*(pc.fill_null(c, "\x00") for c in columns), "\x1f")
    sha256 = hashlib.sha256
    digests = b"".join([sha256(t).digest() for t in texts.cast(pa.binary()).to_pylist()])
    return np.frombuffer(digests, dtype=">u8").reshape(-1, 4)  # each digest as 4 big-endian words


def combined_checksum(parts: list[np.ndarray]) -> str:
    """The digests of all parts sorted (in numpy) and hashed again: the order of rows and parts
    does not matter."""
    sha256 = hashlib.sha256
    words = np.concatenate([*parts, np.empty((0, 4), dtype=">u8")]).astype(">u8", copy=False)  # (native)
    order = np.argsort(words[:, 0], kind="stable")
    first = words[order, 0]
    if len(first) > 1 and (first[1:] == first[:-1]).any():  # digests alike in their first 8 bytes
        order = np.lexsort(words.T[::-1])  # byte order of the whole digests
    return sha256(words[order].tobytes()).hexdigest()


def golden_checksum(golden: pd.DataFrame) -> str:
    """The checksum of a golden frame, equal to `Store.checksum()` over the same customers once
    loaded: `frame_checksum(customer_frame(golden))`, computed on Arrow columns."""
    texts = customer_texts(golden)
    return _checksum([texts[c] for c in CHECKSUM_COLUMNS])


def equal_rows(left: pd.DataFrame, right: pd.DataFrame, columns: Iterable[str]) -> np.ndarray:
    """Row-wise equality of two aligned frames of normalised values (None for missing; null in an
    `arrow_column`) over `columns`."""
    same = np.ones(len(left), dtype=bool)
    for c in columns:
        a, b = _comparable(left[c]), _comparable(right[c])
        if len(a):
            same &= np.asarray(a == b, dtype=bool)
    return same


def _comparable(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.ArrowDtype):
        return series.to_numpy(dtype=object, na_value=None)
    return series.to_numpy(dtype=object)
