"""Addresses: one-line addresses split into street, postal code, city, region and country.

A whole address in `address_line1` (city and postal code empty) is split by rules per country:
where the postal code sits (before the city in most of Europe and Latin America, after it in the
English-speaking world and Asia), which regions may stand beside it, and a trailing country name.
pyap takes over for the US and Canada where the rules find nothing; Japanese addresses
written in native order get their own rule.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

import pandas as pd

from .country import resolve_country
from .postal import FORMATS, POSTAL_FIRST
from .region import resolve_region
from .text import as_list

COLUMNS = ["address_line1", "city", "region", "postal_code", "country"]
PYAP_COUNTRIES = ("US", "CA")
#: Countries where a state or province is written beside the city or postal code.
STATE_COUNTRIES = frozenset(["US", "CA", "AU", "IN", "JP", "BR", "MX", "IT", "AR", "MY"])
#: Where the country is unknown, the patterns tried, most distinctive first.
GUESS_ORDER = ("GB", "CA", "NL", "IE", "BR", "PL", "PT", "JP", "US")

_SPLIT = re.compile(r"\s*(?:[,;\n]|\s-\s|\s–\s)\s*")
_JP_NATIVE = re.compile(
    r"^〒?\s*(?P<postal>\d{3}-?\d{4})?\s*(?P<region>東京都|北海道|(?:京都|大阪)府|[^\s\d]{2,3}県)"
    r"(?P<city>.+?[市区町村郡])(?P<street>.+)$"
)
_DIGIT = re.compile(r"\d")
#: Words of a second address line, not of a city ("Hauptstraße 5, Hinterhaus").
_LINE2_WORDS = re.compile(
    r"\b(?:apt|apartment|flat|suite|ste|unit|floor|fl|building|bldg|c/o|rear|back|postfach|po box|box|etage|"
    r"hinterhaus|vorderhaus|seitenfl[üu]gel|stock|og|eg|dg|piso|planta|escalera|bajo|interno|scala|piano|"
    r"b[âa]timent|b[âa]t|[ée]tage|appartement|appt|r[ée]sidence|hof|gate)\b",
    re.IGNORECASE,
)
_ANY_POSTAL = re.compile(r"(?<![\w-])(?:[A-Z]{1,2}-)?(\d{4,6})(?![\w-])")


@dataclass(frozen=True)
class Address:
    address_line1: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def as_tuple(self) -> tuple[str | None, ...]:
        return (self.address_line1, self.city, self.region, self.postal_code, self.country)


def looks_like_one_line(text: str | None) -> bool:
    """A street line that also holds a postal code and something after the street: worth parsing."""
    return (
        bool(text)
        and len(text) >= 8
        and _DIGIT.search(text) is not None
        and ("," in text or "\n" in text or "〒" in text or text.count(" ") >= 3)
    )


def parse_one_line(text: str, country: str | None = None) -> Address | None:
    """The components of a whole address on one line; None when no postal code is found."""
    try:
        return _parse(text, country)
    except Exception:  # a parsing rule tripping on odd text must not stop the run
        return None


@functools.lru_cache(maxsize=200_000)
def _parse(text: str, country: str | None) -> Address | None:
    native = _japanese(text)
    if native is not None:
        return native
    parts = [p for p in _SPLIT.split(text) if p]
    parts, named = _strip_country(parts)
    country = named or country
    if country:
        found = _by_rules(parts, country)
        if found is None and country in PYAP_COUNTRIES:
            found = _pyap(text, country)
        if found is not None:
            return replace(found, country=named) if named else found
    for candidate in GUESS_ORDER:
        found = _by_rules(parts, candidate, strict=True)
        if found is not None:
            return replace(found, country=candidate)
    found = None if country else _by_rules(parts, None)
    if found is not None and found.city:  # city-states: "Singapore 048616", "Monaco"
        return replace(found, country=_exact_country(found.city))
    return found or _without_postal_code(parts, named)


def _without_postal_code(parts: list[str], country: str | None) -> Address | None:
    """ "Via della Repubblica 4, Torino": a numbered street, then a city without digits."""
    if len(parts) < 2 or _DIGIT.search(parts[-1]) or not _DIGIT.search(parts[0]):
        return None
    if _LINE2_WORDS.search(parts[-1]):
        return None
    return Address(", ".join(parts[:-1]), parts[-1], None, None, country)


def _strip_country(parts: list[str]) -> tuple[list[str], str | None]:
    """A trailing country name ("..., Germany" or "... 10115 Berlin Germany") taken off."""
    if len(parts) > 1:
        code = resolve_country(parts[-1]) if not _DIGIT.search(parts[-1]) else None
        if code:
            return parts[:-1], code
    words = parts[-1].split(" ")
    for n in (3, 2, 1):
        if len(words) > n + 1 and not _DIGIT.search(" ".join(words[-n:])):
            code = _exact_country(" ".join(words[-n:]))
            if code:
                return parts[:-1] + [" ".join(words[:-n])], code
    return parts, None


def _exact_country(text: str) -> str | None:
    from .country import country_index, normalise_name

    key = normalise_name(text)
    return country_index().get(key) if len(key) > 3 else None


def _by_rules(parts: list[str], country: str | None, strict: bool = False) -> Address | None:
    """Find the postal code (the last one in the text) and take the city and street around it.

    `strict` (guessing the country): the code must be written with its separator, and for the
    US with a state beside it, so that a plain number does not pass for a postal code.
    """
    fmt = FORMATS.get(country or "")
    if country is not None and fmt is None:
        return None
    pattern = fmt.strict_search if strict and fmt else fmt.search if fmt else _ANY_POSTAL
    for k in range(len(parts) - 1, -1, -1):
        matches = list(pattern.finditer(parts[k]))
        if matches:
            found = _assemble(parts, k, matches[-1], country or "")
            if found is not None and strict and country == "US" and found.region is None:
                return None
            return found
    return None


def _assemble(parts: list[str], k: int, match: re.Match[str], country: str) -> Address | None:
    part = parts[k]
    postal = match.group(1).strip()
    before = part[: match.start()].strip(" -")
    after = part[match.end() :].strip(" -")
    region = None
    if after and (not before or country in POSTAL_FIRST):
        city, street_parts = after, parts[:k] + ([before] if before else [])
    elif before:
        city, region = _split_region(before, country)
        street_parts = parts[:k]
        if city is None and k >= 2:
            city, street_parts = parts[k - 1], parts[: k - 1]
        elif city is None:
            city, region = before, None
    elif k == 0 and len(parts) > 1:
        city, street_parts = parts[1], parts[2:]
    elif k >= 1 and (country not in POSTAL_FIRST or k == len(parts) - 1):
        city, street_parts = parts[k - 1], parts[: k - 1]
        code = resolve_region(city, country) if country in STATE_COUNTRIES else None
        if code and k >= 2:
            region, city, street_parts = code, parts[k - 2], parts[: k - 2]
    elif k + 1 < len(parts):
        city, street_parts = parts[k + 1], parts[:k] + parts[k + 2 :]
    else:
        return None
    if city and region is None:
        city, region = _split_region(city, country, whole=False)
    street = ", ".join(street_parts) or None
    if street is None or not city:
        return None
    return Address(street, city, region, postal, None)


def _split_region(text: str, country: str, whole: bool = True) -> tuple[str | None, str | None]:
    """ "Springfield IL" -> ("Springfield", "US-IL"); a lone region (when `whole`) gives (None, code)."""
    if country not in STATE_COUNTRIES:
        return text, None
    code = resolve_region(text, country) if whole else None
    if code:
        return None, code
    words = text.rsplit(" ", 1)
    if len(words) == 2:
        code = resolve_region(words[1], country)
        if code and (len(words[1]) <= 3 or words[1].isupper()):
            return words[0].strip(" -"), code
    return text, None


def _japanese(text: str) -> Address | None:
    match = _JP_NATIVE.match(text.replace(" ", "").replace("　", ""))
    if match is None:
        return None
    region = resolve_region(match["region"], "JP") or match["region"]
    postal = match["postal"]
    if postal and "-" not in postal:
        postal = postal[:3] + "-" + postal[3:]
    return Address(match["street"], match["city"], region, postal, "JP")


def _pyap(text: str, country: str) -> Address | None:
    import pyap

    try:
        found = pyap.parse(text, country=country)
    except Exception:
        return None
    if not found:
        return None
    parsed = found[0].as_dict()
    postal, city, street = parsed.get("postal_code"), parsed.get("city"), parsed.get("full_street")
    if not (postal and city and street) or not FORMATS[country].search.fullmatch(postal):
        return None
    region = parsed.get("region1")
    region = resolve_region(region, country) if region else None
    return Address(street.strip(" ,"), city.strip(" ,"), region, postal, None)


def parse_addresses(lines: pd.Series, countries: pd.Series) -> pd.DataFrame:
    """Columns address_line1/city/region/postal_code/country (all None where nothing was parsed)."""
    empty = (None,) * len(COLUMNS)
    cache: dict[tuple[str | None, str | None], tuple[str | None, ...]] = {}
    out = []
    for key in zip(as_list(lines), as_list(countries), strict=True):
        result = cache.get(key)
        if result is None:
            text, country = key
            parsed = parse_one_line(text, country) if looks_like_one_line(text) else None
            result = cache[key] = parsed.as_tuple() if parsed else empty
        out.append(result)
    return pd.DataFrame(out, columns=COLUMNS, index=lines.index)
