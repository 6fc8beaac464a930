"""Phone numbers to E.164 with phonenumbers, plus the number's type, time zone and region.

National numbers need a region: the row's own country, then the configured default country.
Labels ("Tel:"), `00` international prefixes and fullwidth digits are dealt with before
phonenumbers sees the text; extensions are kept apart from the number.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd
import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType, timezone
from phonenumbers.phonenumberutil import _is_number_matching_desc as _matches  # the library's own test

from ..schema import Status
from .text import PLACEHOLDERS, as_list

COLUMNS = ["value", "status", "type", "timezone", "region", "extension", "international"]

_LABEL = re.compile(
    r"^\s*(?:(?:tel(?:ephone|efon|efono|éfono|éphone|efone)?|t[ée]l|phone|ph|mob(?:ile|il)?|cell(?:ular)?"
    r"|handy|gsm|portable|m[óo]vil|celular|fon|work|home|office|direct|main|private|privat|gesch(?:äft|aeft)?)"
    r"\b\.?|[tmphwo]\s*[.:])\s*[:.\-]?\s*",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"\s*(?:;|\||,|\bor\b|\boder\b|\bou\b)\s*", re.IGNORECASE)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PLAIN = re.compile(r"^\+?[\d \-.()/]{6,30}$")
_NON_DIGIT = re.compile(r"\D")
_PLACEHOLDERS = PLACEHOLDERS | {"keine angabe"}
_TYPES = {
    getattr(PhoneNumberType, name): name.lower()
    for name in dir(PhoneNumberType)
    if name.isupper() and isinstance(getattr(PhoneNumberType, name), int)
}
_TYPES[PhoneNumberType.UNKNOWN] = None


def _prepare(text: str) -> str:
    """NFKC (fullwidth digits, ＋), one number of several, labels off, `00` -> `+`."""
    text = unicodedata.normalize("NFKC", text)
    text = _SEPARATORS.split(text, maxsplit=1)[0]
    text = _LABEL.sub("", text, count=1).strip()
    if text.startswith("00") and not text.startswith("000"):
        text = "+" + text[2:]
    return text


def _parse(text: str, region: str | None) -> tuple[phonenumbers.PhoneNumber, int, str] | None:
    """The number, its type and its region when valid (validity = a known type)."""
    number = _direct(text, region)
    if number is None or (found := _valid_type(number)) is None:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return None
        found = _valid_type(number)
    return None if found is None else (number, *found)


def _valid_type(number: phonenumbers.PhoneNumber) -> tuple[int, str] | None:
    """(type, region) of a valid number, None for an invalid one."""
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        return None
    kind = _common_type(number, region)
    if kind is None:
        kind = phonenumbers.number_type(number)
    return None if kind == PhoneNumberType.UNKNOWN else (kind, region)


def _common_type(number: phonenumbers.PhoneNumber, region: str) -> int | None:
    """Fixed line or mobile, checked first: most customer numbers are one of the two.

    phonenumbers tries the rare types (premium, toll-free, VoIP...) before these; the types'
    patterns are disjoint in its metadata, so the order only costs time. None = ask phonenumbers.
    """
    meta = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, region)
    if meta is None or number.italian_leading_zero:
        return None
    nsn = str(number.national_number)
    if not _matches(nsn, meta.general_desc):
        return None
    if _matches(nsn, meta.fixed_line):
        if meta.same_mobile_and_fixed_line_pattern or _matches(nsn, meta.mobile):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not meta.same_mobile_and_fixed_line_pattern and _matches(nsn, meta.mobile):
        return PhoneNumberType.MOBILE
    return None


def _direct(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """Fast path for digits-only text: build the number without phonenumbers' full parser.

    Only used when the result is a valid number (checked by the caller); anything unusual (a
    leading zero after the country code, complex national prefixes, letters) goes to `parse`.
    """
    if not _PLAIN.match(text):
        return None
    digits = _NON_DIGIT.sub("", text)
    if text.startswith("+"):
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                national = digits[size:]
                break
        else:
            return None
    else:
        prefix = _simple_national_prefix(region)
        if prefix is None:
            return None
        code, trunk = prefix
        national = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
    if not national or national[0] == "0" or len(national) > 17:
        return None
    return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))


@functools.lru_cache(maxsize=512)
def _simple_national_prefix(region: str | None) -> tuple[int, str] | None:
    """(country code, trunk prefix or "") for regions whose national numbers parse by prefix alone."""
    meta = PhoneMetadata.metadata_for_region(region) if region else None
    if meta is None or meta.national_prefix_transform_rule is not None:
        return None
    trunk = meta.national_prefix or ""
    if meta.national_prefix_for_parsing not in (None, trunk):
        return None
    return meta.country_code, trunk


def _time_zone(number: phonenumbers.PhoneNumber, kind: int, e164: str) -> str | None:
    """The number's one time zone, or None when unknown or several (a mobile in Russia)."""
    if phonenumbers.is_number_type_geographical(kind, number.country_code):
        zones = _geographic_zones(e164)
    else:
        zones = _country_zones(number.country_code, number)
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


