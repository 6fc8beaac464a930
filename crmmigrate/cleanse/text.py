"""Text hygiene shared by every column: invisible characters out, whitespace folded.

Legacy exports carry zero-width spaces, byte-order marks, bidi overrides and stray control
characters that make equal values compare unequal and can disguise content (Trojan Source,
CVE-2021-42574). They are removed before any other standardiser looks at a value.

Line breaks become spaces, except in a multi-line field (a street address as most exports hold
it), where a line is a boundary the address parser needs: there every kind of line break
becomes one "\n" and blank lines go.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

#: C0/C1 controls (tab, newline and carriage return become spaces instead), zero-width and
#: joiner characters, soft hyphen, word joiners, BOM, bidi marks, embeddings and isolates.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(r"\s+")
#: Every way of breaking a line (CR LF, CR, LF, VT, FF, NEL, line and paragraph separators).
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
#: Values that need any work at all: cheap test before the full clean-up.
_NEEDS_WORK = re.compile(
    r"^\s|\s$|\s\s|[\t\n\r\x0b\x0c\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x85]"
    r"|[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    r"\ufeff\ufff9-\ufffb]"
)


#: The same test as `_NEEDS_WORK` in RE2 syntax, for pyarrow.
_NEEDS_WORK_RE2 = (
    r"^\s|\s$|\s\s|[\x00-\x1f\x7f-\x9f\x{00a0}\x{00ad}\x{061c}\x{1680}\x{180e}\x{2000}-\x{200f}"
    r"\x{2028}-\x{202f}\x{205f}-\x{2064}\x{2066}-\x{2069}\x{3000}\x{feff}\x{fff9}-\x{fffb}]"
)


def clean_text(value: Any) -> str | None:
    """The value with invisible characters removed and whitespace folded; None when empty."""
    if not isinstance(value, str):
        if value is None or _is_missing(value):
            return None
        value = str(value)
    if _NEEDS_WORK.search(value):
        value = _SPACES.sub(" ", _INVISIBLE.sub("", value)).strip()
    return value or None


def clean_lines(value: Any) -> str | None:
    """Like `clean_text`, but the value's lines are kept, each cleaned, joined by "\n"."""
    if not isinstance(value, str) or not _LINE_BREAKS.search(value):
        return clean_text(value)
    lines = (clean_text(line) for line in _LINE_BREAKS.split(value))
    return "\n".join(line for line in lines if line) or None


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fold(text: str) -> str:
    """Case- and accent-free form used for lookups (Österreich -> osterreich)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def map_unique(values: pd.Series, func: Callable[[Any], Any]) -> list[Any]:
    """`func` applied once per distinct value, mapped back to every row (as a list).

    Columns repeat values a lot (countries, dates, first names); the slow per-value work is
    then done once per distinct value.
    """
    cache: dict[Hashable, Any] = {}
    out = []
    append = out.append
    for key in as_list(values):
        try:
            append(cache[key])
        except KeyError:
            result = cache[key] = func(key)
            append(result)
    return out


def as_list(values: pd.Series) -> list[Any]:
    """The values as a list with every kind of missing (NaN, NA, NaT) as None."""
    return values.astype(object).where(values.notna(), None).tolist()


def clean_series(values: pd.Series, keep_lines: bool = False) -> pd.Series:
    """Every value of `values` through `clean_text` (`clean_lines` when `keep_lines`), None for
    missing, object dtype, same index.

    Most values are already clean: a vectorised test (RE2 through pyarrow) picks out the few
    that need work, and only those go through Python.
    """
    clean = clean_lines if keep_lines else clean_text
    objects = pd.Series(as_list(values), index=values.index, dtype=object)
    flags = _needs_work(objects)
    if flags is None:
        return pd.Series(map_unique(objects, clean), index=values.index, dtype=object)
    if flags.any():
        objects[flags] = map_unique(objects[flags], clean)
    return objects


def _needs_work(objects: pd.Series) -> np.ndarray | None:
    """Boolean flags of the values `clean_text` would change; None when the fast test cannot run."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    try:
        array = pa.array(objects.tolist(), type=pa.string())
    except (pa.ArrowException, TypeError, ValueError):  # not all text: the slow path copes
        return None
    flags = pc.or_(pc.match_substring_regex(array, _NEEDS_WORK_RE2), pc.equal(pc.utf8_length(array), 0))
    return np.asarray(flags.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


#: Tokens legacy systems type for "no value", in several languages; fields add their own.
PLACEHOLDERS = frozenset(
    [
        "",
        "n/a",
        "na",
        "n.a.",
        "none",
        "null",
        "nil",
        "-",
        "--",
        "---",
        ".",
        "?",
        "unknown",
        "keine",
        "k.a.",
        "tbd",
    ]
)
