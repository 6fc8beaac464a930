"""Blocking keys as text values per row, so that rows meet by a join on equal values wherever in
a cluster they are: the keys of `dedupe.blocking.automatic_keys` (and of configured rules), each
value the text that key's integer code stands for, and each row's sort text for large blocks.

`blocking` codes a key's values in one table over all rows (equal codes, equal values); a Spark
task sees only its own rows, so it writes the values themselves. `key_entries` works on any
slice of the match frame; equal values across slices are equal keys. Which keys a run keeps
(those filled in at least `blocking.MIN_FILL` of the rows) is decided over all rows, after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dedupe.blocking import FIELD_COLUMNS, FIELD_COMPARISON, MAX_NAME_WORDS, sound

#: Joins the parts of a combined value (a place and a name word); in no prepared value.
SEP = "\x1f"
#: Sort text of a row without one: after every name (as `blocking._rank` puts missing last).
LAST = "\uffff"
PERSON_NAMES = ("first_name", "last_name")


@dataclass(frozen=True)
class KeySpec:
    """One blocking key: its name, the sort text of its large blocks, what its agreement implies
    (`BlockingKey.uses`), whether EM learns from its pairs, and when a run keeps it: `filled`
    when at least `blocking.MIN_FILL` of the rows have a value, `any` when one row has (the
    sorted passes), `always` (configured rules)."""

    name: str
    order: str  # "full", "full_first", "backwards" or "place"
    uses: tuple[str, ...]
    trains: bool = True
    keep: str = "filled"


def automatic_specs(custom: Sequence[str]) -> list[KeySpec]:
    """The keys of `blocking.automatic_keys`, in its order; `custom`: compared identifiers."""
    specs = [
        KeySpec("email", "full", ("email",)),
        KeySpec("email name", "full", ("email",)),
        KeySpec("phone", "full", ("phone",)),
        KeySpec("first and last name", "place", PERSON_NAMES, trains=False),
        KeySpec("first and last name + place", "full", ("address", *PERSON_NAMES)),
        KeySpec("surname", "full_first", ("last_name",), trains=False),
        KeySpec("birth date", "full", ("date_of_birth",)),
        KeySpec("birth year + name word", "full", ("date_of_birth", *PERSON_NAMES), trains=False),
        KeySpec("place + name word", "full", ("address", *PERSON_NAMES), trains=False),
        KeySpec("street", "full", ("address",)),
        KeySpec("company", "place", ("company",)),
    ]
    specs += [KeySpec(name, "full", (name,)) for name in custom]
    specs += [
        KeySpec("sorted: last, first name", "full", PERSON_NAMES, False, keep="any"),
        KeySpec("sorted: first, last name", "full_first", PERSON_NAMES, False, keep="any"),
        KeySpec("sorted: name backwards", "backwards", PERSON_NAMES, False, keep="any"),
    ]
    return specs


def configured_specs(rules: list[list[str]]) -> list[KeySpec]:
    """The keys of `blocking.configured_keys`: each rule's fields must all agree."""
    return [
        KeySpec(
            "+".join(rule), "full", tuple(sorted({FIELD_COMPARISON.get(c, c) for c in rule})), keep="always"
        )
        for rule in rules
    ]


#: Match-frame columns the automatic keys read, besides every phone (`p9_…`) and compared
#: identifier (`x_…`).
AUTOMATIC_COLUMNS = ("first_raw", "first", "last", "company", "email", "street", "dob", "postal", "city")


def columns_read(columns: Sequence[str], custom: Sequence[str], rules: list[list[str]] | None) -> list[str]:
    """The match-frame columns (of `columns`, in their order) that the keys read: what a task
    that writes key entries needs sent, out of a frame of some 20 columns (the sort texts are
    coded on the driver: `order_codes`)."""
    if rules:
        wanted = {FIELD_COLUMNS.get(name, (f"x_{name}",))[0] for rule in rules for name in rule}
    else:
        wanted = set(AUTOMATIC_COLUMNS) | {f"x_{name}" for name in custom}
        wanted |= {c for c in columns if str(c).startswith("p9_")}
    return [c for c in columns if c in wanted]


