"""Person names: proper case that respects Mc/Mac, O', hyphens and particles; titles and suffixes
split off; "LAST, First" and single full-name columns split; a canonical first name for matching.

A full name is parsed by `nameparser` (titles, suffixes and credentials, particles, conjunctions,
nicknames, "Last, First"), except plain names ("Anna Maria Schulz") that it would read the same
way: those are split here, at a fraction of the cost. first_name is the given name alone; middle
names and suffixes stay in full_name, titles and nicknames are left out of it.

Mixed-case words are taken to be written deliberately (DeVito, McKay) and kept; only all-upper
or all-lower words are re-cased.
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources
from typing import NamedTuple

import pandas as pd
from nameparser import HumanName
from nameparser.config import Constants

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
#: Titles that are given names as often (Don Johnson, Earl Scruggs): a name when they stand alone.
GIVEN_NAME_TITLES = frozenset(["don", "dona", "earl", "duke", "major"])
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
        "do",
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
def proper_case(name: str, ends: bool = True) -> str:
    """Re-case all-upper/all-lower words: "O'BRIEN" -> "O'Brien", "VAN DER BERG" -> "van der Berg".

    A particle is capitalised as the last word ("Van" alone is a first name), unless `ends` is
    false: a middle name ("van Gogh", "ben") goes before the last name.
    """
    pieces = _WORD_SPLIT.split(name)
    mixed = not (name.isupper() or name.islower())
    out = []
    for i, piece in enumerate(pieces):
        if not piece or _WORD_SPLIT.fullmatch(piece):
            out.append(piece)
            continue
        last = ends and i == len(pieces) - 1
        joined = i > 0 and pieces[i - 1] in "'’-"  # O'Brien, Mary-Jane: parts of one name
        if mixed and not last and not joined and piece.islower() and piece in _LOWER_PARTICLES:
            out.append(piece)  # "ben Husain": written so
            continue
        out.append(_case_word(piece, last=last, joined=joined))
    return "".join(out)


def _case_word(word: str, last: bool, joined: bool) -> str:
    if "." in word and (word.isupper() or word.islower()):  # initials and abbreviations: "e.t." -> "E.T."
        return ".".join(p.capitalize() if p.isalpha() else p for p in word.split("."))
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
    while len(words) > 1 and (_is_title(words[0]) or words[0] == ","):
        words.pop(0)
    suffix = None
    while sum(w != "," for w in words) > 1 and (_token_key(words[-1]) in SUFFIXES or words[-1] == ","):
        if words[-1] != ",":
            suffix = words[-1] if suffix is None else f"{words[-1]} {suffix}"
        words.pop()
    return " ".join(words).replace(" , ", ", ").replace(" ,", ","), suffix


class ParsedName(NamedTuple):
    """The parts of a full name our schema keeps (title and nickname are dropped); `None` when absent."""

    first: str | None
    middle: str | None
    last: str | None
    suffix: str | None  # "Jr.", "III", "Jr. MD", "CLU CFP"

    @property
    def display(self) -> str | None:
        """ "First Middle Last Suffix", the name as the person writes it, without title or nickname."""
        name = " ".join(p for p in (self.first, self.middle, self.last) if p)
        if not name or not self.suffix:
            return name or None  # a suffix alone ("Esq.") is no name
        return f"{name} {self.suffix}"


def _nameparser_constants() -> Constants:
    """nameparser's lists plus European titles it lacks (Dipl., Dott., Sig., Dr. h.c. mult.)."""
    constants = Constants()
    constants.titles.add(
        "dipl", "ing", "dott", "dottssa", "sig", "sigra", "revd", "lieut", "pani", "h.c", "mult"
    )
    return constants