def _geographic_zones(e164: str) -> tuple[str, ...]:
    """phonenumbers' own longest-prefix lookup, on the E.164 text already at hand."""
    for size in range(timezone.TIMEZONE_LONGEST_PREFIX, 0, -1):
        zones = timezone.TIMEZONE_DATA.get(e164[1 : 1 + size])
        if zones is not None:
            return zones
    return ()


_COUNTRY_ZONES: dict[int, tuple[str, ...]] = {}


def _country_zones(code: int, number: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    if code not in _COUNTRY_ZONES:
        _COUNTRY_ZONES[code] = tuple(timezone.time_zones_for_number(number))
    return _COUNTRY_ZONES[code]


def standardise_phone(
    value: str | None, region: str | None = None, default_region: str | None = None
) -> tuple:
    """One phone: (value, status, type, timezone, region, extension, international)."""
    if value is None or value.strip().lower() in _PLACEHOLDERS:
        return None, Status.MISSING.value, None, None, None, None, False
    try:
        return _standardise(value, region, default_region)
    except Exception:  # phonenumbers on adversarial input: never let one value stop the run
        return None, Status.INVALID.value, None, None, None, None, False


def _standardise(value: str, region: str | None, default_region: str | None) -> tuple:
    text = value if _E164.match(value) else _prepare(value)
    international = text.startswith("+")
    parsed = None
    for candidate in dict.fromkeys((region, default_region)):
        parsed = _parse(text, candidate)
        if parsed is not None or international:
            break
    if parsed is None:
        return None, Status.INVALID.value, None, None, None, None, international
    number, kind_code, found_region = parsed
    international = international or found_region != candidate
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    zone = _time_zone(number, kind_code, e164)
    status = Status.VALID.value if value == e164 else Status.FIXED.value
    kind = _TYPES.get(kind_code)
    return e164, status, kind, zone, found_region, number.extension or None, international


def standardise_phones(
    values: pd.Series, regions: pd.Series | None = None, default_region: str | None = None
) -> pd.DataFrame:
    """Columns value/status/type/timezone/region/extension/international, one row per value.

    `regions` holds each row's country (alpha-2 or missing), used for national numbers before
    `default_region`. Work is done once per distinct (value, region) pair.
    """
    texts = as_list(values)
    row_regions = as_list(regions) if regions is not None else [None] * len(texts)
    cache: dict[tuple[str | None, str | None], tuple] = {}
    out = []
    for key in zip(texts, row_regions, strict=True):
        result = cache.get(key)
        if result is None:
            result = cache[key] = standardise_phone(key[0], key[1], default_region)
        out.append(result)
    return pd.DataFrame(out, columns=COLUMNS, index=values.index)
