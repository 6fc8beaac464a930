"""The standardise stage: staged rows in, clean rows out (standard value, raw value, status).

`standardise()` composes the per-kind standardisers in the order their inputs need: text
hygiene, country, one-line addresses (which may name the country), phone (which needs the
country), country inferred from the phone, postal code and region (which need the country),
names, email, dates. Large frames are split into chunks over processes.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..progress import Steps, tell
from ..schema import (
    DATE_FIELDS,
    DERIVED_COLUMNS,
    FIELDS,
    STAGED_COLUMNS,
    Status,
    max_length,
    raw_column,
    status_column,
)
from .address import parse_addresses
from .country import resolve_country, standardise_countries
from .date import date_order, standardise_dates
from .email import standardise_emails
from .name import proper_case, standardise_names
from .options import StandardiseOptions
from .phone import phone_regions, standardise_phones
from .postal import guess_country, standardise_postal_codes
from .region import standardise_regions
from .text import clean_series

__all__ = ["standardise"]

#: Rows from which the work is spread over processes.
PARALLEL_FROM = 200_000
CHUNK_ROWS = 50_000
#: Countries that write numeric dates month first.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "FM", "MH", "PW", "BZ"})
EXTRA_DERIVED = ("phone_extension",)
#: Fields whose line breaks hygiene keeps (for the address parser); joined by ", " after it.
MULTI_LINE = ("address_line1",)

VALID, FIXED, INFERRED, INVALID, MISSING = (s.value for s in Status)
DateOrders = dict[tuple[str, str], bool]


def standardise(
    staged: pd.DataFrame,
    options: StandardiseOptions | None = None,
    *,
    steps: Steps | None = None,
    orders: DateOrders | None = None,
) -> pd.DataFrame:
    """Standard value, raw value and status for every field of every staged row (same rows, order,
    index). `steps` hears the rows done as each chunk comes back.

    `orders`: the date orders decided on the whole input (`decide_date_orders`), when `staged` is
    one part of it (a Spark task's rows); decided on `staged` when not given."""
    options = options or StandardiseOptions()
    workers = options.workers or os.cpu_count() or 1
    tell(steps, 0, len(staged))
    if len(staged) < PARALLEL_FROM or workers < 2:
        orders = decide_date_orders(staged, options) if orders is None else orders
        # In one piece, or, when someone watches, in chunks (the same work: rows are independent).
        size = CHUNK_ROWS if steps is not None else max(len(staged), 1)
        parts = []
        for start in range(0, len(staged), size):
            parts.append(_compute(staged.iloc[start : start + size], options, orders))
            tell(steps, min(start + size, len(staged)), len(staged))
        return _assemble(staged, parts or [_compute(staged, options, orders)])
    n_chunks = chunk_count(len(staged), workers)
    size = math.ceil(len(staged) / n_chunks)
    chunks = (staged.iloc[i : i + size] for i in range(0, len(staged), size))
    parts = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context()) as pool:
        try:
            for _ in range(workers):  # they start, and import the standardisers, while
                pool.submit(_started)  # the date orders are decided here
            orders = decide_date_orders(staged, options) if orders is None else orders
            for part in pool.map(_compute, chunks, [options] * n_chunks, [orders] * n_chunks):
                parts.append(part)
                tell(steps, min(len(parts) * size, len(staged)), len(staged))
        except BaseException:  # Ctrl-C: wait for the chunks running, not for every chunk queued
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return _assemble(staged, parts)


def _started() -> None:
    """A worker's first task: unpickling it imports this module, and with it every standardiser."""


def chunk_count(rows: int, workers: int) -> int:
    """Chunks of about `CHUNK_ROWS`, as many for each worker: with one chunk more than a multiple
    of the workers, the others wait while one worker does the last chunk (at a million rows, 21
    chunks on 2 workers: one worker does an 11th chunk alone)."""
    return workers * max(1, math.ceil(rows / CHUNK_ROWS / workers))


