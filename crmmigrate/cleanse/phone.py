"""Phone numbers to E.164 with phonenumbers, plus the number's type, time zone and region.

National numbers need a region: the row's own country when it has one, else the configured
default country. A row's own country always wins: a national number that is not valid there is
invalid, never read under the default (a US row's `(977) 882-3979` is no German number).
Labels ("Tel:") and fullwidth digits are dealt with before phonenumbers sees the text; the
region's own international prefix (`0011` in Australia, `810` in Russia) is read before `00`,
the prefix most of the world dials; extensions are kept apart from the number.
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
from .country import normalise_name
from .text import PLACEHOLDERS, as_list

COLUMNS = ["value", "status", "type", "timezone", "region", "extension", "international"]

_LABEL = re.compile(
    r"^\s*(?:(?:tel(?:ephone|efon|efono|éfono|éphone|efone)?|t[ée]l|phone|ph|mob(?:ile|il)?|cell(?:ular)?"
    r"|handy|gsm|portable|m[óo]vil|celular|fon|work|home|office|direct|main|private|privat|gesch(?:äft|aeft)?)"
    r"\b\.?|[tmphwo]\s*[.:])\s*[:.\-]?\s*",
    re.IGNORECASE,
)
#: Between two numbers: `;` (not RFC 3966's `;ext=`), `|`, `,`, "or", or a slash between a digit
#: and a word (`... / Fax: ...`).
_SEPARATORS = re.compile(
    r"\s*(?:;(?!\s*ext=)|\||,|\bor\b|\boder\b|\bou\b|(?<=\d)\s*/(?=\s*[^\W\d_]))\s*", re.IGNORECASE
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$", re.ASCII)
_PLAIN = re.compile(r"^\+?[\d \-.()/]{6,30}$", re.ASCII)
_DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D")
#: The last digit of a text (linear: each try stops at the next digit).
_LAST_DIGIT = re.compile(r"\d(?=\D*$)")
_LETTER = re.compile(r"[^\W\d_]")
#: Longer texts are no phone number (phonenumbers refuses 250 characters).
MAX_LENGTH = 500
_TRUNK_IN_BRACKETS = re.compile(r"^\(?(\+\d{1,3})\)?[\s.\-]*\(0\)\s*")
_PLACEHOLDERS = PLACEHOLDERS | {"keine angabe"}
#: ISO 3166 countries whose national numbers span more than one calling code, and every phone
#: region such a number may be from: Saint Helena, Ascension and Tristan da Cunha is one country,
#: with +290 (Saint Helena and Tristan da Cunha) and +247 (Ascension).
_PHONE_REGIONS = {"SH": ("SH", "AC")}
#: One national numbering plan over several calling codes: dialled in France, `0696 ...` is a
#: mobile in Martinique (+596 696...), `0262 ...` a line in Réunion (+262 262...), and dialled
#: there, `01 ...` is Paris. (Saint Barthélemy, Saint Martin and Mayotte share +590 and +262.)
_FRENCH_PLAN = ("FR", "GP", "MQ", "GF", "RE")
_SHARED_PLANS = {region: _FRENCH_PLAN for region in (*_FRENCH_PLAN, "BL", "MF", "YT")}
#: Regions whose fixed-line patterns in phonenumbers also take in the blocks of their overseas
#: departments (France's take 0596..., which is Martinique's): a fixed-line number one of those
#: departments claims as its own is the department's.
_WIDE_PATTERNS = {"FR": _FRENCH_PLAN[1:]}
_FIXED_LINES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
#: Phone regions that are not ISO 3166 countries, and the country each belongs to (None: the
#: non-geographic numbers of region "001", such as +800 freephone).
_ISO_COUNTRY: dict[str, str | None] = {"AC": "SH", "TA": "SH", "001": None}
#: How a row's country column names the phone regions that are not ISO 3166 countries.
_REGION_NAMES = {
    "ac": "AC",
    "ascension": "AC",
    "ascension island": "AC",
    "ile de l ascension": "AC",
    "isla ascension": "AC",
    "ta": "TA",
    "tristan da cunha": "TA",
}
_INTERNATIONAL_SOURCES = frozenset(
    {
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN,
    }
)
_TYPES = {
    getattr(PhoneNumberType, name): name.lower()
    for name in dir(PhoneNumberType)
    if name.isupper() and isinstance(getattr(PhoneNumberType, name), int)
}
_TYPES[PhoneNumberType.UNKNOWN] = None


def _prepare(text: str) -> str:
    """NFKC (fullwidth digits, ＋), digits of any script as ASCII, one number of several, labels
    and trailing notes off."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _DIGIT.sub(lambda digit: str(unicodedata.decimal(digit.group())), text)
    text = _SEPARATORS.split(text, maxsplit=1)[0]
    return _without_note(_LABEL.sub("", text, count=1)).strip()


