"""Countries to ISO 3166-1 alpha-2, from codes, names in many languages and scripts, and typos.

The names are CLDR's territory names in every locale babel ships (some 1,100, about 37,000
names), ISO 3166's English names and their translations from pycountry (official names, as
statistics offices and the UN write them), and a small table of aliases (UK, Holland, Burma...).
The index is built on the first name that is not a code (a few seconds), kept in the user's cache
folder (`$CRMMIGRATE_CACHE_DIR`, else `~/.cache`) for the next processes, and every distinct value
is resolved by dictionary lookup; only unknown values go to fuzzy matching.

A name is looked up as written (case and punctuation aside), then loosely: without accents,
"&" and "and", "St." and "Saint", spaces and hyphens, a leading "The"; then without a bracketed
qualifier or with its comma inverted ("Korea, South"). A name that means different countries in
different languages ("Kongo", "Virgin Islands") resolves to none of them: an unknown country is
better than a wrong one, and the row's phone number may still tell.
"""

from __future__ import annotations

import csv
import functools
import gettext
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import pandas as pd
import pycountry
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from ..schema import Status
from .text import clean_text, fold, map_unique

#: Codes outside ISO 3166-1 that real data and phonenumbers use (Kosovo's user-assigned code).
EXTRA_CODES = {"XK": "XKX"}
#: CLDR's exceptionally reserved territories, named as the ISO 3166-1 country they belong to.
PART_OF = {"AC": "SH", "TA": "SH", "DG": "IO", "IC": "ES", "EA": "ES", "CQ": "GG", "CP": "FR"}
#: Shortest loose key (letters, no spaces) that fuzzy matching tries or finds, and the edits it allows.
FUZZY_MIN_LENGTH = 6
FUZZY_TWO_EDITS_FROM = 10

_PUNCT = re.compile(r"[\W_]+")


def normalise_name(text: str) -> str:
    """Case-, accent- and punctuation-free key: "Côte d'Ivoire" -> "cote d ivoire"."""
    return _PUNCT.sub(" ", fold(text)).strip()


# --- keys -----------------------------------------------------------------------------------

#: Written inside words, not between them: "d'Ivoire", "U.S.A.", "Обʼєднані".
_JOINERS = frozenset("'’‘`´ʼʻʹ′.·")
#: Latin letters that carry their mark inside (no decomposition): "Đức", "Færøerne", "Włochy".
_LATIN_LETTERS = str.maketrans("đðøłħıŧŀ", "ddolhitl") | str.maketrans({"æ": "ae", "œ": "oe", "þ": "th"})


class _Table(dict[int, "str | int | None"]):
    """A `str.translate` table that decides each character once, when first seen."""

    def __init__(self, decide: Callable[[str], str | int | None]) -> None:
        super().__init__()
        self.decide = decide

    def __missing__(self, code: int) -> str | int | None:
        value = self[code] = self.decide(chr(code))
        return value


def _word_or_space(ch: str) -> str | int | None:
    """Letters, marks and digits stay; joiners go; anything else separates words."""
    if ch in _JOINERS:
        return None
    return ord(ch) if unicodedata.category(ch)[0] in "LMN" else " "


def _unmarked(ch: str) -> str | int | None:
    """A decomposed character without its accents, and Latin letters that have no decomposition."""
    if unicodedata.combining(ch):
        return None
    return _LATIN_LETTERS.get(ord(ch), ord(ch))


_WORDS = _Table(_word_or_space)
_UNMARKED = _Table(_unmarked)

#: Small words that writers put in or leave out inside a name: "Bosnia and/& Herzegovina",
#: "Democratic Republic of (the) Congo", "Trinidad y Tobago", "São Tomé e Príncipe".
_LINK_WORDS = frozenset(
    "and the of und et y e i a en og och ja es si ve dan va ir un in ta kai и і й та και".split()  # noqa: SIM905
)
#: One spelling of words written several ways: "St. Lucia" and "Saint Lucia", "Dem. Rep." and
#: "Democratic Republic" (as the World Bank writes them), "Lao PDR", "Hong Kong SAR".
_WORD_FORMS = {
    **{"saint": "st", "sankt": "st", "sainte": "ste", "rep": "republic", "dem": "democratic"},
    **{"sts": "states", "utd": "united", "sar": "special administrative region"},
    **{"pdr": "peoples democratic republic", "dpr": "democratic peoples republic"},
}
#: Qualifiers that do not change which country a name means: "Venezuela, RB", "Russia (Federation)".
_GENERIC = frozenset({"the", "of", "state", "kingdom", "islamic", "arab", "federal", "federation", "rb"})
#: Leading articles tried away when a name is not known with them: "The Gambia", "La Réunion".
_ARTICLES = frozenset("the le la les l el los las il lo gli het de die der das".split())  # noqa: SIM905
_BRACKETS = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*")


