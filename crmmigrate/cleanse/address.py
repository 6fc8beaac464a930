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
from .postal import FORMATS, postal_first, postal_pattern
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
_LETTER = re.compile(r"[^\W\d_]")
_TOWN_DISTRICT = re.compile(r"[^\d,]+ \d{1,2}")
#: Words of a second address line, not of a city ("Hauptstraße 5, Hinterhaus").
_LINE2_WORDS = re.compile(
    r"\b(?:apt|apartment|flat|suite|ste|unit|floor|fl|building|bldg|c/o|rear|back|postfach|po box|box|etage|"
    r"block|hinterhaus|vorderhaus|seitenfl[üu]gel|stock|og|eg|dg|piso|planta|escalera|bajo|interno|scala|piano|"
    r"b[âa]timent|b[âa]t|[ée]tage|appartement|appt|r[ée]sidence|hof|gate)\b",
    re.IGNORECASE,
)
#: Words of a street, not of a town ("Rose Court", "Moor Lane").
_STREET_WORDS = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|close|crescent|"
    r"place|square|terrace|highway|hwy|rue|avenida|calle|rua|via|viale|strasse|straße|str|weg|gasse|"
    r"platz|allee|laan|straat|gracht|plein|ulica|ul|utca|iela|gatan|gade|vej|vegen|veien)\b",
    re.IGNORECASE,
)
#: Words that make a place an administrative area, not a town.
_AREA = re.compile(r"\b(?:county|province|region|prefecture|governorate|oblast|district)\b", re.IGNORECASE)
_ADMIN_WORDS = re.compile(
    r"^(?:county|co\.?)\s+|\s+(?:county|province|region|governorate|state)$", re.IGNORECASE
)
#: Counties of Great Britain that are not also the name of a town.
GB_COUNTIES = frozenset(
    [
        "merseyside",
        "greater manchester",
        "west midlands",
        "tyne and wear",
        "greater london",
        "kent",
        "surrey",
        "essex",
        "norfolk",
        "suffolk",
        "devon",
        "cornwall",
        "dorset",
        "somerset",
        "cumbria",
        "northumberland",
        "middlesex",
        "rutland",
        "isle of wight",
        "east sussex",
        "west sussex",
        "county durham",
        "north yorkshire",
        "south yorkshire",
        "west yorkshire",
        "east riding of yorkshire",
        "avon",
        "cleveland",
        "humberside",
        "gwynedd",
        "powys",
        "dyfed",
        "clwyd",
        "gwent",
        "fife",
        "highland",
        "strathclyde",
        "lothian",
        "tayside",
        "grampian",
    ]
)


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
    """More than a street line: several lines or parts, or a postal code beside something."""
    if not text or len(text) < 6:
        return False
    if "\n" in text or text.count(",") >= 2:
        return True
    return _DIGIT.search(text) is not None and (" " in text or "," in text or "〒" in text)


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
    return found or _without_postal_code(parts, country, named)


def _without_postal_code(parts: list[str], country: str | None, named: str | None) -> Address | None:
    """No postal code: the town is the last line (after any region), the street the lines above.

    "Via della Repubblica 4, Torino", "Ecobank, 7th Avenue, Accra", "Baner, Pune, Maharashtra".
    Two parts only where the first is a numbered street ("Flat 3, Rose Court" is one street).
    """
    parts, region = _strip_regions(parts, country)
    if len(parts) < 2 or not _may_be_town(parts[-1]):
        return None
    if len(parts) == 2 and region is None and not _DIGIT.search(parts[0]):
        return None
    return Address(", ".join(parts[:-1]), parts[-1], region, None, named)


def _strip_regions(parts: list[str], country: str | None) -> tuple[list[str], str | None]:
    """Trailing parts that name a region of the country ("Maharashtra", "County Kilkenny") taken off."""
    if len(parts) > 1 and _may_be_town(parts[-2]):  # "Via Roma 4, Torino": Torino the town
        code = _region(parts[-1], country)
        if code is not None:
            return parts[:-1], code
    return parts, None


