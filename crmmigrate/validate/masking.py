"""Masking personal values shown in validation output (terminal, JSON, JUnit, HTML, failures CSV).

The mask keeps a value's shape (punctuation, spaces, length, an e-mail's domain, a phone's country
prefix) so a reader still sees WHY it failed (a double dot, a missing @, a short number) without
seeing whose data it is. The failing row itself is found through its lineage (source, source_row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

#: Canonical columns that identify a person; their `_raw` twins are personal too.
PERSONAL_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "date_of_birth",
        "first_name_match",
    }
)

_ALNUM = re.compile(r"\w", re.UNICODE)


def is_personal(column: str) -> bool:
    base = column[: -len("_raw")] if column.endswith("_raw") else column
    return base in PERSONAL_COLUMNS


def mask_text(text: str) -> str:
    """`Jane Doe` -> `J*** ***`: first character kept, letters and digits starred."""
    if not text:
        return text
    return text[0] + _ALNUM.sub("*", text[1:])


def mask_value(value: Any, column: str) -> str | None:
    """The masked text of one value of `column` (None for a missing value)."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    text = str(value)
    base = column[: -len("_raw")] if column.endswith("_raw") else column
    if base == "email":
        local, at, domain = text.rpartition("@")
        return f"{mask_text(local)}@{domain}" if at else mask_text(text)
    if base == "phone":
        keep = 3 if text.startswith("+") else 1
        if len(text) <= keep + 2:
            return mask_text(text)
        middle = re.sub(r"\d", "*", text[keep:-2])
        return text[:keep] + middle + text[-2:]
    return mask_text(text)


def display(value: Any, column: str, personal: bool | None = None) -> str | None:
    """A value as shown to people: masked when the column holds personal data."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if personal if personal is not None else is_personal(column):
        return mask_value(value, column)
    return str(value)


def display_series(values: pd.Series, column: str, personal: bool | None = None) -> pd.Series:
    """`display` over a Series, computed once per distinct value (failures can be many)."""
    # The present values (`display` without its missing check), found by Python's own hashing:
    # pandas' string hash table reads "\x00" as "", so that pd.unique and a dict lookup lose it.
    distinct = dict.fromkeys(values.dropna().tolist())
    masked = personal if personal is not None else is_personal(column)
    shown = {v: mask_value(v, column) if masked else str(v) for v in distinct}
    return values.map(shown.get).astype(object).where(values.notna(), None)


def join_values(parts: Iterable[str | None]) -> str | None:
    items = [p if p is not None else "" for p in parts]
    return None if all(p == "" for p in items) else " | ".join(items)
