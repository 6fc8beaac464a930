"""Regions (states, provinces, Länder) to ISO 3166-2 codes, per country.

Each country's index holds the code suffix (CA, BY, NSW), the local name (Bayern) and the
English name (Bavaria, from pycountry's iso3166-2 translations); top-level subdivisions win
where names collide (Madrid the community over Madrid the province).
"""

from __future__ import annotations

import functools
import gettext

import pandas as pd
import pycountry

from ..schema import Status
from .country import normalise_name
from .text import as_list

#: Common names pycountry does not carry.
ALIASES = {
    "US": {"washington dc": "US-DC", "d c": "US-DC", "dc": "US-DC"},
    "CA": {"quebec": "CA-QC", "pq": "CA-QC", "nfld": "CA-NL"},
    "MX": {"cdmx": "MX-CMX", "df": "MX-CMX", "mexico city": "MX-CMX", "ciudad de mexico": "MX-CMX"},
    "AU": {"qld": "AU-QLD", "vic": "AU-VIC"},
    "DE": {"bavaria": "DE-BY", "nrw": "DE-NW"},
    "GB": {"england": "GB-ENG", "scotland": "GB-SCT", "wales": "GB-WLS", "northern ireland": "GB-NIR"},
}


@functools.cache
def region_index(country: str) -> dict[str, str]:
    """Normalised code suffix / name / English name -> ISO 3166-2 code for one country."""
    try:
        subdivisions = sorted(
            pycountry.subdivisions.get(country_code=country) or [],
            key=lambda s: (s.parent_code is not None, s.code),
        )
    except (KeyError, LookupError):
        return {}
    english = _english()
    index: dict[str, str] = {}
    for sub in subdivisions:
        index.setdefault(normalise_name(sub.code.split("-", 1)[1]), sub.code)
    for sub in subdivisions:
        for name in (sub.name, english.gettext(sub.name)):
            index.setdefault(normalise_name(name), sub.code)
    index.update(ALIASES.get(country, {}))
    index.pop("", None)
    return index


@functools.lru_cache(maxsize=1)
def _english() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"])
    except OSError:
        return gettext.NullTranslations()


@functools.lru_cache(maxsize=65536)
def resolve_region(text: str, country: str | None) -> str | None:
    """ISO 3166-2 code for a region written any common way, within `country`; None if unknown."""
    upper = text.strip().upper()
    if "-" in upper and len(upper) <= 6:
        found = pycountry.subdivisions.get(code=upper)
        if found is not None and (country is None or found.country_code == country):
            return found.code
    if country is None:
        return None
    return region_index(country).get(normalise_name(text))


def standardise_region(value: str | None, country: str | None) -> tuple[str | None, str]:
    if value is None:
        return None, Status.MISSING.value
    code = resolve_region(value, country)
    if code is not None:
        return code, Status.VALID.value if code == value else Status.FIXED.value
    return value, Status.VALID.value  # unresolvable but present: keep the cleaned text


def standardise_regions(values: pd.Series, countries: pd.Series) -> pd.DataFrame:
    """Columns value/status, once per distinct (region, country) pair."""
    cache: dict[tuple[str | None, str | None], tuple[str | None, str]] = {}
    out = []
    for key in zip(as_list(values), as_list(countries), strict=True):
        result = cache.get(key)
        if result is None:
            result = cache[key] = standardise_region(*key)
        out.append(result)
    return pd.DataFrame(out, columns=["value", "status"], index=values.index)
