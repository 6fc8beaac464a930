"""Name knowledge for matching: which first names are the same name (Percy and Percival, Jack and
John, Sepp and Josef).

Three sources: the `nicknames` package (Carlton Northern's hand-curated English names and
nicknames, Apache-2.0), crmmigrate's own table of nicknames in other languages, and its table of
one name's forms in other languages (Johann, Juan, Giovanni and Sean are John; Wilhelm and Gwilym
are William). Two names are related when one is a nickname of the other, or both are forms of one
name.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

import numpy as np
from nicknames import NickNamer

from ..cleanse.name import nicknames
from ..cleanse.text import fold


def _derived(nick: str, canonical: str) -> bool:
    """The nickname is visibly made from the name (Percy/Percival, Reggie/Reginald, Tina/Christina).
    The `nicknames` data also lists old English customs (Hannah for Susan, Polly for Mary): too
    loose to tell one customer from another. The classic ones (Bob, Bill, Jack) are in our table."""
    return nick[:1] == canonical[:1] or nick[:2] in canonical or nick[-3:] in canonical


@functools.lru_cache(maxsize=1)
def name_forms() -> dict[str, set[str]]:
    """Each name's forms in other languages, the name itself included, by any of them: a form
    relates to every other form of its name (Sean and Ian are both John). Forms that are another
    everyday name in English (Jean, Evan, Jacob) are left out: a household can have both."""
    text = resources.files("crmmigrate.data").joinpath("dedupe_name_forms.csv").read_text("utf-8")
    out: dict[str, set[str]] = {}
    for row in csv.DictReader(text.splitlines()):
        group = {fold(row["name"]), *(fold(f) for f in row["forms"].split())}
        for form in group:
            out.setdefault(form, set()).update(group - {form})
    return out


@functools.lru_cache(maxsize=1)
def _related() -> tuple[dict[str, int], dict[str, frozenset[int]]]:
    """Every known name's id, and the ids of the names it is a nickname of."""
    canonical_of: dict[str, set[str]] = {}
    for canonical, nicks in NickNamer().nickname_lookup.items():
        canonical_of.setdefault(fold(canonical), set())
        for nick in nicks:
            if _derived(fold(nick), fold(canonical)):
                canonical_of.setdefault(fold(nick), set()).add(fold(canonical))
    for nick, canonical in nicknames().items():
        canonical_of.setdefault(nick, set()).add(canonical)
        canonical_of.setdefault(canonical, set())
    for form, others in name_forms().items():
        canonical_of.setdefault(form, set()).update(others)
    ids: dict[str, int] = {}
    for name, canonicals in canonical_of.items():
        ids.setdefault(name, len(ids))
        for canonical in canonicals:
            ids.setdefault(canonical, len(ids))
    return ids, {name: frozenset(ids[c] for c in canonicals) for name, canonicals in canonical_of.items()}


@functools.lru_cache(maxsize=1 << 16)
def name_groups(name: str) -> list[int]:
    """The name's own id, then the ids of the names it is a nickname of; empty for a name nobody
    lists. Two names are one when either is a nickname of the other (Percy of Percival), not
    merely when both shorten one long name (Susan and Hannah both stand for Susannah)."""
    ids, canonicals = _related()
    key = fold(name)
    if key not in ids:
        return []
    return [ids[key], *sorted(canonicals.get(key, ()))]


def known_name(name: str) -> bool:
    return bool(name_groups(name))


def share_a_group(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair (rows of two `name_groups` matrices, -1 padded): one name is a nickname of the
    other (the first column of one is among the other's)."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    out = np.zeros(len(a), dtype=bool)
    for own, others in ((a[:, :1], b[:, 1:]), (b[:, :1], a[:, 1:])):
        out |= ((others == own) & (own >= 0)).any(axis=1)
    return out
