"""Name knowledge for matching: which first names are the same name (Percy and Percival, Jack and
John, Sepp and Josef).

Two sources: the `nicknames` package (Carlton Northern's hand-curated English names and nicknames,
Apache-2.0) and crmmigrate's own table of nicknames in other languages. Two names are related when
one is a nickname of the other or both are nicknames of one name (Bob and Rob).
"""

from __future__ import annotations

import functools

import numpy as np
from nicknames import NickNamer

from ..cleanse.name import nicknames
from ..cleanse.text import fold


@functools.lru_cache(maxsize=1)
def _groups() -> dict[str, frozenset[int]]:
    """Name -> the ids of the canonical names it is or stands for."""
    canonical_of: dict[str, set[str]] = {}
    for canonical, nicks in NickNamer().nickname_lookup.items():
        canonical_of.setdefault(fold(canonical), set()).add(fold(canonical))
        for nick in nicks:
            canonical_of.setdefault(fold(nick), set()).add(fold(canonical))
    for nick, canonical in nicknames().items():
        canonical_of.setdefault(nick, set()).add(canonical)
        canonical_of.setdefault(canonical, set()).add(canonical)
    ids: dict[str, int] = {}
    return {
        name: frozenset(ids.setdefault(c, len(ids)) for c in canonicals)
        for name, canonicals in canonical_of.items()
    }


@functools.lru_cache(maxsize=1 << 16)
def name_group(name: str) -> frozenset[int]:
    return _groups().get(fold(name), frozenset())


def name_groups(name: str) -> list[int]:
    """The ids of the canonical names `name` is or stands for (empty for a name nobody lists)."""
    return sorted(name_group(name))


def share_a_group(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair (rows of two `name_groups` matrices, -1 padded): the names share a canonical name."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    width = int(max(a.max(initial=0), b.max(initial=0))) + 1
    pair = np.arange(len(a), dtype=np.int64)[:, None]
    codes_a = (pair * width + a)[a >= 0]
    codes_b = (pair * width + b)[b >= 0]
    shared = codes_a[np.isin(codes_a, codes_b)] // width
    out = np.zeros(len(a), dtype=bool)
    out[shared] = True
    return out