_CONSTANTS = _nameparser_constants()
#: Words that make nameparser read a name differently from "first [middle] last".
_SPECIAL = frozenset(
    set(_CONSTANTS.titles)
    | set(_CONSTANTS.first_name_titles)
    | set(_CONSTANTS.suffix_acronyms)
    | set(_CONSTANTS.suffix_not_acronyms)
    | set(_CONSTANTS.prefixes)
    | set(_CONSTANTS.conjunctions)
    | set(_CONSTANTS.bound_first_names)
    | set(_CONSTANTS.non_first_name_prefixes)
    | {"ben"}  # a particle in lower case ("Ahmad ben Husain"): see `_particle_to_last`
)
#: Particles of a surname (van, de, ben) and conjunctions (y): kept in lower case where a name is
#: written in mixed case ("Ahmad ben Husain", "Velasquez y Garcia").
_SURNAME_PARTICLES = frozenset(set(_CONSTANTS.prefixes) | {"ben"})
_LOWER_PARTICLES = _SURNAME_PARTICLES | set(_CONSTANTS.conjunctions)
#: Titles and suffixes nameparser always takes as such at the start and the end of a longer name.
_PLAIN_TITLES = _SPECIAL.difference(
    _CONSTANTS.first_name_titles,
    _CONSTANTS.suffix_acronyms,
    _CONSTANTS.suffix_not_acronyms,
    _CONSTANTS.prefixes,
    _CONSTANTS.conjunctions,
    _CONSTANTS.bound_first_names,
    _CONSTANTS.non_first_name_prefixes,
    {"ben"},
)
_PLAIN_SUFFIXES = frozenset(
    ["jr", "jnr", "sr", "snr", "ii", "iii", "iv", "phd", "md", "dds", "esq", "mba", "cpa"]
)
#: A plain word: letters, joined by hyphens or apostrophes (Anna-Lena, O'Neil).
_PLAIN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_INITIAL = re.compile(r"[^\W\d_]\.")
_ROMAN = re.compile(r"[ivxlcdm]+")
#: Degrees whose usual writing is neither all upper nor capitalised.
_SUFFIX_CASE = {"phd": "PhD", "msc": "MSc", "bsc": "BSc", "dphil": "DPhil", "mphil": "MPhil"}


@functools.lru_cache(maxsize=200_000)
def parse_full_name(text: str) -> ParsedName:
    """First, middle, last name and suffix of a display name, re-cased: "SMITH, John", "Dr. John A.
    Smith Jr.", "Juan Velasquez y Garcia", "YAMADA Taro". A title alone ("Dr.") has no parts."""
    text = " ".join(w for w in text.split() if w.strip("-"))  # dashes standing alone are noise ("Anna -")
    plain = _plain_parts(text)
    if plain is not None:
        first, middle, last, suffixes = plain
    else:
        parsed = HumanName(text, constants=_CONSTANTS)
        first, middle, last = parsed.first, parsed.middle, parsed.last
        if first and not (middle or last) and _surname_like_title(parsed.title):
            last = parsed.title  # "King Jason": a surname first, not King Jason without one
        suffixes = [s for s in parsed.suffix_list if s]
        if "," not in text:
            first, middle, last = _upper_surname(first, middle, last)
    if not text.islower():
        middle, last = _particle_to_last(middle, last)
    return ParsedName(
        standardise_name_part(first)[0] if first else None,  # as a first-name column would hold it
        proper_case(middle, ends=not last) or None,
        standardise_name_part(last)[0] if last else None,
        _suffix_text(suffixes),
    )


#: Titles written before a given name that are not surnames: "Sir John" stays John, no surname.
_COURTESY_TITLES = frozenset(
    {
        "sir",
        "dame",
        "lord",
        "lady",
        "father",
        "mother",
        "brother",
        "sister",
        "uncle",
        "aunt",
        "auntie",
        "master",
        "mister",
        "miss",
        "madam",
        "madame",
        "mr",
        "mrs",
        "ms",
        "mx",
        "herr",
        "frau",
    }
)


def _surname_like_title(title: str) -> bool:
    """A word nameparser takes for a title that, standing alone before one given name, is more
    likely a surname (King, Bishop, Judge, Prince, Marshal are common ones): one plain word,
    no dot, not a courtesy title."""
    return bool(_PLAIN.fullmatch(title)) and title.casefold() not in _COURTESY_TITLES