def _process_context() -> multiprocessing.context.BaseContext | None:
    """Fresh worker processes (forkserver) rather than forks of a parent holding the whole input:
    a fork's copy-on-write pages get copied as soon as Python touches their reference counts."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return None


def decide_date_orders(staged: pd.DataFrame, options: StandardiseOptions) -> DateOrders:
    """Day-first (True) or month-first per (source, date column), decided on the whole input."""
    default = options.day_first
    if default is None:
        default = resolve_country(options.default_country) not in MONTH_FIRST_COUNTRIES
    sources = _text(staged, "source").fillna("")
    orders: DateOrders = {}
    for field in DATE_FIELDS:
        if field not in staged.columns:
            continue
        values = staged[field]
        for source, group in values.groupby(sources, sort=False):
            found = date_order(group) if options.day_first is None else None
            orders[(str(source), field)] = default if found is None else found
    return orders


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame.columns:
        return frame[column].astype(object).where(frame[column].notna(), None)
    return pd.Series(None, index=frame.index, dtype=object)


Packed = np.ndarray | pa.Array | pa.ChunkedArray | pd.Categorical
#: One chunk's new columns, packed (see `_pack`).
Computed = dict[str, Packed]


def _compute(staged: pd.DataFrame, options: StandardiseOptions, orders: DateOrders) -> Computed:
    """The new columns as arrays, compactly (what crosses between processes).

    A standard value is only given where it differs from the raw one (status not `valid`), and a
    cleaned custom column only where hygiene changed it: `_assemble` takes the rest from the
    input, so unchanged text is neither copied nor pickled.
    """
    staged = staged.reset_index(drop=True)  # positions, whatever the caller's index (duplicates too)
    raw = {field: _column(staged, field) for field in FIELDS}
    result = _Fields(raw, {field: clean_series(raw[field], field in MULTI_LINE) for field in FIELDS})
    default_country = resolve_country(options.default_country)
    _countries_and_addresses(result, options, default_country)
    _join_lines(result)
    _country_from_postal_code(result, options)
    _phones(result, options, default_country)
    _postal_and_region(result, options, default_country)
    _names(result, options)
    _emails(result, options)
    _dates(result, options, orders, _text(staged, "source").fillna(""))
    columns: dict[str, pd.Series] = {}
    for field in FIELDS:
        status = result.status[field]
        columns[field] = result.value[field].where(status != VALID, None)
        columns[status_column(field)] = status
    columns.update(result.derived)
    for column in staged.columns:
        if column not in FIELDS and _is_text(staged[column]):
            cleaned = clean_series(staged[column])
            changed = staged[column].notna() & (cleaned != staged[column].astype(object))
            columns[_CLEANED + column] = cleaned.where(changed, None)
    return {key: _pack(key, values.to_numpy()) for key, values in columns.items()}


_STATUS_COLUMNS = frozenset(status_column(field) for field in FIELDS)


def _pack(key: str, values: np.ndarray) -> Packed:
    """The column in a compact form that unpacks to the very same values.

    An object array holds one Python object per row, which costs the parent gigabytes when all
    chunks' results are gathered: statuses (five words) travel as a categorical, text as one
    Arrow buffer. Anything else (NaN, numbers) stays an object array.
    """
    if values.dtype != object:
        return values
    if key in _STATUS_COLUMNS and pd.notna(values).all():
        return pd.Categorical(values)
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowException, TypeError, ValueError):
        return values


def _unpack(packed: Packed) -> np.ndarray:
    if isinstance(packed, (pa.Array, pa.ChunkedArray)):  # chunked: over 2 GiB of text
        return packed.to_numpy(zero_copy_only=False)
    if isinstance(packed, pd.Categorical):
        return np.asarray(packed.astype(object), dtype=object)
    return packed


def _take(parts: list[Computed], key: str) -> np.ndarray:
    """One column of every chunk, unpacked and joined; the chunks' copies are dropped as it goes.
    A missing value is None whichever chunk it came from (a chunk whose values are all missing
    would otherwise give None where the others give NaN, and the result would depend on chunking)."""
    packed = [part.pop(key) for part in parts]
    nan = any(_may_hold_nan(p) for p in packed)
    joined = np.concatenate([_unpack(p) for p in packed])
    if joined.dtype == object and nan:
        joined[pd.isna(joined)] = None
    return joined


def _may_hold_nan(packed: Packed) -> bool:
    """Whether an unpacked column may hold NaN for a missing value (Arrow's nulls unpack as None;
    a categorical without missing values has none): only then is every value tested."""
    if isinstance(packed, (pa.Array, pa.ChunkedArray)):
        return False
    if isinstance(packed, pd.Categorical):
        return bool((packed.codes == -1).any())
    return True


_CLEANED = "\0cleaned:"


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame.columns:
        return frame[column]
    return pd.Series(None, index=frame.index, dtype=object)


def _assemble(staged: pd.DataFrame, parts: list[Computed]) -> pd.DataFrame:
    """Input columns (custom ones cleaned), then each field's value, raw value and status, then derived.

    Columns are unpacked one at a time, so only one column's Python objects exist at once.
    """
    out = staged.copy(deep=False)
    for column in STAGED_COLUMNS:
        if column not in out.columns:
            out[column] = pd.Series(None, index=out.index, dtype=object)
    for column in staged.columns:
        if _CLEANED + column in parts[0]:
            cleaned = _take(parts, _CLEANED + column)
            out[column] = _merge(out[column], cleaned, pd.isna(cleaned))
    for field in FIELDS:
        raw = out[field]
        status = _take(parts, status_column(field))
        value = _merge(raw, _take(parts, field), status == VALID)
        value, status = _truncate(value, status, max_length(field))
        out[field] = value
        out[raw_column(field)] = raw
        out[status_column(field)] = status
    for column in dict.fromkeys((*DERIVED_COLUMNS, *EXTRA_DERIVED)):  # each once: `_take` consumes
        if column in parts[0]:
            out[column] = _take(parts, column)
        else:  # its standardiser is switched off
            out[column] = False if column == "email_role" else None
    return out


def _truncate(value: pd.Series, status: np.ndarray, limit: int) -> tuple[pd.Series, np.ndarray]:
    """Values longer than the store's column cut to fit, status `fixed` (the raw value keeps it all)."""
    too_long = _longer_than(value, limit)
    if not too_long.any():
        return value, status
    value = value.copy()
    value[too_long] = value[too_long].astype("string").str.slice(0, limit).str.rstrip()
    status = np.where(too_long, Status.FIXED.value, status)
    return value, status