def _tokens(text: str) -> list[str]:
    """Words of `text`, case-folded: letters, marks and digits; everything else separates."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_WORDS).split()


def _plain_words(exact: str) -> list[str]:
    return unicodedata.normalize("NFKD", exact).translate(_UNMARKED).split()


def exact_key(text: str) -> str:
    """The name as written, but for case and punctuation: "Bosnia & Herzegovina" -> "bosnia herzegovina"."""
    return " ".join(_tokens(text))


def loose_key(text: str) -> str:
    """Accents, link words, "Saint" spellings, spaces and hyphens aside: "Sao Tome & Principe" ->
    "saotomeprincipe", "St. Lucia" -> "stlucia", "The Gambia" -> "gambia"."""
    return _loosen(exact_key(text))


def _loosen(exact: str) -> str:
    words = _plain_words(exact)
    if len(words) < 2:
        return "".join(words)
    words = " ".join(_WORD_FORMS.get(word, word) for word in words).split()
    if words[0] == "the":
        words = words[1:]
    last = len(words) - 1
    return "".join(w for i, w in enumerate(words) if i == 0 or i == last or w not in _LINK_WORDS)


_HAS_PARTS = re.compile(r"[(\[,–—]| - ")


def _derived(name: str) -> list[str]:
    """Shorter writings of a name: without a bracketed qualifier ("Myanmar (Burma)" -> "Myanmar"),
    the head before a comma or a spaced dash ("Hong Kong, RAE da China", "Hongkong – ZAO Číny"),
    a comma inverted ("Korea, Republic of" -> "Republic of Korea")."""
    if not _HAS_PARTS.search(name):
        return []
    out = []
    base = _BRACKETS.sub(" ", name).strip()
    if base and base != name:
        out.append(base)
    for separator in (", ", " – ", " — ", " - "):
        if separator in base:
            head, _, tail = base.partition(separator)
            out.append(head)
            if separator == ", ":
                out.append(f"{tail} {head}")
    return out


# --- the index ------------------------------------------------------------------------------

#: Sources of names, most trusted first: ISO's English names and our aliases; CLDR's names in
#: every locale; pycountry's translations of ISO's names. Derived writings rank after them all.
ENGLISH, CLDR, TRANSLATED = 0, 1, 2
DERIVED = 10

Codes = tuple[str, ...]
#: Key -> its codes, space-separated (compact in memory and on disk): "kongo" -> "CD CG".
Table = dict[str, str]


@dataclass(frozen=True)
class CountryIndex:
    """Key -> the codes that the best-ranked names with that key mean, for exact and loose keys.

    One code is an answer; several are an ambiguity, kept (not resolved) so that other evidence
    on the row can choose among them.
    """

    exact: Table
    loose: Table

    @classmethod
    def build(cls, names: list[tuple[str, str, int]]) -> CountryIndex:
        exact: dict[str, tuple[int, set[str]]] = {}
        loose: dict[str, tuple[int, set[str]]] = {}
        loosened: dict[str, str] = {}
        for name, code, rank in dict.fromkeys(names):
            for writing, r in [(name, rank)] + [(d, DERIVED + rank) for d in _derived(name)]:
                key = exact_key(writing)
                _add(exact, key, r, code)
                if key not in loosened:
                    loosened[key] = _loosen(key)
                _add(loose, loosened[key], r, code)
        loose_codes = _codes_of(loose)
        exact_codes = {  # only where writing it exactly says more than writing it loosely
            key: codes for key, codes in _codes_of(exact).items() if loose_codes.get(loosened[key]) != codes
        }
        return cls(exact_codes, loose_codes)

    def lookup(self, text: str) -> Codes:
        """Codes for `text` as a whole name (no fuzzy matching); () when unknown."""
        key = exact_key(text)
        found = self.exact.get(key) or self.loose.get(_loosen(key))
        return tuple(found.split()) if found else ()


def _add(table: dict[str, tuple[int, set[str]]], key: str, rank: int, code: str) -> None:
    """Keep the codes of the best rank only: English "Niger" outranks what another language writes."""
    entry = table.get(key)
    if entry is None or rank < entry[0]:
        table[key] = (rank, {code})
    elif rank == entry[0]:
        entry[1].add(code)


def _codes_of(table: dict[str, tuple[int, set[str]]]) -> Table:
    out = {key: " ".join(sorted(codes)) for key, (_, codes) in table.items()}
    out.pop("", None)
    return out


@functools.lru_cache(maxsize=1)
def index() -> CountryIndex:
    """The index, from the disk cache when this version of the sources built it before."""
    path = _cache_path()
    if path is not None:
        try:
            exact, loose = json.loads(path.read_text("utf-8"))
            if isinstance(exact, dict) and isinstance(loose, dict):
                return CountryIndex(exact, loose)
        except (OSError, ValueError, TypeError):  # not there yet, or not ours: build it again
            pass
    built = CountryIndex.build(_english() + _cldr() + _translated())
    if path is not None:
        _write(path, json.dumps([built.exact, built.loose], ensure_ascii=False))
    return built


def _cache_path() -> Path | None:
    """Where the index of this version of babel, pycountry, the aliases and this module is kept."""
    root = os.environ.get("CRMMIGRATE_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    folder = Path(root) if root else Path.home() / ".cache"
    digest = hashlib.sha256()
    try:
        for package in ("babel", "pycountry"):
            digest.update(metadata.version(package).encode())
        digest.update(Path(__file__).read_bytes())
        digest.update(_aliases_text().encode())
    except (OSError, metadata.PackageNotFoundError):
        return None
    return folder / "crmmigrate" / f"countries-{digest.hexdigest()[:16]}.json"


def _write(path: Path, text: str) -> None:
    """Atomically, and not at all where the cache folder cannot be written (no error: it is a cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError:
        pass


def _iso_names() -> list[tuple[str, str]]:
    out = []
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                out.append((name, country.alpha_2))
    return out


def _english() -> list[tuple[str, str, int]]:
    return [(name, code, ENGLISH) for name, code in _iso_names() + _aliases()]


def _aliases() -> list[tuple[str, str]]:
    return [(row["alias"], row["alpha_2"]) for row in csv.DictReader(_aliases_text().splitlines())]


def _aliases_text() -> str:
    return resources.files("crmmigrate.data").joinpath("cleanse_country_aliases.csv").read_text("utf-8")


def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(EXTRA_CODES)


def _cldr() -> list[tuple[str, str, int]]:
    """Territory names in every CLDR locale babel ships, for ISO 3166-1 countries only (not the
    EU, the UN, the world or "Outlying Oceania"); English first."""
    from babel import localedata

    countries = _countries()
    out = []
    locales = sorted(localedata.locale_identifiers(), key=lambda name: (name.split("_")[0] != "en", name))
    for locale in locales:
        territories = localedata.load(locale, merge_inherited=False).get("territories", {})
        for territory, name in territories.items():
            code = PART_OF.get(territory, territory)
            if code in countries and isinstance(name, str):
                rank = ENGLISH if locale == "en" and territory == code else CLDR
                out.append((name, code, rank))
    return out


def _translated() -> list[tuple[str, str, int]]:
    out = []
    english = _iso_names()
    for language in sorted(os.listdir(pycountry.LOCALES_DIR)):
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for name, code in english:
            translated = translation.gettext(name)
            if translated != name:
                out.append((translated, code, TRANSLATED))
    return out


class _ByName(Mapping[str, str]):
    """Name (any key form) -> alpha-2 where the name means one country; no fuzzy matching."""

    def __getitem__(self, name: str) -> str:
        codes = index().lookup(name)
        if len(codes) != 1:
            raise KeyError(name)
        return codes[0]

    def __iter__(self) -> Iterator[str]:
        return (key for key, codes in index().loose.items() if " " not in codes)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def country_index() -> Mapping[str, str]:
    """Exact name lookup for callers that find country names inside other text (addresses)."""
    return _BY_NAME


_BY_NAME = _ByName()


# --- codes ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _codes() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    alpha2 = {c.alpha_2: c.alpha_2 for c in pycountry.countries} | {k: k for k in EXTRA_CODES}
    alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries} | {v: k for k, v in EXTRA_CODES.items()}
    numeric = {c.numeric: c.alpha_2 for c in pycountry.countries}
    return alpha2, alpha3, numeric


