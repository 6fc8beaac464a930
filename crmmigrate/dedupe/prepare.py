"""The match frame: the clean set reduced to the normalised values that matching compares.

Normalising once, per distinct value, keeps every later step (blocking keys, comparisons, term
frequencies) vectorised and free of per-row Python work. Missing values are `None`, and any column
the clean set lacks (or leaves empty) is simply missing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from anyascii import anyascii

from .. import schema
from ..memory import give_back_memory

#: Columns that describe a record rather than identify a person; never compared.
METADATA_FIELDS = ("created_at", "updated_at")

_PUNCT = re.compile(r"[^\w@.+ ]+", re.UNICODE)
_SPACES = re.compile(r"\s+")

#: Street words written many ways; normalised so that "Hauptstr." and "Hauptstrasse" agree.
_STREET_WORDS = {
    "street": "st",
    "str": "strasse",
    "straße": "strasse",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "drive": "dr",
    "lane": "ln",
    "place": "pl",
    "court": "ct",
    "boulevard": "blvd",
    "square": "sq",
    "crescent": "cres",
    "terrace": "tce",
    "highway": "hwy",
    "parade": "pde",
    "close": "cl",
    "circuit": "cct",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "apartment": "apt",
    "flat": "apt",
    "unit": "apt",
    "weg": "weg",
    "platz": "pl",
    "allee": "allee",
    "rue": "rue",
}
#: Numbered streets as numbers, as USPS Publication 28 writes them (Fifth Avenue: 5th Ave).
_ORDINALS = (  # noqa: SIM905 - a list of twenty words reads better as one string
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_STREET_WORDS.update(
    {word: f"{n}{'th' if n > 3 else ('st', 'nd', 'rd')[n - 1]}" for n, word in enumerate(_ORDINALS, start=1)}
)
_TENS = {"twenty": 2, "thirty": 3, "forty": 4, "fifty": 5, "sixty": 6, "seventy": 7, "eighty": 8, "ninety": 9}
_STREET_WORDS.update({f"{word[:-1]}ieth": f"{tens}0th" for word, tens in _TENS.items()})  # thirtieth: 30th
#: Twenty-first .. ninety-ninth, written as two words once folded: 21st .. 99th.
_COMPOUND_ORDINAL = re.compile(rf"\b({'|'.join(_TENS)}) ({'|'.join(_ORDINALS[:9])})\b")


def _compound_ordinal(match: re.Match[str]) -> str:
    unit = _STREET_WORDS[match.group(2)]
    return f"{_TENS[match.group(1)]}{unit}"


_STREET_SUFFIX = re.compile(r"(?<=\w)(strasse|straße|str)\b")

#: Legal forms stripped from company names before comparing them.
_LEGAL_FORMS = {
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "plc",
    "co",
    "corp",
    "corporation",
    "company",
    "sa",
    "sarl",
    "sas",
    "srl",
    "spa",
    "bv",
    "nv",
    "ab",
    "as",
    "oy",
    "e.v.",
    "ev",
    "mbh",
    "pty",
    "the",
    "und",
    "and",
    "&",
}

COMPANY_TOKEN_SPLIT = re.compile(r"\s+")


#: Letters of the alphabets whose names exports also write in Latin letters (Иван Петров and Ivan
#: Petrov, Γιώργος and Giorgos): Greek, Cyrillic, Armenian, Georgian. They are transliterated
#: before comparing. Scripts whose romanisation would merge different names (Chinese characters
#: sharing a reading, Arabic and Hebrew without their vowels) stay as they are.
_ALPHABETS = re.compile("[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0531-\u058f\u10a0-\u10ff\u1c90-\u1cbf]+")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, Greek, Cyrillic, Armenian and Georgian
    letters in Latin: the form names are compared in."""
    if text.isascii():  # most names and places: nothing to decompose (the same result, faster)
        ascii_like = text.lower()
    else:
        text = _ALPHABETS.sub(lambda m: anyascii(m.group()).replace("'", ""), text)  # ь: no word break
        text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l")
        decomposed = unicodedata.normalize("NFKD", text.lower())
        ascii_like = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _PUNCT.sub(" ", ascii_like)).strip()


def _street(text: str) -> str:
    folded = _STREET_SUFFIX.sub(" strasse", fold(text.replace(".", " ")))
    folded = _COMPOUND_ORDINAL.sub(_compound_ordinal, folded)
    return " ".join(_STREET_WORDS.get(w, w) for w in folded.split())


def _company(text: str) -> str:
    tokens = [t for t in fold(text).replace(".", " ").split() if t not in _LEGAL_FORMS]
    return " ".join(tokens)


def _postal(text: str) -> str:
    return re.sub(r"[\s-]+", "", text).upper()