def _plain_parts(text: str) -> tuple[str, str, str, list[str]] | None:
    """(first, middle, last, suffixes) of a name nameparser would read plainly, else None: two to
    four plain words or initials, none a particle or conjunction, no surname in capitals; maybe
    after titles ("Dr. Anna Maria Schulz") and before one suffix ("Jr.", "PhD"), or "Schulz, Anna"."""
    if "," in text:
        left, _, right = text.partition(",")
        last, given = left.split(), right.split()
        if "," in right or not (1 <= len(last) <= 2 and 1 <= len(given) <= 3):
            return None
        if not all(_plain(w, initial=False) for w in last) or not all(_plain(w) for w in given):
            return None
        return given[0], " ".join(given[1:]), " ".join(last), []
    words = text.split()
    while len(words) > 2 and _key(words[0]) in _PLAIN_TITLES:
        words = words[1:]
    suffixes = [words.pop()] if len(words) > 2 and _key(words[-1]) in _PLAIN_SUFFIXES else []
    if not 2 <= len(words) <= 4 or not all(_plain(w, initial=w is not words[-1]) for w in words):
        return None
    if any(w.isupper() and w.isalpha() and len(w) > 1 for w in words) and not all(w.isupper() for w in words):
        return None  # "YAMADA Taro": see `_upper_surname`
    return words[0], " ".join(words[1:-1]), words[-1], suffixes


def _plain(word: str, initial: bool = True) -> bool:
    """A plain word ("Anna-Lena", "O'Neil") or, where allowed, an initial ("J."), of no special kind."""
    shape = _PLAIN.fullmatch(word) or (initial and _INITIAL.fullmatch(word))
    return bool(shape) and word.casefold() not in _SPECIAL


def _key(word: str) -> str:
    return word.casefold().rstrip(".")


def _upper_surname(first: str, middle: str, last: str) -> tuple[str, str, str]:
    """ "YAMADA Taro", "Hans MÜLLER": where capitals mark a run of words among capitalised ones, they
    are the surname, wherever they stand."""
    words = " ".join((first, middle, last)).split()
    upper = [i for i, w in enumerate(words) if w.isupper() and w.isalpha() and len(w) > 1]
    rest_cased = all(w[:1].isupper() for i, w in enumerate(words) if i not in upper)
    if not upper or len(upper) == len(words) or not rest_cased:
        return first, middle, last
    if upper != list(range(upper[0], upper[-1] + 1)):
        return first, middle, last
    given = words[: upper[0]] + words[upper[-1] + 1 :]
    return given[0], " ".join(given[1:]), " ".join(words[upper[0] : upper[-1] + 1])


def _particle_to_last(middle: str, last: str) -> tuple[str, str]:
    """ "Ahmad ben Husain": a particle written in lower case before the last name is part of it."""
    words = middle.split()
    start = len(words)
    while last and start > 0 and words[start - 1].islower() and words[start - 1] in _SURNAME_PARTICLES:
        start -= 1
    if start == len(words):
        return middle, last
    return " ".join(words[:start]), " ".join([*words[start:], last])


def _suffix_text(suffixes: list[str]) -> str | None:
    """Suffixes re-cased (III, Jr., MD, PhD), joined by spaces: "Jr. MD", "CLU CFP" (nameparser reads
    them back as suffixes; a comma would turn "Andrew, CLU" into a last name and a suffix)."""
    return " ".join(_case_suffix(w) for s in suffixes for w in s.split()) or None


def _case_suffix(suffix: str) -> str:
    """ "iii" -> "III", "md" -> "MD", "phd" -> "PhD", "JR." -> "Jr."; capitals otherwise kept (CLU)."""
    if not (suffix.isupper() or suffix.islower()):
        return suffix
    key = _token_key(suffix)
    if _ROMAN.fullmatch(key):
        return suffix.upper()
    if key in _CONSTANTS.suffix_not_acronyms:
        return proper_case(suffix.lower())
    if suffix.isupper():
        return suffix
    if key in _SUFFIX_CASE and "." not in suffix:
        return _SUFFIX_CASE[key]
    return suffix.upper() if key in _CONSTANTS.suffix_acronyms else proper_case(suffix)


@functools.lru_cache(maxsize=200_000)
def split_full_name(text: str) -> tuple[str | None, str | None]:
    """(first, last) of a display name: "SMITH, John", "John Smith", "Ludwig van Beethoven", "YAMADA Taro"."""
    parsed = parse_full_name(text)
    return parsed.first, parsed.last