def _as_code(text: str) -> str | None:
    alpha2, alpha3, numeric = _codes()
    compact = text.strip().upper().replace(".", "")
    if len(compact) == 2:
        return alpha2.get(compact)
    if len(compact) == 3 and compact.isalpha():
        return alpha3.get(compact)
    if compact.isdigit() and len(compact) <= 3:
        return numeric.get(compact.zfill(3))
    return None


# --- resolution -----------------------------------------------------------------------------


def resolve_country(value: object) -> str | None:
    """Alpha-2 for any form of a country (code, name, alias, translation, typo), else None."""
    text = clean_text(value)
    if text is None:
        return None
    codes = _resolve(text)
    return codes[0] if len(codes) == 1 else None


@functools.lru_cache(maxsize=65536)
def _resolve(text: str) -> Codes:
    """The country `text` names: one code, several (ambiguous) or none."""
    code = _as_code(text)
    if code is not None and (text.isupper() or text.isdigit()):
        return (code,)  # "NGA" is Nigeria's code even though Vietnamese calls Russia "Nga"
    key = loose_key(text)
    found = index().lookup(text) or _fuzzy(key) or _by_parts(text)
    if code is not None:  # "de", "Usa": a code unless a name says otherwise ("Nga", "Ao")
        return (code,) if not found or found == (code,) else tuple(sorted({code, *found}))
    return found


