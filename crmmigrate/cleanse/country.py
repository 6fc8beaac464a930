"""Countries to ISO 3166-1 alpha-2, from codes, names in many languages and scripts, and typos.

The index of names is built once per process from pycountry and its gettext translations (about
160 languages), plus a small alias table (UK, Holland, Burma...), and then every distinct value
is resolved by dictionary lookup; only unknown values go to fuzzy matching.
"""

from __future__ import annotations

import csv
import functools
import gettext
import os
import re
from importlib import resources

import pandas as pd
import pycountry
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from ..schema import Status
from .text import clean_text, fold, map_unique

#: Lowest normalised similarity a fuzzy match needs (1.0 = equal); a typo in a word of 6+ letters.
FUZZY_FLOOR = 0.8
#: Codes outside ISO 3166-1 that real data and phonenumbers use.
EXTRA_CODES = {"XK": "XKX"}

_PUNCT = re.compile(r"[\W_]+")


def normalise_name(text: str) -> str:
    """Case-, accent- and punctuation-free key: "Côte d'Ivoire" -> "cote d ivoire"."""
    return _PUNCT.sub(" ", fold(text)).strip()


def _name_variants(name: str) -> list[str]:
    """ "Korea, Republic of" -> also "Republic of Korea" and "Korea"; "Bolivia (...)" -> "Bolivia"."""
    variants = [name]
    base = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()
    if base != name:
        variants.append(base)
    if ", " in base:
        head, _, tail = base.partition(", ")
        variants += [f"{tail} {head}", head]
    return variants


@functools.lru_cache(maxsize=1)
def country_index() -> dict[str, str]:
    """Normalised name -> alpha-2; English names and aliases win over translations."""
    index: dict[str, str] = {}
    english: list[tuple[str, str]] = []
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                english.append((name, country.alpha_2))
    for name, code in english:  # whole names first: "Congo" is CG before it is CD's short form
        index.setdefault(normalise_name(name), code)
    for name, code in english:
        for variant in _name_variants(name):
            index.setdefault(normalise_name(variant), code)
    for alias, code in _aliases():
        index[normalise_name(alias)] = code
    for language in sorted(os.listdir(pycountry.LOCALES_DIR)):
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for name, code in english:
            translated = translation.gettext(name)
            if translated != name:
                for variant in _name_variants(translated):
                    index.setdefault(normalise_name(variant), code)
    index.pop("", None)
    return index


def _aliases() -> list[tuple[str, str]]:
    text = resources.files("crmmigrate.data").joinpath("cleanse_country_aliases.csv").read_text("utf-8")
    return [(row["alias"], row["alpha_2"]) for row in csv.DictReader(text.splitlines())]


@functools.lru_cache(maxsize=1)
def _codes() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    alpha2 = {c.alpha_2: c.alpha_2 for c in pycountry.countries} | {k: k for k in EXTRA_CODES}
    alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries} | {v: k for k, v in EXTRA_CODES.items()}
    numeric = {c.numeric: c.alpha_2 for c in pycountry.countries}
    return alpha2, alpha3, numeric


@functools.lru_cache(maxsize=1)
def _fuzzy_keys() -> tuple[list[str], list[str]]:
    """Latin-script keys long enough for typo matching, with their codes."""
    keys = [k for k in country_index() if len(k) >= 5 and k.isascii()]
    return keys, [country_index()[k] for k in keys]


def resolve_country(value: object) -> str | None:
    """Alpha-2 for any form of a country (code, name, alias, translation, typo), else None."""
    text = clean_text(value)
    if text is None:
        return None
    return _resolve(text)


@functools.lru_cache(maxsize=65536)
def _resolve(text: str) -> str | None:
    alpha2, alpha3, numeric = _codes()
    compact = text.strip().upper().replace(".", "")
    if len(compact) == 2 and compact in alpha2:
        return alpha2[compact]
    if len(compact) == 3 and compact in alpha3:
        return alpha3[compact]
    if compact.isdigit() and len(compact) <= 3:
        return numeric.get(compact.zfill(3))
    key = normalise_name(text)
    index = country_index()
    if key in index:
        return index[key]
    if key.startswith("the "):
        return index.get(key[4:])
    return _fuzzy(key)


def _fuzzy(key: str) -> str | None:
    if len(key) < 5 or not key.isascii():
        return None
    keys, codes = _fuzzy_keys()
    matches = process.extract(
        key, keys, scorer=DamerauLevenshtein.normalized_similarity, score_cutoff=FUZZY_FLOOR, limit=5
    )
    if not matches:
        return None
    best = matches[0][1]
    found = {codes[i] for _, score, i in matches if score >= best - 1e-9}
    return found.pop() if len(found) == 1 else None


def _standardise_one(value: str | None) -> tuple[str | None, str]:
    if value is None:
        return None, Status.MISSING.value
    code = _resolve(value)
    if code is None:
        return None, Status.INVALID.value
    return code, Status.VALID.value if value == code else Status.FIXED.value


def standardise_countries(values: pd.Series) -> pd.DataFrame:
    """Columns `value` (alpha-2 or None) and `status` for every value (already text-clean)."""
    results = map_unique(values, _standardise_one)
    return pd.DataFrame(results, columns=["value", "status"], index=values.index)