def _text(data: pd.DataFrame, column: str) -> np.ndarray:
    if column not in data.columns:
        return np.full(len(data), None, dtype=object)
    values = data[column].to_numpy(dtype=object)
    return np.where(pd.isna(values), None, values)


def _joined(*columns: np.ndarray) -> np.ndarray:
    """Like `blocking._joined`: the filled parts with spaces, None when none is filled."""
    out = []
    for parts in zip(*columns, strict=True):
        text = " ".join(str(p) for p in parts if p is not None).strip()
        out.append(text or None)
    return np.array(out, dtype=object)


def _combined(*parts: np.ndarray) -> np.ndarray:
    """Each row's parts as one value; None when any part is missing (as `blocking.combine`)."""
    out = np.full(len(parts[0]), None, dtype=object)
    filled = np.ones(len(out), dtype=bool)
    for part in parts:
        filled &= ~pd.isna(part)
    if filled.any():
        out[filled] = [SEP.join(map(str, values)) for values in zip(*(p[filled] for p in parts), strict=True)]
    return out


def _either(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two parts in either order (swapped names agree)."""
    low = np.array([min(x, y) if x is not None and y is not None else x for x, y in zip(a, b, strict=True)])
    high = np.array([max(x, y) if x is not None and y is not None else y for x, y in zip(a, b, strict=True)])
    return _combined(low.astype(object), high.astype(object))


def _whole_sound(values: np.ndarray) -> np.ndarray:
    return np.array([sound(v.replace(" ", "")) or None if isinstance(v, str) else None for v in values])


def _name_words(last: np.ndarray, first_raw: np.ndarray, first: np.ndarray, company: np.ndarray) -> list:
    """Per row the sounds of its name words, surname first, each once, at most MAX_NAME_WORDS."""
    out = []
    for values in zip(last, first_raw, first, company, strict=True):
        words: list[str] = []
        for value in values:
            if isinstance(value, str):
                for word in value.split():
                    spoken = sound(word)
                    if spoken not in words:
                        words.append(spoken)
        out.append(words[:MAX_NAME_WORDS])
    return out


def _email_name(email: np.ndarray) -> np.ndarray:
    """The mailbox name before the @ when it has 4+ characters (`blocking._email_local`)."""
    out = []
    for value in email:
        local = value.split("@", 1)[0] if isinstance(value, str) and "@" in value[1:] else ""
        out.append(local if len(local) >= 4 else None)
    return np.array(out, dtype=object)


def _full_names(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A person's name last-first and first-last; an organisation's company name in both (as
    `blocking._names`)."""
    last, first_raw = _text(data, "last"), _text(data, "first_raw")
    person = ~(pd.isna(first_raw) & pd.isna(last))
    company = _text(data, "company")
    return (
        np.where(person, _joined(last, first_raw), company),
        np.where(person, _joined(first_raw, last), company),
    )


def orders(data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Sort texts per row: names last-first, first-last, backwards (an organisation's company
    name); the place (postal code, else city). Missing sorts last."""
    postal, city = _text(data, "postal"), _text(data, "city")
    full, full_first = _full_names(data)
    texts = {
        "full": full,
        "full_first": full_first,
        "backwards": np.array([v[::-1] if isinstance(v, str) else None for v in full], dtype=object),
        "place": np.where(pd.isna(postal), city, postal),
    }
    return {name: np.where(pd.isna(v), LAST, v).astype(object) for name, v in texts.items()}


def order_codes(data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per kind of sort text, each row's text as its place among all rows' distinct texts (in
    text order, as `blocking._rank` ranks them): a block sorted by (code, row) is sorted by (text,
    row). The driver, which holds every row, codes them once, so that each of a row's key entries
    carries a number instead of a text (an entry's text was a third of what Spark sorted)."""
    return {name: pd.factorize(texts, sort=True)[0].astype(np.int64) for name, texts in orders(data).items()}


def automatic_values(data: pd.DataFrame, custom: Sequence[str]) -> dict[str, list[np.ndarray]]:
    """Per automatic key, its values per row (one array per alternative; None where missing)."""
    last, first_raw, first = _text(data, "last"), _text(data, "first_raw"), _text(data, "first")
    person = ~(pd.isna(first_raw) & pd.isna(last))
    company = _text(data, "company")
    words = _name_words(last, first_raw, first, np.where(person, None, company))
    width = max((len(w) for w in words), default=0)
    word = [np.array([w[k] if len(w) > k else None for w in words], dtype=object) for k in range(width)]
    s_first, s_first_raw, s_last = _whole_sound(first), _whole_sound(first_raw), _whole_sound(last)
    email, street, dob = _text(data, "email"), _text(data, "street"), _text(data, "dob")
    postal, city = _text(data, "postal"), _text(data, "city")
    year = np.array([v[:4] if isinstance(v, str) else None for v in dob], dtype=object)
    places = (postal, city)
    name_pairs = ((s_first, s_last), (s_first_raw, s_last))
    named = ~pd.isna(_full_names(data)[0])
    everyone = np.where(named, "named", None).astype(object)
    values: dict[str, list[np.ndarray]] = {
        "email": [email],
        "email name": [_email_name(email)],
        "phone": [_text(data, c) for c in data.columns if str(c).startswith("p9_")],
        "first and last name": [_either(a, b) for a, b in name_pairs],
        "first and last name + place": [_combined(p, a, b) for p in places for a, b in name_pairs],
        "surname": [s_last],
        "birth date": [dob],
        "birth year + name word": [_combined(year, w) for w in word],
        "place + name word": [_combined(p, w) for p in places for w in word],
        "street": [_combined(street, p) for p in places],
        "company": [company],
    }
    for name in custom:
        values[name] = [_text(data, f"x_{name}")] if f"x_{name}" in data.columns else []
    for name in ("sorted: last, first name", "sorted: first, last name", "sorted: name backwards"):
        values[name] = [everyone] if named.any() else []
    return values


def configured_values(data: pd.DataFrame, rules: list[list[str]]) -> dict[str, list[np.ndarray]]:
    """Per configured rule, the combined value of its fields per row."""
    out = {}
    for rule in rules:
        parts = [_text(data, FIELD_COLUMNS.get(name, (f"x_{name}",))[0]) for name in rule]
        out["+".join(rule)] = [_combined(*parts)]
    return out


def key_entries(
    pos: np.ndarray,
    specs: list[KeySpec],
    values: dict[str, list[np.ndarray]],
    sort_codes: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The long table Spark blocks on: one entry per (key, value, row) with the code of the row's
    sort text (`order_codes`, per row as `pos`). A row holding one value twice (the same number
    as phone and mobile) is two entries, as in `blocking._key_pairs`. `k`: the key's place in
    `specs`."""
    parts = []
    for k, spec in enumerate(specs):
        for column in values.get(spec.name, []):
            filled = ~pd.isna(column)
            if filled.any():
                parts.append(
                    pd.DataFrame(
                        {
                            "k": np.full(int(filled.sum()), k, dtype=np.int32),
                            "value": column[filled].astype(str),
                            "order": sort_codes[spec.order][filled],
                            "pos": pos[filled].astype(np.int64),
                        }
                    )
                )
    if not parts:
        return pd.DataFrame(
            {
                "k": pd.Series(dtype=np.int32),
                "value": pd.Series(dtype=object),
                "order": pd.Series(dtype=np.int64),
                "pos": pd.Series(dtype=np.int64),
            }
        )
    return pd.concat(parts, ignore_index=True)