def _region(text: str, country: str | None) -> str | None:
    """ISO 3166-2 code of a region written alone; "County Galway", "N.Y." and the like too."""
    if not country or _DIGIT.search(text):
        return None
    code = resolve_region(text, country) or resolve_region(_ADMIN_WORDS.sub("", text).strip(" ."), country)
    if code is None and "." in text and len(text) <= 6:
        code = resolve_region(text.replace(".", ""), country)
    return code


def _may_be_town(text: str) -> bool:
    """A part that can be a town: no digits but a district's ("Dublin 2"), no words of a second
    address line or of a street."""
    if _DIGIT.search(text) and not _TOWN_DISTRICT.fullmatch(text):
        return False
    return not (_LINE2_WORDS.search(text) or _STREET_WORDS.search(text))


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
    if strict:
        fmt = FORMATS.get(country or "")
        pattern = fmt.strict_search if fmt else None
    else:
        pattern = postal_pattern(country)
    if pattern is None:  # a country without postal codes
        return None
    for k in range(len(parts) - 1, -1, -1):
        matches = list(pattern.finditer(parts[k]))
        if matches:
            found = _assemble(parts, k, matches[-1], country or "")
            if found is not None and strict and country == "US" and found.region is None:
                return None
            return found
    return None


def _assemble(parts: list[str], k: int, match: re.Match[str], country: str) -> Address | None:
    """City, region and street around the postal code found at `match` in `parts[k]`."""
    postal = match.group(1).strip()
    before = parts[k][: match.start()].strip(" -–,")
    after = parts[k][match.end() :].strip(" -–,")
    above, below = parts[:k], parts[k + 1 :]
    region = None
    while below and (code := _region(below[-1], country)):  # "Hyderabad - 500064, Telangana"
        region, below = region or code, below[:-1]
    first = postal_first(country) if country else False
    if after and (not before or first):  # "10115 Berlin", "Isa Town 814 Bahrain"
        city, street_parts = after, above + ([before] if before else [])
    elif before:  # "Springfield IL 62704", "Dhaka - 1205"
        city, beside = _split_region(before, country)
        region = beside or region
        street_parts = above
        if city is None and above:  # "Brooklyn, NY 11216": the region alone beside the code
            city, street_parts = above[-1], above[:-1]
    else:  # the code alone on its line: the town is the line after it or the one before
        above, beside = _strip_regions(above, country)  # "São Paulo - SP, 01310-100"
        region = region or beside
        city, street_parts = _town_beside(above, below, first)
        below = [] if city is not None and below and city == below[0] else below
    if city is not None and region is None:
        city, region = _split_region(city, country, whole=False)
    if city is not None and street_parts and _is_area(city, country):  # "Liverpool, Merseyside L3 4EN"
        region = region or _region(city, country)
        city, street_parts = street_parts[-1], street_parts[:-1]
    if not street_parts:  # "1016 Budapest, Dezső utca 11.": the street after the town
        street_parts = below
    if not city or not _LETTER.search(city):
        return None
    street = ", ".join(street_parts) or None
    if street is None and len(parts) == 1 and not (first and not before) and region is None:
        return None  # "Hauptstraße 1234" is a street, not a code and a town
    return Address(street, city, region, postal, None)


def _town_beside(above: list[str], below: list[str], postal_first: bool) -> tuple[str | None, list[str]]:
    """The town beside a code written on a line of its own: after it where the country writes the
    code first or nothing but the town follows, else before it."""
    if (
        len(below) == 1
        and _may_be_town(below[0])
        and (postal_first or not above or not _may_be_town(above[-1]))
    ):
        return below[0], above
    if above and _may_be_town(above[-1]):
        return above[-1], above[:-1]
    if len(below) == 1 and _may_be_town(below[0]):
        return below[0], above
    return None, above


def _is_area(text: str, country: str) -> bool:
    """A county, province or region standing where the town is expected."""
    folded = text.casefold()
    return bool(_AREA.search(text)) or (
        country == "GB" and (folded in GB_COUNTIES or folded.endswith("shire"))
    )


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
