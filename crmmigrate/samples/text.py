"""The small text accidents of real customer data: typos, dropped accents, shouting, and the
transliterations that legacy systems and e-mail addresses force on names.
"""

from __future__ import annotations

import functools
import random
import unicodedata

GERMAN_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
#: Letters that do not decompose into base letter + accent.
STROKES = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae",
                         "œ": "oe", "Œ": "Oe", "ı": "i", "ß": "ss"})  # fmt: skip

#: Neighbouring keys on a QWERTY/QWERTZ keyboard, for substitution typos.
NEIGHBOURS = {
    "a": "sqwz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wrds", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji",
    "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asxy",
}  # fmt: skip


@functools.lru_cache(maxsize=65536)
def strip_accents(text: str) -> str:
    """Müller -> Muller, François -> Francois, Łukasz -> Lukasz."""
    decomposed = unicodedata.normalize("NFKD", text.translate(STROKES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=65536)
def german_fold(text: str) -> str:
    """Müller -> Mueller, Groß -> Gross: how German speakers write names without umlauts."""
    return strip_accents(text.translate(GERMAN_FOLD))


def has_accents(text: str) -> bool:
    return strip_accents(text) != text


@functools.lru_cache(maxsize=65536)
def email_part(name: str, german: bool) -> str:
    """A name as it appears in an e-mail address: ascii, lower case, no spaces or apostrophes."""
    folded = german_fold(name) if german else strip_accents(name)
    return "".join(c for c in folded.lower() if c.isalnum() or c == "-")


@functools.lru_cache(maxsize=65536)
def cp1252_safe(text: str) -> str:
    """What a latin-1 era system stores: letters it cannot hold lose their accent (Łódź -> Lodz),
    and a character with no latin-1 look-alike becomes '?'."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        return "".join(c if _encodable(c) else _fallback(c) for c in text)


def _fallback(char: str) -> str:
    plain = strip_accents(char)
    return plain if all(_encodable(c) for c in plain) else "?"


def _encodable(char: str) -> bool:
    try:
        char.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def typo(text: str, rng: random.Random) -> str:
    """One edit a hurried typist makes: a neighbouring key, a dropped, doubled or swapped letter."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 3:
        return text
    i = rng.choice(letters[1:])  # the first letter is rarely wrong
    kind = rng.random()
    if kind < 0.35:
        near = NEIGHBOURS.get(text[i].lower())
        if near:
            c = rng.choice(near)
            return text[:i] + (c.upper() if text[i].isupper() else c) + text[i + 1 :]
        kind = 0.5
    if kind < 0.6:
        return text[:i] + text[i + 1 :]
    if kind < 0.8:
        return text[:i] + text[i] + text[i:]
    if i + 1 < len(text) and text[i + 1].isalpha() and text[i + 1] != text[i]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def shout(text: str) -> str:
    """Upper case as legacy systems store it; ß stays ß as those systems did."""
    return text.replace("ß", "\0").upper().replace("\0", "ß")