def _longer_than(value: pd.Series, limit: int) -> np.ndarray:
    """Which values have more than `limit` characters (code points, as `len` counts), counted in
    Arrow (pandas 2 would make a Python string series to count them); missing ones are not."""
    try:
        text = pa.array(value, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # not all text (or a lone surrogate)
        lengths = value.astype("string").str.len()
        return (lengths > limit).fillna(False).to_numpy(dtype=bool)
    longer = pc.fill_null(pc.greater(pc.utf8_length(text), limit), False)
    return np.asarray(longer.to_numpy(zero_copy_only=False), dtype=bool)


def _merge(raw: pd.Series, values: np.ndarray, keep_raw: np.ndarray) -> pd.Series:
    """`raw` where `keep_raw`, else `values`; in the raw column's text dtype, so text stays compact."""
    if isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow":
        merged = _merge_arrow(raw, values, keep_raw)
        if merged is not None:
            return merged
    merged = np.where(keep_raw, raw.to_numpy(dtype=object), values)
    dtype = raw.dtype if isinstance(raw.dtype, pd.StringDtype) else object
    return pd.Series(merged, index=raw.index, dtype=dtype)


def _merge_arrow(raw: pd.Series, values: np.ndarray, keep_raw: np.ndarray) -> pd.Series | None:
    """`_merge` of an Arrow text column (pandas 3) chosen in Arrow: the raw text is not made into
    Python strings and back (most rows keep it). None when `values` are not all text or missing."""
    try:
        new = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    merged = pc.if_else(pa.array(keep_raw, type=pa.bool_()), pa.array(raw.array, type=pa.large_string()), new)
    return pd.Series(pd.array(merged, dtype=raw.dtype), index=raw.index)


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


class _Fields:
    """Standard values and statuses being built; starts as text hygiene only (valid/fixed/missing)."""

    def __init__(self, raw: dict[str, pd.Series], clean: dict[str, pd.Series]) -> None:
        self.hygiene = {f: (clean[f].notna() & (clean[f] != raw[f].astype(object))) for f in FIELDS}
        self.text = clean  # the input after text hygiene, before any standardiser
        self.value = dict(clean)
        self.status = {f: _hygiene_status(clean[f], self.hygiene[f]) for f in FIELDS}
        self.derived: dict[str, pd.Series] = {}

    def set(self, field: str, frame: pd.DataFrame, value: str = "value", status: str = "status") -> None:
        """Take a standardiser's result; a value it calls valid but hygiene changed is `fixed`."""
        self.value[field] = frame[value].astype(object)
        statuses = frame[status].astype(object)
        self.status[field] = statuses.mask(self.hygiene[field] & (statuses == VALID), FIXED)

    def infer(self, field: str, values: pd.Series) -> None:
        """Fill the field's missing rows from `values` (status inferred)."""
        fill = self.value[field].isna() & values.notna()
        self.value[field] = self.value[field].mask(fill, values)
        self.status[field] = self.status[field].mask(fill, INFERRED)


def _hygiene_status(values: pd.Series, changed: pd.Series) -> pd.Series:
    status = pd.Series(VALID, index=values.index, dtype=object)
    return status.mask(changed, FIXED).mask(values.isna(), MISSING)


def _countries_and_addresses(f: _Fields, options: StandardiseOptions, default: str | None) -> None:
    if options.country:
        f.set("country", standardise_countries(f.value["country"]))
    if not options.address:
        return
    one_line = f.value["address_line1"].notna() & f.value["city"].isna() & f.value["postal_code"].isna()
    if not one_line.any():
        return
    hints = f.value["country"][one_line].fillna(default) if default else f.value["country"][one_line]
    parsed = parse_addresses(f.value["address_line1"][one_line], hints)
    done = parsed["city"].notna() | parsed["postal_code"].notna()
    parsed = parsed[done]
    line1 = f.value["address_line1"].copy()
    line1[parsed.index] = parsed["address_line1"]
    f.value["address_line1"] = line1
    taken = line1.index.isin(parsed.index)
    f.status["address_line1"] = (
        f.status["address_line1"].mask(taken, FIXED).mask(taken & line1.isna(), MISSING)
    )
    for field in ("city", "postal_code", "region", "country"):
        f.infer(field, parsed[field].reindex(line1.index))


def _join_lines(f: _Fields) -> None:
    """Lines the address parser did not take apart stay apart: joined by ", ", not run together."""
    for field in MULTI_LINE:
        values = f.value[field]
        multi = values.str.contains("\n", regex=False, na=False).astype(bool)
        if multi.any():
            f.value[field] = values.mask(multi, values[multi].str.replace("\n", ", ", regex=False))
            f.status[field] = f.status[field].mask(multi & (f.status[field] == VALID), FIXED)


def _country_from_postal_code(f: _Fields, options: StandardiseOptions) -> None:
    """An empty country where the postal code fits only one country's format (SW1A 1AA -> GB)."""
    if not (options.country and options.address):
        return
    unknown = f.value["country"].isna() & f.value["postal_code"].notna()
    if unknown.any():
        codes = f.value["postal_code"][unknown]
        f.infer("country", codes.map(guess_country).astype(object).reindex(f.value["country"].index))


def _phones(f: _Fields, options: StandardiseOptions, default: str | None) -> None:
    if not options.phone:
        return
    countries = f.value["country"]
    if not options.country:  # the column stays as written; the phones still need its country
        countries = standardise_countries(countries)["value"]
    regions = phone_regions(countries, f.text["country"])
    phones = standardise_phones(f.value["phone"], regions, default)
    f.set("phone", phones)
    f.derived["phone_type"] = phones["type"]
    f.derived["phone_timezone"] = phones["timezone"]
    f.derived["phone_extension"] = phones["extension"]
    if options.country:
        f.infer("country", phones["region"].where(phones["international"].astype(bool)))


def _postal_and_region(f: _Fields, options: StandardiseOptions, default: str | None) -> None:
    """Postal codes strictly in the row's own country's format, leniently in the default's."""
    if not options.address:
        return
    own = f.value["country"]
    countries = own.fillna(default) if default else own
    postal = standardise_postal_codes(f.value["postal_code"], countries, strict=own.notna())
    regions = standardise_regions(f.value["region"], countries)
    for field, result in (("postal_code", postal), ("region", regions)):
        inferred = f.status[field] == INFERRED
        result["status"] = result["status"].mask(inferred & result["value"].notna(), INFERRED)
        f.set(field, result)
    city = f.value["city"]
    recased = city.map(_recase_city, na_action="ignore")
    changed = city.notna() & (recased != city)
    f.value["city"] = recased.astype(object).where(city.notna(), None)
    f.status["city"] = f.status["city"].mask(changed & (f.status["city"] == VALID), FIXED)


def _recase_city(city: str) -> str:
    return proper_case(city) if city.isupper() or city.islower() else city


def _names(f: _Fields, options: StandardiseOptions) -> None:
    if not options.name:
        f.derived["first_name_match"] = f.value["first_name"].str.casefold()
        return
    names = standardise_names(f.value["first_name"], f.value["last_name"], f.value["full_name"])
    for field in ("first_name", "last_name", "full_name"):
        f.set(field, names, field, f"{field}_status")
    f.derived["first_name_match"] = names["first_name_match"]


def _emails(f: _Fields, options: StandardiseOptions) -> None:
    if not options.email:
        f.derived["email_role"] = pd.Series(False, index=f.value["email"].index)
        return
    emails = standardise_emails(f.value["email"], options.fix_email_typos)
    f.set("email", emails)
    f.derived["email_role"] = emails["role"].astype(bool)


def _dates(f: _Fields, options: StandardiseOptions, orders: DateOrders, sources: pd.Series) -> None:
    if not options.date:
        return
    for field in DATE_FIELDS:
        parts = []
        for source, values in f.value[field].groupby(sources, sort=False):
            day_first = orders.get((str(source), field), True)
            parts.append(
                standardise_dates(
                    values, day_first, birth=field == "date_of_birth", with_time=field != "date_of_birth"
                )
            )
        if parts:  # no parts when there are no rows
            f.set(field, pd.concat(parts).reindex(f.value[field].index))
