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
import pycountry

from .country import resolve_country
from .postal import FORMATS, address_data, postal_first, postal_pattern
from .region import resolve_region
from .text import as_list

COLUMNS = ["address_line1", "city", "region", "postal_code", "country"]
PYAP_COUNTRIES = ("US", "CA")
#: Countries where a state or province is written beside the city or postal code.
STATE_COUNTRIES = frozenset(["US", "CA", "AU", "IN", "JP", "BR", "MX", "IT", "AR", "MY"])
#: Where the country is unknown, the patterns tried, most distinctive first.
GUESS_ORDER = ("GB", "CA", "NL", "IE", "BR", "PL", "PT", "JP", "US")

_SPLIT = re.compile(r"\s*([,;\n]|\s-\s|\s–\s)\s*")
_JP_NATIVE = re.compile(
    r"^〒?\s*(?P<postal>\d{3}-?\d{4})?\s*(?P<region>東京都|北海道|(?:京都|大阪)府|[^\s\d]{2,3}県)"
    r"(?P<city>.+?[市区町村郡])(?P<street>.+)$"
)
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_TOWN_DISTRICT = re.compile(r"[^\d,]+ \d{1,2}")
_ABBREVIATION = re.compile(r"[A-Z]{2,3}|(?:[A-Z]\.){2,3}")
_SAINT = re.compile(r"^(?:St|Ste|Sta)[.\-\s]+(?=[A-Z])")
#: A last line with a code the country's pattern does not know: "Thimphu 810", "700074 Ramallah".
_LAST_LINE_CODE = re.compile(
    r"(?P<code_before>[A-Z]{0,2}\d{3,7})[ \-–]+(?P<town_after>[^\d,]+)"
    r"|(?P<town_before>[^\d,]+?)[ \-–,]+(?P<code_after>\d{3,7})"
)
_LONE_CODE = re.compile(r"\d{3,10}")
#: Words of a second address line, not of a city ("Hauptstraße 5, Hinterhaus").
_LINE2_WORDS = re.compile(
    r"\b(?:apt|apartment|flat|suite|ste|unit|floor|fl|building|bldg|c/o|rear|back|postfach|po box|box|etage|"
    r"block|links|rechts|apto|depto|dpto|izq|izda|dcha|hinterhaus|vorderhaus|seitenfl[üu]gel|stock|og|eg|dg|piso|planta|escalera|bajo|interno|scala|piano|"
    r"b[âa]timent|b[âa]t|[ée]tage|appartement|appt|r[ée]sidence|hof|gate)\b",
    re.IGNORECASE,
)
#: Words of a street, not of a town ("Rose Court", "Moor Lane").
_STREET_WORDS = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|av|lane|ln|drive|dr|boulevard|blvd|way|court|ct|close|crescent|"
    r"place|square|terrace|parade|quay|highway|hwy|rue|chemin|route|allée|impasse|quai|avenida|avda|calle|"
    r"carrera|calzada|paseo|camino|rua|travessa|praça|largo|via|viale|vicolo|piazza|corso|strasse|straße|"
    r"str|weg|gasse|platz|allee|ring|damm|laan|straat|gracht|plein|ulica|ul|utca|iela|gatan|gata|gade|vej|"
    r"vegen|veien|katu|tie|strada|aleea|calea|bulevardul|rruga|ulitsa|prospekt|marg|mawatha|jalan|jl|soi|gil|daero|улица|ул|проспект|"
    r"переулок|шоссе|شارع|طريق)\b",
    re.IGNORECASE,
)
#: A street (with its number, unit and post box) and then a town, without a comma between them.
_STREET_THEN_TOWN = re.compile(
    r"(?P<street>(?=[^,]*\d)(?:[^,]*?\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|"
    r"court|ct|close|crescent|place|pl|square|sq|terrace|ter|parade|quay|highway|hwy|parkway|pkwy|circle|cir|"
    r"trail|trl|plaza|plz|loop|row|walk|mews|grove|gardens|green)\b\.?(?:\s+(?:[NSEW]|NE|NW|SE|SW)\b\.?)?"
    r"|(?:p\.?\s?o\.?\s?box|post\s+office\s+box)\s*\d+)"
    r"(?:\s*(?:#|apt\.?|apartment|suite|ste\.?|unit|fl\.?|floor|rm\.?|room|flat)\s*[\w-]+)?)"
    r"\s+(?P<town>[^\d,#]+)",
    re.IGNORECASE,
)
#: Words that make a place an administrative area, not a town.
_AREA = re.compile(
    r"\b(?:county|province|region|prefecture|governorate|oblast|district|departamento|department|provincia|"
    r"estado|kreis|okrug|округ|район|область)\b",
    re.IGNORECASE,
)
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