def _by_distinct(values: pd.Series, func: Callable[[str], str]) -> pd.Series:
    """Apply `func` once per distinct value; empty results become missing."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    mapped = np.array([func(str(u)) or None for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)  # code -1 picks the final None


def positional(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` indexed by row position (0..n-1): itself when it is already (reset_index copies
    every column under pandas 2, at a million rows a second and 400 MB each time)."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    return frame.reset_index(drop=True)


def text_column(df: pd.DataFrame, column: str) -> pd.Series:
    """`df[column]` as stripped text with None for missing; an absent column is all missing."""
    if column not in df.columns:
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    series = df[column]
    values = series.to_numpy(dtype=object, na_value=None) if hasattr(series, "to_numpy") else series
    out = _stripped_strings(values)
    if out is None:  # not all text (numbers, dates): each value as text
        present = ~pd.isna(values)
        out = np.full(len(values), None, dtype=object)
        if present.any():
            stripped = pd.Series(values[present], dtype=object).astype(str).str.strip().to_numpy(dtype=object)
            stripped[stripped == ""] = None
            out[present] = stripped
    return pd.Series(out, index=df.index, dtype=object)


def _stripped_strings(values: np.ndarray) -> np.ndarray | None:
    """Text values stripped, blanks and NaN as None, the unchanged strings themselves kept (no
    copy of the text): Arrow finds the few values that need work. None when not all are text."""
    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    trimmed = pc.utf8_trim_whitespace(text)
    work = pc.or_(pc.not_equal(trimmed, text), pc.equal(trimmed, ""))
    missing = text.is_null().to_numpy(zero_copy_only=False)
    out = values.copy() if values.dtype == object else values.astype(object)
    out[missing] = None
    for k in np.flatnonzero(pc.fill_null(work, False).to_numpy(zero_copy_only=False)).tolist():
        out[k] = out[k].strip() or None
    return out


def stripped_text(series: pd.Series) -> pd.Series:
    """`series` as stripped text with blanks missing, like `text_column`, but an Arrow-backed
    column (pandas 3's default) stays in Arrow: no Python string per value, which at a million
    rows is gigabytes and seconds per column."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage in ("pyarrow", "pyarrow_numpy"):
        values = pa.array(series.array)
        trimmed = pc.utf8_trim_whitespace(values)
        blank = pc.equal(trimmed, "")
        if not pc.any(blank).as_py() and pc.all(pc.equal(trimmed, values)).as_py() is not False:
            return series  # already clean, as standardised columns are: no copy
        trimmed = pc.if_else(blank, pa.scalar(None, trimmed.type), trimmed)
        array = series.dtype.construct_array_type()._from_sequence(trimmed, dtype=series.dtype)
        return pd.Series(array, index=series.index, name=series.name)
    return text_column(series.to_frame(name="v"), "v").rename(series.name)


def custom_columns(clean: pd.DataFrame) -> list[str]:
    """Columns a mapping added beside the canonical ones (a national id, a loyalty number)."""
    known = set(schema.LINEAGE) | set(schema.FIELDS) | set(schema.DERIVED_COLUMNS)
    known |= set(schema.GOLDEN_ID_COLUMNS) | {"member_count", "match_score"}
    out = []
    for column in clean.columns:
        name = str(column)
        if name in known or name.endswith("_raw") or name.endswith("_status") or name.startswith("_"):
            continue
        out.append(name)
    return out


MOBILE_NAME = re.compile(r"mobil|cell|handy|gsm", re.IGNORECASE)
PHONE_NAME = re.compile(r"phone|mobil|cell|tel|handy|fax|gsm", re.IGNORECASE)


def custom_kind(values: pd.Series, name: str = "") -> str:
    """What a custom column holds, for choosing its comparison: id, phone, date, text or category.

    A column is a phone only when its name says so (an id of digits looks just like a number).
    """
    present = values.dropna().astype(str)
    if present.empty:
        return "empty"
    sample = present.iloc[:20000]
    distinct = sample.nunique() / len(sample)
    if sample.str.fullmatch(r"\d{4}-\d{2}-\d{2}").mean() >= 0.9:
        return "date"
    if sample.str.match(r"\d{4}-\d{2}-\d{2}[T ]\d").mean() >= 0.9:
        return "timestamp"
    phone_like = sample.str.fullmatch(r"\+?[\d\s()./-]{6,24}") & (sample.str.count(r"\d") >= 6)
    if PHONE_NAME.search(name) and phone_like.mean() >= 0.9 and distinct >= 0.3:
        return "phone"
    has_digit = sample.str.contains(r"\d", regex=True).mean()
    no_space = (~sample.str.contains(r"\s", regex=True)).mean()
    if has_digit >= 0.8 and no_space >= 0.9 and distinct >= 0.3:
        return "id"
    if distinct < 0.05 or sample.nunique() <= 20 or sample.str.len().mean() < 3:
        return "category"
    return "text"


def _phone_digits(text: str) -> str:
    """The last nine digits: the same number with or without country code or trunk zero."""
    digits = re.sub(r"\D", "", text)
    return digits[-9:] if len(digits) >= 6 else ""


CUSTOM_NORMALISERS: dict[str, Callable[[str], str]] = {
    "id": lambda v: re.sub(r"[\s-]+", "", v).upper(),
    "phone": _phone_digits,
    "date": lambda v: v[:10],
}


def _code_type(n: int) -> type[np.signedinteger]:
    """Codes of `n` values (at most n distinct ones) as int32 while they fit: a match frame keeps
    dozens of code arrays, at a million rows half the memory of int64. Codes are only compared."""
    return np.int32 if n < 2**31 else np.int64


@dataclass(frozen=True)
class MatchFrame:
    """Normalised match values, one row per input row (positional index), plus custom kinds."""

    data: pd.DataFrame
    custom: dict[str, str]
    _arrays: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.data)

    def derived(
        self,
        column: str,
        name: str,
        func: Callable[[str], object],
        *,
        fill: object = None,
        dtype: object = object,
    ) -> np.ndarray:
        """`func` of each value of `column` (`fill` where missing), computed once per distinct value
        and kept: comparisons index it per pair instead of calling Python per pair."""
        key = (column, name)
        if key not in self._arrays:
            codes, uniques = pd.factorize(self.array(column))
            mapped = np.array([func(str(u)) for u in uniques] + [fill], dtype=dtype)
            self._arrays[key] = mapped[codes]  # code -1 (missing) picks the final `fill`
        return self._arrays[key]

    def phone_columns(self) -> list[str]:
        """Every phone number column, as last-nine-digit strings (`phone` first)."""
        return [c for c in self.data.columns if c.startswith("p9_")]

    def mobile_columns(self) -> list[str]:
        """Phone columns holding mobile numbers (personal, unlike a household's landline)."""
        return [c for c in self.data.columns if c.startswith("m9_")]

    def derived_table(
        self, column: str, name: str, func: Callable[[str], Sequence[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Like `derived`, for a function giving several integers per value: a table with a row
        per distinct value (-1 padded, as wide as the longest result; its last row, all -1, for
        missing values) and each record's row in it. `table[rows[i]]` are the records' results:
        a row per record would be as wide as the longest result (at a million records, hundreds
        of MiB for a name that is a nickname of twenty)."""
        key, rows_key = (column, name), (column, f"{name}#rows")
        if key not in self._arrays:
            codes, uniques = pd.factorize(self.array(column))
            results = [list(func(str(u))) for u in uniques] + [[]]
            width = max(1, max(len(r) for r in results))
            table = np.full((len(results), width), -1, dtype=np.int64)
            for r, values in enumerate(results):
                table[r, : len(values)] = values
            self._arrays[key] = table
            rows = np.where(codes >= 0, codes, len(results) - 1)  # missing: the last row, all -1
            self._arrays[rows_key] = rows.astype(_code_type(len(rows)))
        return self._arrays[key], self._arrays[rows_key]

    def joint_codes(self, columns: Sequence[str]) -> dict[str, np.ndarray]:
        """Integer codes of several columns from one table (-1 where missing), so that a value
        in one column and the same value in another get the same code."""
        key = ("|".join(columns), "#joint")
        if key not in self._arrays:
            arrays = [self.array(c) for c in columns]
            codes = pd.factorize(np.concatenate(arrays) if arrays else np.empty(0, dtype=object))[0]
            self._arrays[key] = codes.astype(_code_type(len(codes)))
        codes = self._arrays[key]
        n = len(self.data)
        return {c: codes[k * n : (k + 1) * n] for k, c in enumerate(columns)}

    def codes(self, column: str, name: str = "") -> np.ndarray:
        """Integer code per row of `column` (or of its derived form `name`), -1 where missing:
        equal codes are equal values, so pairs compare as integers."""
        key = (column, f"{name}#codes")
        if key not in self._arrays:
            values = self.array(column) if not name else self._arrays[(column, name)]
            self._arrays[key] = pd.factorize(values)[0].astype(_code_type(len(values)))
        return self._arrays[key]

    def array(self, column: str) -> np.ndarray:
        if column not in self.data.columns:
            return np.full(len(self.data), None, dtype=object)
        key = (column, "")
        if key not in self._arrays:
            self._arrays[key] = self.data[column].to_numpy(dtype=object)
        return self._arrays[key]


def _split_full_name(full: pd.Series) -> tuple[pd.Series, pd.Series]:
    tokens = full.map(lambda v: v.split() if isinstance(v, str) else None)
    first = tokens.map(lambda t: t[0] if t and len(t) > 1 else None)
    last = tokens.map(lambda t: t[-1] if t else None)
    return first.astype(object), last.astype(object)


def _middle_names(full: pd.Series, first: pd.Series, last: pd.Series) -> pd.Series:
    """The given names a full name has besides the first name and the surname ("henry william
    hoare" with first name henry: "william"), space-separated; None when it has none. People go
    by a middle name, and exports disagree on which given name is the first."""
    out = np.full(len(full), None, dtype=object)
    filled = (full.str.count(" ") >= 1).fillna(False).to_numpy(dtype=bool)  # one word has no middle
    memo: dict[tuple[object, object, object], str | None] = {}
    values = []
    for triple in zip(full[filled], first[filled], last[filled], strict=True):
        if triple not in memo:
            text, given, surname = triple
            drop = set(surname.split()) if isinstance(surname, str) else set()
            if isinstance(given, str):
                drop.add(given)
            words = [w for w in (w.strip(".") for w in text.split()) if len(w) > 1 and w not in drop]
            memo[triple] = " ".join(dict.fromkeys(words)) or None
        values.append(memo[triple])
    out[filled] = values
    return pd.Series(out, index=full.index, dtype=object)


def _bool_column(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df.columns:
        return np.zeros(len(df), dtype=bool)
    values = df[column]
    return values.map(lambda v: str(v).lower() in ("true", "1", "yes") if not pd.isna(v) else False).to_numpy(
        dtype=bool
    )


def prepare(clean: pd.DataFrame) -> MatchFrame:
    """Build the match frame from the standardise stage's output."""
    clean = positional(clean)
    data = pd.DataFrame(index=clean.index)
    first_raw = _by_distinct(text_column(clean, "first_name"), fold)
    last = _by_distinct(text_column(clean, "last_name"), fold)
    full = _by_distinct(text_column(clean, "full_name"), fold)
    no_name = first_raw.isna() & last.isna()
    split_first, split_last = _split_full_name(full[no_name])
    first_raw = first_raw.where(~no_name, split_first.reindex(first_raw.index))
    last = last.where(~no_name, split_last.reindex(last.index))
    canonical = _by_distinct(text_column(clean, "first_name_match"), fold)
    data["first_raw"] = first_raw
    data["first"] = canonical.where(canonical.notna(), first_raw).astype(object)
    data["last"] = last
    data["middle"] = _middle_names(full, first_raw, last)
    email = _by_distinct(text_column(clean, "email"), str.lower)
    role = _bool_column(clean, "email_role")
    data["email"] = email.where(~role, None).astype(object)
    phone = _by_distinct(text_column(clean, "phone"), lambda v: re.sub(r"[^\d+]", "", v))
    data["phone"] = phone
    data["p9_phone"] = _by_distinct(phone, _phone_digits)
    phone_type = text_column(clean, "phone_type")
    data["mobile"] = phone_type.map(lambda v: v == "mobile").to_numpy(dtype=bool)
    data["m9_phone"] = data["p9_phone"].where(data["mobile"], None).astype(object)
    data["street"] = _by_distinct(text_column(clean, "address_line1"), _street)
    data["line2"] = _by_distinct(text_column(clean, "address_line2"), fold)
    data["postal"] = _by_distinct(text_column(clean, "postal_code"), _postal)
    data["city"] = _by_distinct(text_column(clean, "city"), fold)
    data["region"] = _by_distinct(text_column(clean, "region"), str.upper)
    data["country"] = _by_distinct(text_column(clean, "country"), str.upper)
    data["dob"] = _by_distinct(text_column(clean, "date_of_birth"), lambda v: v[:10])
    data["company"] = _by_distinct(text_column(clean, "company"), _company)
    kinds: dict[str, str] = {}
    for column in custom_columns(clean):
        values = text_column(clean, column)
        kind = custom_kind(values, column)
        if kind == "empty":
            continue
        kinds[column] = kind
        if kind == "phone":  # a second phone column: compared and blocked together with `phone`
            data[f"p9_{column}"] = _by_distinct(values, _phone_digits)
            if MOBILE_NAME.search(column):
                data[f"m9_{column}"] = data[f"p9_{column}"]
            continue
        data[f"x_{column}"] = _by_distinct(values, CUSTOM_NORMALISERS.get(kind, fold))
    give_back_memory()  # what the text's round trips through Arrow freed: matching works in numpy
    return MatchFrame(data=data, custom=kinds)