def _by_parts(text: str) -> Codes:
    """A name the index does not know, read as a name and its qualifier ("Korea, Dem. People's Rep.",
    "Bolivia (Plurinational State of)", "Germany (DE)") or without a leading article ("Le Sénégal")."""
    parts = _QUALIFIED.match(text) or _COMMA.match(text)
    if parts is None:
        words = text.split()
        if len(words) > 1 and exact_key(words[0]) in _ARTICLES:
            return index().lookup(" ".join(words[1:]))
        return ()
    head, tail = parts.group("head"), parts.group("tail")
    whole = index().lookup(f"{tail} {head}")  # all the words, in the order the index has them
    if whole:
        return whole
    found = index().lookup(head)
    if not found or set(_plain_words(exact_key(tail))) <= _GENERIC:
        return found
    # the head alone only where the qualifier says the same country: "Myanmar (Burma)", not
    # "Congo, Dem. Rep." read as Congo, nor "Hong Kong, China" as either
    qualifier = index().lookup(tail) or ((code,) if (code := _as_code(tail)) else ())
    return found if qualifier == found else ()


_QUALIFIED = re.compile(r"^(?P<head>[^()\[\]]+?)\s*[(\[](?P<tail>[^()\[\]]+)[)\]]$")
_COMMA = re.compile(r"^(?P<head>[^,]+),\s*(?P<tail>[^,]+)$")


def _fuzzy(key: str) -> Codes:
    """A typo of one name only: one edit in a name of 6+ letters, two in one of 10+, the first letter
    right (slips are rarely there), and no other country's name as near, nor for two edits one edit
    further (Hungarian "Oroszorszag" is not "Olaszorszag")."""
    if len(key) < FUZZY_MIN_LENGTH or not key.isascii() or not key.isalpha():
        return ()
    keys, codes = _fuzzy_keys().get(key[0], ([], []))
    reach = 2 if len(key) >= FUZZY_TWO_EDITS_FROM else 1
    matches = process.extract(key, keys, scorer=DamerauLevenshtein.distance, score_cutoff=reach + 1, limit=50)
    if not matches:
        return ()
    best = min(distance for _, distance, _ in matches)
    if best > reach:
        return ()
    margin = 0 if best <= 1 else 1
    found = {codes[i] for _, distance, i in matches if distance <= best + margin}
    return (found.pop(),) if len(found) == 1 else ()


@functools.lru_cache(maxsize=1)
def _fuzzy_keys() -> dict[str, tuple[list[str], list[str]]]:
    """Loose Latin-script keys that mean one country and are long enough for typo matching, with
    their codes, by first letter."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for key, codes in index().loose.items():
        if " " not in codes and len(key) >= FUZZY_MIN_LENGTH and key.isascii() and key.isalpha():
            keys, found = out.setdefault(key[0], ([], []))
            keys.append(key)
            found.append(codes)
    return out


def _standardise_one(value: str | None) -> tuple[str | None, str]:
    if value is None:
        return None, Status.MISSING.value
    code = resolve_country(value)
    if code is None:
        return None, Status.INVALID.value
    return code, Status.VALID.value if value == code else Status.FIXED.value


def standardise_countries(values: pd.Series) -> pd.DataFrame:
    """Columns `value` (alpha-2 or None) and `status` for every value (already text-clean)."""
    results = map_unique(values, _standardise_one)
    return pd.DataFrame(results, columns=["value", "status"], index=values.index)
