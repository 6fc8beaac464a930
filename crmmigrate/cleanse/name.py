"""Person names: proper case that respects Mc/Mac, O', hyphens and particles; titles and suffixes
split off; "LAST, First" and single full-name columns split; a canonical first name for matching.

Mixed-case words are taken to be written deliberately (DeVito, McKay) and kept; only all-upper
or all-lower words are re-cased.
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources

import pandas as pd

from ..schema import Status
from .text import as_list, fold

TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "fr",
        "herr",
        "frau",
        "hr",
        "fr",
        "dipl",
        "ing",
        "mag",
        "dott",
        "dottssa",
        "sig",
        "sigra",
        "signor",
        "signora",
        "sr",
        "sra",
        "srta",
        "don",
        "dona",
        "mme",
        "mlle",
        "m",
        "monsieur",
        "madame",
        "mademoiselle",
        "pan",
        "pani",
        "mevrouw",
        "meneer",
        "dhr",
        "mevr",
        "hon",
        "rt",
        "capt",
        "cpt",
        "col",
        "gen",
        "general",
        "maj",
        "major",
        "lt",
        "lieut",
        "sgt",
        "adm",
        "cdr",
        "brig",
        "revd",
        "baron",
        "baroness",
        "viscount",
        "earl",
        "countess",
        "duke",
        "duchess",
        "marquess",
        "marchioness",
    ]
)
#: A regnal or peerage number ("1st", "3rd"): part of a title, not of a name.
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)\.?$", re.IGNORECASE)
#: Without "ma", "ba" and "v": Ma is a surname and V an initial far more often than degrees or "the fifth".
SUFFIXES = frozenset(
    ["jr", "jnr", "sr", "snr", "ii", "iii", "iv", "phd", "md", "dds", "esq", "mba", "msc", "bsc", "cpa"]
)
PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "ter",
        "ten",
        "zu",
        "af",
        "av",
        "bin",
        "ibn",
        "al",
        "el",
        "y",
    ]
)
#: Mac-names that are not Mac + name (Mack, Macy, Machado...).
MAC_EXCEPTIONS = frozenset(
    [
        "mack",
        "macy",
        "mace",
        "macey",
        "machado",
        "macias",
        "macon",
        "machin",
        "mackie",
        "macklin",
        "macro",
        "maclean_",
        "macaulay_",
    ]
)

_WORD_SPLIT = re.compile(r"([\s\-'’])")
_TOKEN = re.compile(r"[.\s]")


def _is_title(word: str) -> bool:
    """Dr, Prof., Herr, Maj. Gen., 1st...; a one-letter title only with its dot ("M." for Monsieur,
    not the initial M)."""
    key = _token_key(word)
    return (key in TITLES and (len(key) > 1 or word.endswith("."))) or bool(_ORDINAL.match(word))


def _token_key(word: str) -> str:
    return _TOKEN.sub("", word.casefold())


@functools.lru_cache(maxsize=200_000)
def proper_case(name: str) -> str:
    """Re-case all-upper/all-lower words: "O'BRIEN" -> "O'Brien", "VAN DER BERG" -> "van der Berg"."""
    pieces = _WORD_SPLIT.split(name)
    out = []
    for i, piece in enumerate(pieces):
        if not piece or _WORD_SPLIT.fullmatch(piece):
            out.append(piece)
            continue
        last = i == len(pieces) - 1
        joined = i > 0 and pieces[i - 1] in "'’-"  # O'Brien, Mary-Jane: parts of one name
        out.append(_case_word(piece, last=last, joined=joined))
    return "".join(out)


def _case_word(word: str, last: bool, joined: bool) -> str:
    if not (word.isupper() or word.islower()) or not word.isalpha():
        return word
    lower = word.lower()
    if lower in PARTICLES and not last and not joined:
        return lower
    if lower.startswith("mc") and len(lower) > 3:
        return "Mc" + lower[2:].capitalize()
    if (
        lower.startswith("mac")
        and len(lower) > 5
        and lower not in MAC_EXCEPTIONS
        and lower[3] not in "aeiouhk"
    ):
        return "Mac" + lower[3:].capitalize()
    return lower.capitalize()


@functools.lru_cache(maxsize=200_000)
def strip_affixes(text: str) -> tuple[str, str | None]:
    """Titles off the front, suffixes (Jr., III, PhD) off the end; returns (name, suffix)."""
    words = text.replace(",", " , ").split()
    while len(words) > 1 and _is_title(words[0]):
        words.pop(0)
    suffix = None
    while sum(w != "," for w in words) > 1 and (_token_key(words[-1]) in SUFFIXES or words[-1] == ","):
        if words[-1] != ",":
            suffix = words[-1] if suffix is None else f"{words[-1]} {suffix}"
        words.pop()
    return " ".join(words).replace(" , ", ", ").replace(" ,", ","), suffix


@functools.lru_cache(maxsize=200_000)
def split_full_name(text: str) -> tuple[str | None, str | None]:
    """(first, last) of a display name: "SMITH, John", "John Smith", "Ludwig van Beethoven", "YAMADA Taro".

    Each part is then standardised like a first or last name column, so splitting what was
    composed gives the same parts again.
    """
    first, last = _split(text)
    return (
        standardise_name_part(first)[0] if first else None,
        standardise_name_part(last)[0] if last else None,
    )


def _split(text: str) -> tuple[str | None, str | None]:
    name, _ = strip_affixes(text)
    if "," in name:
        last, _, first = (" ".join(p.replace(",", " ").split()).strip(" -") for p in name.partition(","))
        first = strip_affixes(first)[0] if first else first  # "SMITH, Dr. John"
        if first and last:
            return proper_case(first), proper_case(last)
        name = first or last
    words = [w.strip("-") for w in name.split() if w.strip("-")]
    name = " ".join(words)
    if not words:
        return None, None
    if len(words) < 2 or _starts_with_particle(words):
        return None, proper_case(name) or None
    upper = [i for i, w in enumerate(words) if w.isupper() and w.isalpha() and len(w) > 1]
    if upper and len(upper) < len(words) and upper == list(range(upper[0], upper[-1] + 1)):
        last = " ".join(words[upper[0] : upper[-1] + 1])
        first = " ".join(words[: upper[0]] + words[upper[-1] + 1 :])
        return proper_case(first), proper_case(last)
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return proper_case(" ".join(words[:start])), proper_case(" ".join(words[start:]))


def _starts_with_particle(words: list[str]) -> bool:
    """ "van Beethoven" (lower-case particle, other words not): a surname alone; "Van Morrison" is not."""
    return words[0] in PARTICLES and not all(w.islower() for w in words)


@functools.lru_cache(maxsize=200_000)
def standardise_name_part(value: str | None) -> tuple[str | None, str]:
    """A first or last name: affixes off, proper case; (value, status).

    A comma left inside one part is dropped: in a composed full name it would read as "LAST, First".
    """
    if value is None:
        return None, Status.MISSING.value
    if all(_is_title(w) for w in value.replace(",", " ").split()):
        return None, Status.INVALID.value  # "Sir", "Maj. Gen.": a title typed where the name goes
    name, _ = strip_affixes(value)
    # Dashes standing alone are noise ("Anna -"); dashes inside a word are the value's own.
    words = [w for w in name.replace(",", " ").split() if w.strip("-")]
    standard = proper_case(" ".join(words)) or None
    if standard is None:
        return None, Status.INVALID.value
    return standard, Status.VALID.value if standard == value else Status.FIXED.value


@functools.lru_cache(maxsize=1)
def nicknames() -> dict[str, str]:
    text = resources.files("crmmigrate.data").joinpath("cleanse_nicknames.csv").read_text("utf-8")
    return {fold(r["nickname"]): fold(r["canonical"]) for r in csv.DictReader(text.splitlines())}


@functools.lru_cache(maxsize=200_000)
def match_first_name(first: str | None) -> str | None:
    """Canonical lower-case first name for matching: "Bob" -> "robert", "José" -> "jose"."""
    if not first:
        return None
    key = fold(first)
    return nicknames().get(key, key)


def standardise_names(first: pd.Series, last: pd.Series, full: pd.Series) -> pd.DataFrame:
    """first/last/full (+ `_status`) and `first_name_match`, row by row over distinct triples."""
    cache: dict[tuple, tuple] = {}
    out = []
    for key in zip(as_list(first), as_list(last), as_list(full), strict=True):
        result = cache.get(key)
        if result is None:
            result = cache[key] = _standardise_row(*key)
        out.append(result)
    columns = [
        "first_name",
        "first_name_status",
        "last_name",
        "last_name_status",
        "full_name",
        "full_name_status",
        "first_name_match",
    ]
    return pd.DataFrame(out, columns=columns, index=first.index)


def _standardise_row(first: str | None, last: str | None, full: str | None) -> tuple:
    """One person's names; the display full name is "First Last" (plus a suffix such as Jr.)."""
    inferred = Status.INFERRED.value
    first_v, first_s = standardise_name_part(first)
    last_v, last_s = standardise_name_part(last)
    if first_v is None and last_v is None and full is not None:
        f, la = split_full_name(full)
        first_v, first_s = (f, inferred) if f else (None, first_s)
        last_v, last_s = (la, inferred) if la else (None, last_s)
    if full is None:
        composed = " ".join(p for p in (first_v, last_v) if p) or None
        return (
            first_v,
            first_s,
            last_v,
            last_s,
            composed,
            inferred if composed else Status.MISSING.value,
            (match_first_name(first_v)),
        )
    composed = " ".join(p for p in (first_v, last_v) if p)
    same = bool(composed) and fold(composed) == fold(full)
    parts = (first_v, last_v) if (first_v and last_v) or same else split_full_name(full)
    shown = " ".join(p for p in parts if p)
    suffix = strip_affixes(full)[1]
    full_v = " ".join(p for p in (shown, None if shown.endswith(suffix or "\0") else suffix) if p) or None
    if full_v is None:  # unusable as given: composed from the parts when there are any
        full_v = " ".join(p for p in (first_v, last_v) if p) or None
        full_s = Status.INFERRED.value if full_v else Status.INVALID.value
    else:
        full_s = Status.VALID.value if full_v == full else Status.FIXED.value
    return first_v, first_s, last_v, last_s, full_v, full_s, match_first_name(first_v)