@functools.lru_cache(maxsize=200_000)
def standardise_name_part(value: str | None) -> tuple[str | None, str]:
    """A first or last name: affixes off, proper case; (value, status).

    A comma left inside one part is dropped: in a composed full name it would read as "LAST, First".
    """
    if value is None:
        return None, Status.MISSING.value
    # Dashes standing alone are noise ("Anna -"); dashes inside a word are the value's own.
    text = " ".join(w for w in value.split() if w.strip("-")).strip(" ,")
    if all(_is_title(w) and _token_key(w) not in GIVEN_NAME_TITLES for w in text.replace(",", " ").split()):
        return None, Status.INVALID.value  # "Sir", "Maj. Gen.": a title typed where the name goes
    name, _ = strip_affixes(text)
    standard = proper_case(" ".join(name.replace(",", " ").split())) or None
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
    """One person's names; the display full name is "First Middle Last" (plus a suffix such as Jr.).

    Parts the row lacks are taken from its full name (status `inferred`) when the parts it has agree.
    The names are standardised again until nothing changes (at most 8 rounds), so that a
    standardised row stays as it is: nameparser may read a display name it made otherwise ("A i" is
    a name and a suffix, "A I" two names).
    """
    names = _names_of(first, last, full)
    for _ in range(8):
        again = _names_of(*names)
        if again == names:
            break
        names = again
    first_v, last_v, full_v = names
    return (
        first_v,
        _part_status(first, first_v),
        last_v,
        _part_status(last, last_v),
        full_v,
        _full_status(full, full_v),
        match_first_name(first_v),
    )


def _names_of(
    first: str | None, last: str | None, full: str | None
) -> tuple[str | None, str | None, str | None]:
    """(first, last, full) of one round: each part standardised, the missing ones from the full name."""
    first_v = standardise_name_part(first)[0]
    last_v = standardise_name_part(last)[0]
    if full is None:
        return first_v, last_v, " ".join(p for p in (first_v, last_v) if p) or None
    if first_v and last_v:  # the common export: the full name is the parts ("Anna Berg", "Berg, Anna")
        composed = f"{first_v} {last_v}"
        written = fold(" ".join(full.split()))
        if written in (fold(composed), fold(f"{last_v}, {first_v}")):
            return first_v, last_v, composed  # what parsing would give, without its cost
    parsed = parse_full_name(full)
    if _agrees(first_v, parsed.first) and _agrees(last_v, parsed.last):
        first_v = first_v or parsed.first
        last_v = last_v or parsed.last
        full_v = ParsedName(first_v, parsed.middle, last_v, parsed.suffix).display
    else:  # the parts say otherwise ("Johnny Smith" beside John, Smith): the full name stays its own
        composed = " ".join(p for p in (first_v, last_v) if p)
        same = {fold(" ".join(w for w in full.split() if w.strip("-"))), fold(parsed.display or "")}
        full_v = composed if fold(composed) in same else parsed.display  # made from the parts: as they are
    # unusable as given ("Dr."): composed from the parts when there are any
    return first_v, last_v, full_v or " ".join(p for p in (first_v, last_v) if p) or None


def _part_status(raw: str | None, value: str | None) -> str:
    """`inferred` when the row's own part is missing or unusable and the full name gave one."""
    if value is None:
        return Status.MISSING.value if raw is None else Status.INVALID.value
    if raw is None or standardise_name_part(raw)[0] is None:
        return Status.INFERRED.value
    return Status.VALID.value if value == raw else Status.FIXED.value


def _full_status(raw: str | None, value: str | None) -> str:
    if value is None:
        return Status.MISSING.value if raw is None else Status.INVALID.value
    if raw is None:
        return Status.INFERRED.value
    if value == raw:
        return Status.VALID.value
    if fold(" ".join(raw.split())) == fold(value):  # the same name, re-cased: usable as given
        return Status.FIXED.value
    if parse_full_name(raw).display is None:  # composed from the parts
        return Status.INFERRED.value
    return Status.FIXED.value


def _agrees(part: str | None, parsed: str | None) -> bool:
    """The row's own part (if it has one) is the full name's."""
    return part is None or (parsed is not None and fold(part) == fold(parsed))