class _Part(str):
    """One part of an address (a line, or a piece between commas), with the separator before it."""

    sep: str = ", "


def _split(text: str) -> list[str]:
    pieces = _SPLIT.split(text)
    parts: list[str] = []
    sep = ", "
    for i, piece in enumerate(pieces):
        if i % 2:
            sep = " - " if piece.strip() in ("-", "–") else "; " if piece == ";" else ", "
        elif piece:
            part = _Part(piece)
            part.sep = sep
            parts.append(part)
    return parts


def _join(parts: list[str]) -> str | None:
    """Parts of one street back together as written ("Calle 2 - Romualdo Segura"), lines with ", "."""
    if not parts:
        return None
    return parts[0] + "".join(getattr(p, "sep", ", ") + p for p in parts[1:])


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
    if _DIGIT.search(text) is None:
        return False
    return (
        "," in text
        or text.count(" ") >= 3
        or _EAST_ASIAN.search(text) is not None
        or _CODE_AT_AN_END.search(text) is not None  # "99988 Heyerode", "Lascelles VIC 3487"
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
    parts = _split(text)
    parts, named = _strip_country(parts, country)
    country = named or country
    by_script = None if country else "KR" if _HANGUL.search(text) else "CN" if _CJK.search(text) else None
    if country in BIG_TO_SMALL or by_script:
        found = _big_to_small(parts, country or by_script)
        if found is not None:
            return replace(found, country=named or by_script)
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


def _big_to_small(parts: list[str], country: str) -> Address | None:
    """Korea, China, Taiwan written largest first: "서울특별시 마포구 동교로 146", "Shanghai, Pudong
    New District, ...": the region opens the address, then the town (the region itself where it is a
    city: Seoul, Shanghai), then the street; the code first or last. None when not written so."""
    pattern = postal_pattern(country)
    postal, rest = None, []
    for part in parts:
        match = pattern.search(part) if pattern is not None and postal is None else None
        if match is not None:
            postal = match.group(1)
            part = (part[: match.start()] + " " + part[match.end() :]).strip(" ,-〒")
            part = "" if _country_named(part) else part  # "200120 China"
        if part:
            rest.append(part)
    if not rest:
        return None
    words = _native_words(rest[0], country) if _CJK.match(rest[0]) else rest[0].split(" ")
    region = _big_region(words[0], country)
    if region is None:
        return None
    code, is_city = region
    if is_city:
        city, street = words[0], words[1:]
    elif len(words) > 1 and _LOCAL_TOWN.search(words[1]):
        city, street = words[1], words[2:]
    elif len(words) == 1 and len(rest) > 1 and _may_be_town(rest[1]):
        city, street, rest = rest[1], [], rest[1:]
    else:
        city, street = None, words[1:]
    lines = ([" ".join(street)] if street else []) + rest[1:]
    return Address(", ".join(lines) or None, city, code, postal, None)


def _native_words(text: str, country: str) -> list[str]:
    """Chinese written without spaces cut after the region and the town: 上海市 浦东新区陆家嘴环路1000号,
    江苏省 苏州市 工业园区星湖街328号."""
    regions = _big_regions(country)
    for size in (5, 4, 3, 2):
        head = text[:size]
        if head.casefold() in regions:
            rest = text[size:]
            town = _NATIVE_TOWN.match(rest)
            if town is None or regions[head.casefold()][1]:
                return [head, rest] if rest else [head]
            return [head, town.group(0), rest[town.end() :]] if rest[town.end() :] else [head, town.group(0)]
    return text.split(" ")


#: Countries whose addresses may open with the region ("%S %C%D%n%A" in their layout).
BIG_TO_SMALL = frozenset(["KR", "CN", "TW", "KP"])
#: A neighbourhood written after its town: "Barrio Hospital", "Colonia Roma", "Bairro Centro".
_NEIGHBOURHOOD = re.compile(
    r"(?:barrio|bairro|colonia|col\.|urbanizaci[óo]n|urb\.|sector|quartier|centro|downtown)\s", re.IGNORECASE
)
_JOINING_WORDS = frozenset(
    ["of", "de", "di", "du", "da", "do", "dos", "das", "la", "le", "del", "della", "des"]
)
_CODE_AT_AN_END = re.compile(
    r"^[A-Z]{0,2}-?\d{3}|\s[A-Z]{0,2}\d{3}\S*$|\s[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$|\s[A-Z]\d[A-Z]\s?\d[A-Z]\d$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NATIVE_TOWN = re.compile(r"[\u4e00-\u9fff]{1,6}?[市县縣]")
#: Scripts written without spaces between the parts of an address (Japanese, Chinese) and 〒.
_EAST_ASIAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff〒]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: A town within a province: 김포시, 양평군, 苏州市, 昆山县, Gimpo-si.
_LOCAL_TOWN = re.compile(r"(?:시|군|市|县|縣)$|-(?:si|gun)$", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _big_region(word: str, country: str) -> tuple[str, bool] | None:
    """(ISO 3166-2 code, whether the region is a city) of a region's name, native or Latin."""
    return _big_regions(country).get(word.casefold())


@functools.lru_cache(maxsize=16)
def _big_regions(country: str) -> dict[str, tuple[str, bool]]:
    """Google's names of the country's regions (서울특별시, 서울, Seoul; 上海市, Shanghai Shi)."""
    data = address_data(country)
    columns = [data.get(key, "").split("~") for key in ("sub_keys", "sub_names", "sub_lnames")]
    out: dict[str, tuple[str, bool]] = {}
    for i, iso in enumerate(data.get("sub_isoids", "").split("~")):
        if not iso:
            continue
        names = [column[i] for column in columns if i < len(column) and column[i]]
        is_city = bool(names) and names[0].endswith(("시", "市"))
        for name in names:
            for form in (
                name,
                re.sub(r" (?:Shi|Sheng|\w*zizhiqu)$|-(?:do|si)$", "", name, flags=re.IGNORECASE),
            ):
                out.setdefault(form.casefold(), (f"{country}-{iso}", is_city))
    return out


def _without_postal_code(parts: list[str], country: str | None, named: str | None) -> Address | None:
    """No postal code: the town is the last line (after any region), the street the lines above.

    "Via della Repubblica 4, Torino", "Ecobank, 7th Avenue, Accra", "Baner, Pune, Maharashtra".
    Two parts only where the first is a numbered street ("Flat 3, Rose Court" is one street).
    """
    found = _by_generic_code(parts, country)
    if found is not None:
        return replace(found, country=named)
    region = None
    if len(parts) > 2 and _region_after_town(country) and _may_be_town(parts[-2], digits=False):
        region = _region(parts[-1], country) or (parts[-1] if _AREA.search(parts[-1]) else None)
        parts = parts[:-1] if region else parts
        region = region if region and "-" in region else None
    if len(parts) < 2 or not _may_be_town(parts[-1]):
        return None
    if len(parts) == 2 and region is None and not _DIGIT.search(parts[0]):
        return None
    return Address(_join(parts[:-1]), parts[-1], region, None, named)


def _by_generic_code(parts: list[str], country: str | None) -> Address | None:
    """A code the country's pattern does not know, on the last line beside the town ("Thimphu 810",
    "700074 Ramallah"), alone after it ("Baghdad, 222") or before it ("503, San Salvador"): old or
    local forms of a code. An area after it ("..., Departamento de San Salvador") is left out."""
    if country in FORMATS:  # a code its own format rejects would be dropped as invalid: keep the line
        return None
    region = None
    if len(parts) > 2 and _AREA.search(parts[-1]) and not _DIGIT.search(parts[-1]):
        region, parts = _region(parts[-1], country), parts[:-1]
    if len(parts) < 2:
        return None
    last, above = parts[-1], parts[:-1]
    match = _LAST_LINE_CODE.fullmatch(last)
    if match is not None:
        town = (match["town_after"] or match["town_before"] or "").strip(" -–,")
        code = match["code_before"] or match["code_after"]
        if _ABBREVIATION.fullmatch(town) and _may_be_town(above[-1]):  # "Majuro, MH 96960"
            town, above = above[-1], above[:-1]
        elif (
            _AREA.search(town) and len(above) > 1 and _may_be_town(above[-1])
        ):  # "Nha Trang, Khanh Hoa province 65000"
            region, town, above = region or _region(town, country), above[-1], above[:-1]
        if _may_be_town(town) and above:
            return Address(_join(above), town, region, code, None)
    if _LONE_CODE.fullmatch(last) and len(parts) >= 3 and _may_be_town(parts[-2]):
        return Address(_join(parts[:-2]), parts[-2], region, last, None)
    if _LONE_CODE.fullmatch(parts[-2]) and len(parts) >= 3 and _may_be_town(last):
        return Address(_join(parts[:-2]), last, region, parts[-2], None)
    return None


@functools.lru_cache(maxsize=512)
def _region_after_town(country: str | None) -> bool:
    """Whether the country writes its region after the town ("Pune\nMaharashtra", "%C%n%S")."""
    layout = address_data(country or "").get("fmt", "")
    return "%C" in layout and "%S" in layout and layout.index("%C") < layout.index("%S")


def _strip_regions(parts: list[str], country: str | None) -> tuple[list[str], str | None]:
    """A trailing abbreviation or area beside a town ("São Paulo, SP", "Santo Domingo, DN") taken off."""
    if len(parts) > 1 and _may_be_town(parts[-2], digits=False):
        last = parts[-1]
        code = _region(last, country)
        abbreviation = _ABBREVIATION.fullmatch(last) is not None
        if code is not None and (abbreviation or _AREA.search(last)):
            return parts[:-1], code
        if abbreviation:
            return parts[:-1], None
    return parts, None


def _region(text: str, country: str | None) -> str | None:
    """ISO 3166-2 code of a region written alone; "County Galway", "N.Y." and the like too."""
    if not country or _DIGIT.search(text):
        return None
    code = resolve_region(text, country) or resolve_region(_ADMIN_WORDS.sub("", text).strip(" ."), country)
    if code is None and "." in text and len(text) <= 6:
        code = resolve_region(text.replace(".", ""), country)
    return code


def _may_be_town(text: str, digits: bool = True) -> bool:
    """A part that can be a town: no digits but a district's ("Dublin 2"; none when not `digits`),
    no words of a second address line or of a street, not an abbreviation."""
    if _DIGIT.search(text) and not (digits and _TOWN_DISTRICT.fullmatch(text)):
        return False
    if _ABBREVIATION.fullmatch(text) or not _LETTER.search(text) or _NEIGHBOURHOOD.match(text + " "):
        return False
    text = _SAINT.sub("", text)
    return not (_LINE2_WORDS.search(text) or _STREET_WORDS.search(text))


def _strip_country(parts: list[str], hint: str | None) -> tuple[list[str], str | None]:
    """A trailing country name ("..., Germany" or "... 10115 Berlin Germany") taken off; not a
    region of the country given ("Atlanta, Georgia" in the US)."""
    if len(parts) > 1 and not _DIGIT.search(parts[-1]):
        code = _country_named(parts[-1])
        if code and not (hint and code != hint and _is_state(_region(parts[-1], hint))):
            inner = _country_named(parts[-2]) if len(parts) > 2 and not _DIGIT.search(parts[-2]) else None
            if inner and not _is_state(_region(parts[-2], code)):  # "Stanley, Falkland Islands, UK"
                return parts[:-2], inner  # the territory's own code; not "Atlanta, Georgia, USA"
            return parts[:-1], code
    words = parts[-1].split(" ")
    for n in (3, 2, 1):  # "10115 Berlin Germany" ("L-1660 Luxembourg" is a town)
        if (
            len(words) > n + 1
            and _DIGIT.search(" ".join(words[:-n]))
            and not _DIGIT.search(" ".join(words[-n:]))
            and words[-n - 1].casefold() not in _JOINING_WORDS  # "47890 City of San Marino"
        ):
            code = _exact_country(" ".join(words[-n:]))
            if code:
                rest = _Part(" ".join(words[:-n]))
                rest.sep = getattr(parts[-1], "sep", ", ")
                return parts[:-1] + [rest], code
    if len(parts) > 1 and not _DIGIT.search(parts[0]):  # written largest first: "South Korea, Seoul ..."
        code = _country_named(parts[0])
        if code and not (hint and code != hint):
            return parts[1:], code
    return parts, None


def _is_state(code: str | None) -> bool:
    """A region that is not also a country of its own (Georgia the state; not Curaçao, Puerto Rico)."""
    if code is None:
        return False
    kind = getattr(pycountry.subdivisions.get(code=code), "type", "")
    return (
        kind not in ("Country", "Outlying area", "Special administrative region") and "Overseas" not in kind
    )


def _country_named(text: str) -> str | None:
    """The country a part names: its code ("DE", "USA") or a name in any language, without the
    typo matching, which would take towns for countries."""
    compact = text.replace(".", "")
    if len(compact) <= 3:
        return resolve_country(compact) if compact.isupper() else None
    return _exact_country(text[4:] if text.casefold().startswith("the ") else text)


@functools.lru_cache(maxsize=65536)
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
    if (before or after or len(below) > 1) and below and (code := _region(below[-1], country)):
        region, below = code, below[:-1]  # "Hyderabad - 500064, Telangana"
    first = postal_first(country) if country else False
    if after and _state_after_code(country) and above:  # "Ermita, 1000 Metro Manila"
        region = region or _region(after, country)
        after = ""
    if after and (not before or first) and not _is_country(after, above, country):  # "10115 Berlin"
        city, street_parts = after, above + ([before] if before else [])
    elif before and not _is_country(before, above, country):  # "Springfield IL 62704", "Dhaka 1205"
        city, beside = _split_region(before, country)
        region = beside or region
        street_parts = above
        if (city is None or _ABBREVIATION.fullmatch(city)) and above:  # "Brooklyn, NY 11216"
            city, street_parts = above[-1], above[:-1]
        elif city is not None and not _may_be_town(city) and (split := _STREET_THEN_TOWN.fullmatch(city)):
            city, street_parts = split["town"], [*above, split["street"]]  # "123 Main St # 4 Oakland CA"
    else:  # the code alone on its line: the town is the line after it or the one before
        above, beside = _strip_regions(above, country)  # "São Paulo - SP, 01310-100"
        region = region or beside
        city, street_parts = _town_beside(above, below, first, country)
        below = below[1:] if city is not None and below and city == below[0] else below
    if city is not None and region is None:
        city, region = _split_region(city, country, whole=False)
    if city is not None and street_parts and _is_area(city, country) and _may_be_town(street_parts[-1]):
        region = region or _region(city, country)  # "Liverpool, Merseyside L3 4EN"
        city, street_parts = street_parts[-1], street_parts[:-1]
    if not street_parts or (_looks_like_street(below) and not _looks_like_street(street_parts)):
        street_parts = street_parts + below  # "1016 Budapest, Dezső utca 11.": the street after the town
    if city is not None and not _LETTER.search(city):
        city = None
    street = _join(street_parts)
    if city is None and street is None:
        return None
    alone = street is None and len(parts) == 1 and not (first and not before) and region is None
    if alone and postal.isdigit():  # "Hauptstraße 1234" is a street; "Hilton PE28 9QA" a town and a code
        return None
    return Address(street, city, region, postal, None)


def _looks_like_street(parts: list[str]) -> bool:
    return any(_DIGIT.search(p) or _STREET_WORDS.search(p) for p in parts)


def _town_beside(
    above: list[str], below: list[str], postal_first: bool, country: str
) -> tuple[str | None, list[str]]:
    """The town beside a code written on a line of its own: after it where the country writes the
    code first or nothing but the town follows, else before it."""
    if above and _is_country(above[-1], above[:-1], country):  # "Road Town, British Virgin Islands, VG1110"
        above = above[:-1]
    after = len(below) == 1 and _may_be_town(below[0]) and not _is_country(below[0], above, country)
    before = bool(above) and _may_be_town(above[-1], digits=not postal_first)  # "Dublin 2"; not "Witthau 3"
    if after and (postal_first or not before):
        return below[0], above
    if above and _NEIGHBOURHOOD.match(above[-1]) and len(above) > 1 and _may_be_town(above[-2]):
        return above[-2], above[:-2] + above[-1:]  # "Limón, Barrio Hospital, 70101"
    if before:
        return above[-1], above[:-1]
    return None, above


def _is_country(text: str, above: list[str], country: str) -> bool:
    """The address's country named where the town is expected ("British Virgin Islands, VG1110"),
    with a town above it (else it is a city-state's town: "Singapore 048616"). A town named like
    another country in some language (Amman, عمان = Oman) stays a town."""
    if not (above and _may_be_town(above[-1])):
        return False
    code = _exact_country(text)
    return code is not None and (not country or code == country)


@functools.lru_cache(maxsize=512)
def _state_after_code(country: str | None) -> bool:
    """Whether the country writes its region after the code ("1000 Metro Manila", "%Z %S")."""
    layout = address_data(country or "").get("fmt", "") + "%n"
    return "%Z %S%n" in layout


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
    native = _big_region(match["region"], "JP")
    region = resolve_region(match["region"], "JP") or (native[0] if native else match["region"])
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