def _without_note(text: str, joined: bool = False) -> str:
    """The text without a note after its last digit (`(home)`, ` - mobil`, ` Frau Müller`).

    A note set apart by a space or a bracket; `joined`: also letters joined to the digits, which
    may be the number's own (`1-800-FLOWERS`, see `_readings`). phonenumbers would read a note's
    letters as digits.
    """
    last = _LAST_DIGIT.search(text)
    if last is None:
        return text
    tail = text[last.end() :]
    apart = tail[:1].isspace() or tail.lstrip()[:1] in ("(", "[")
    return text[: last.end()] if (apart or joined) and _LETTER.search(tail) else text


Parsed = tuple[phonenumbers.PhoneNumber, int, str, bool]


def _read(text: str, tiers: tuple[tuple[str | None, ...], ...]) -> tuple[str, Parsed] | None:
    """The number every valid reading of the text agrees on (see `_readings`), else None.

    Tier by tier (see `_region_tiers`): a later tier is only asked when no reading is valid in
    the earlier ones. When readings give different valid numbers, those with the calling code of
    the row's own country win (`0082 10...` in a Korean row is +82 10..., not Korea's carrier
    prefix 008 before Egypt's +20), then those written as their country writes them
    (`4915123456789` in a German row is no national number: Germans dial those with a leading 0).
    When several remain (a five-digit number valid both in Saint Helena and in Ascension), the
    number is not known.
    """
    for tier, regions in enumerate(tiers):
        found: dict[str, tuple[Parsed, str]] = {}
        for reading, region in _readings(text, regions, national_only=tier > 0):
            parsed = _parse(reading, region, thorough=tier == 0)
            if parsed is not None:
                e164 = phonenumbers.format_number(parsed[0], PhoneNumberFormat.E164)
                found.setdefault(e164, (parsed, reading))
        if len(found) > 1:
            codes = {_calling_code(region) for region in regions}
            found = {e164: item for e164, item in found.items() if item[0][0].country_code in codes}
        if len(found) > 1:
            found = {e164: item for e164, item in found.items() if not _lacks_trunk_prefix(*item)}
        if found:
            return _one(found, _WIDE_PATTERNS.get(regions[0] or "", ()) if tier == 0 else ())
    return None


def _one(found: dict[str, tuple[Parsed, str]], overseas: tuple[str, ...]) -> tuple[str, Parsed] | None:
    """The one number found, or the overseas department's whose block it is in (see `_WIDE_PATTERNS`)."""
    if len(found) != 1:
        return None
    e164, (parsed, reading) = found.popitem()
    if overseas and parsed[1] in _FIXED_LINES and not reading.startswith("+"):
        claims = [c for region in overseas if (c := _parse(reading, region, False)) and c[1] in _FIXED_LINES]
        if len(claims) == 1:
            return phonenumbers.format_number(claims[0][0], PhoneNumberFormat.E164), claims[0]
    return e164, parsed


def _lacks_trunk_prefix(parsed: Parsed, reading: str) -> bool:
    """A national reading without the trunk prefix its country writes before this number."""
    number = parsed[0]
    if reading.startswith("+"):
        return False
    national = _NON_DIGIT.sub("", phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    trunk = national[: len(national) - len(phonenumbers.national_significant_number(number))]
    return bool(trunk) and not _NON_DIGIT.sub("", reading).startswith(trunk)


def _readings(
    text: str, regions: tuple[str | None, ...], national_only: bool = False
) -> list[tuple[str, str | None]]:
    """The ways to read the text, each with the region to read it in.

    As written, in each region (phonenumbers knows each region's own international prefix:
    `0011` in Australia, `810` in Russia); `00` as the international prefix most of the world
    dials (`0049 30...` in a US row); `(0)` after a country code as the trunk prefix a caller from
    abroad leaves out (`+57 (0)321...`, which as written is Colombia's carrier code 03); digits
    that start with the region's calling code as an international number whose `+` a spreadsheet
    dropped (`4930123456`); without letters after the digits. `national_only`: not the readings
    with a `+`, which no region changes.
    """
    if _E164.match(text):
        return [(text, regions[0])] if not national_only else []
    texts = [text]
    if text.startswith("00") and not text.startswith("000"):
        if all(_dials_00(region) for region in regions):
            texts = ["+" + text[2:]]  # what phonenumbers reads too, by the shorter way
        else:
            texts.append("+" + text[2:])
    if not text[-1:].isdigit() and (noted := _without_note(text, joined=True)) != text:
        texts.append(noted)  # `030 1234567-home`: valid with and without "home" (4663), so not known
    for i, written in enumerate(list(texts) if "(0)" in text else ()):
        if (trunk := _TRUNK_IN_BRACKETS.match(written)) is not None:
            dropped = f"{trunk.group(1)} {written[trunk.end() :]}"
            if _trunk_prefix_0(trunk.group(1)):
                texts[i] = dropped  # the country's trunk prefix: what phonenumbers would drop too
            else:
                texts.append(dropped)  # a 0 of the number itself, or not: both are read
    if national_only:
        texts = [t for t in texts if not t.startswith("+")]
    readings = [(t, r) for t in texts for r in (regions[:1] if t.startswith("+") else regions)]
    if not text.startswith(("+", "0")):  # no calling code starts with 0
        digits = _NON_DIGIT.sub("", text)
        readings += [("+" + text, r) for r in regions if r and digits.startswith(str(_calling_code(r)))]
    return readings


@functools.lru_cache(maxsize=512)
def _region_tiers(region: str | None) -> tuple[tuple[str | None, ...], ...]:
    """The phone regions a national number of the country may be in, in tiers to try in order.

    First the country's own (with Ascension for Saint Helena, one ISO country); then, only when
    none of those fits, the other calling codes of its national numbering plan (France's).
    """
    own = _PHONE_REGIONS.get(region, (region,)) if region else (None,)
    codes = {_calling_code(r) for r in own}
    others = tuple(r for r in _SHARED_PLANS.get(region or "", ()) if _calling_code(r) not in codes)
    return (own, others) if others else (own,)


@functools.lru_cache(maxsize=512)
def _trunk_prefix_0(country_code: str) -> bool:
    """Whether the main region of a calling code (`+49`) has the trunk prefix 0."""
    meta = PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(int(country_code[1:])))
    return meta is not None and meta.national_prefix == "0"


@functools.lru_cache(maxsize=512)
def _dials_00(region: str | None) -> bool:
    """Whether `00` is an international prefix of the region."""
    meta = PhoneMetadata.metadata_for_region(region) if region else None
    return (
        meta is not None
        and meta.international_prefix is not None
        and bool(re.fullmatch(meta.international_prefix, "00"))
    )


@functools.lru_cache(maxsize=512)
def _calling_code(region: str | None) -> int:
    return phonenumbers.country_code_for_region(region) if region else 0


def _parse(text: str, region: str | None, thorough: bool = True) -> Parsed | None:
    """The number, its type, its region and whether the text gave its country code, when valid
    (validity = a known type). Not `thorough`: plain digits that `_direct` reads as an invalid
    number are not given to phonenumbers' parser as well."""
    international = text.startswith("+")
    number = _direct(text, region)
    found = None if number is None else _valid_type(number)
    if found is None:
        if number is not None and not thorough:
            return None
        try:
            number = phonenumbers.parse(text, region, keep_raw_input=not international)
        except phonenumbers.NumberParseException:
            return None
        found = _valid_type(number)
        international = international or number.country_code_source in _INTERNATIONAL_SOURCES
    if found is None:
        return None
    return number, *found, international


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
    """One phone: (value, status, type, timezone, country, extension, international).

    A national number is read under `region` (the row's own country) when given, else under
    `default_region`. `country` is the ISO 3166 country the number belongs to (SH for Ascension).
    """
    if value is None or value.strip().lower() in _PLACEHOLDERS:
        return None, Status.MISSING.value, None, None, None, None, False
    if len(value) > MAX_LENGTH:
        return None, Status.INVALID.value, None, None, None, None, False
    try:
        return _standardise(value, region, default_region)
    except Exception:  # phonenumbers on adversarial input: never let one value stop the run
        return None, Status.INVALID.value, None, None, None, None, False


def _standardise(value: str, region: str | None, default_region: str | None) -> tuple:
    text = value if _E164.match(value) else _prepare(value)
    read = _read(text, _region_tiers(region or default_region))
    if read is None:
        return None, Status.INVALID.value, None, None, None, None, text.startswith("+")
    e164, (number, kind_code, found_region, international) = read
    international = international or found_region != (region or default_region)
    zone = _time_zone(number, kind_code, e164)
    status = Status.VALID.value if value == e164 else Status.FIXED.value
    kind = _TYPES.get(kind_code)
    country = _ISO_COUNTRY.get(found_region, found_region)
    return e164, status, kind, zone, country, number.extension or None, international


def phone_regions(countries: pd.Series, texts: pd.Series) -> pd.Series:
    """Each row's phone region: its ISO country, else the phone region its country text names.

    Ascension (AC) and Tristan da Cunha (TA) have phone regions of their own but no ISO 3166
    code: a row whose country says `AC` or `Ascension Island` keeps its national number.
    """
    named = (countries.isna() & texts.notna()).to_numpy(dtype=bool)
    if not named.any():
        return countries
    regions = pd.Series(as_list(countries), index=countries.index, dtype=object)
    regions[named] = [_REGION_NAMES.get(normalise_name(str(text))) for text in texts[named]]
    return regions


def standardise_phones(
    values: pd.Series, regions: pd.Series | None = None, default_region: str | None = None
) -> pd.DataFrame:
    """Columns value/status/type/timezone/region/extension/international, one row per value.

    `regions` holds each row's country (alpha-2 or missing); `default_region` is used for national
    numbers of rows without one, never for rows whose own country says otherwise. Work is done
    once per distinct (value, region) pair.
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
