"""Blocking: which record pairs are worth comparing at all.

A pair is a candidate when the two rows agree on any one of several keys, so that an error in one
field never hides a duplicate: the same email, phone or identifier; the sounds of both names (in
either order); the surname; the birth date; a name word in the same place or birth year; the same
street; the same company. A key may hold several values per row (every phone number, every word
of the name): rows meet when any of their values agree. Keys are built from whichever identity
fields are filled, so a list of organisations blocks on company words and an export without birth
dates simply has no birth-date key.

Each key's blocks are handled by size, so that the work per row stays bounded whatever the data:

- a block of up to `max_block_size` rows is compared in full (every pair);
- a larger block (a common surname, a big city, a placeholder birth date) is sorted by a second
  value (the full name, the place) and each row is paired with its `window` nearest neighbours:
  a sorted neighbourhood. Rows whose sort values are alike, the likely duplicates, stay
  neighbours; nothing is skipped.

Three sorted passes over all rows (names first-last, last-first, and each written backwards; an
organisation's company name) catch typos that change every key, as in the classic multi-pass
sorted-neighbourhood method.

Everything runs on integer codes in numpy: a key value is a code per row, a block is a run of
equal codes in sorted order, and a pair is the int64 `lo * n + hi`, de-duplicated across keys.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import jellyfish
import numpy as np
import pandas as pd

from .prepare import MatchFrame

#: Blocks of at most this many rows are compared in full.
MAX_BLOCK_SIZE = 12
#: In larger blocks (and in the sorted passes) each row meets this many neighbours on each side.
WINDOW = 5
#: Name words a row is blocked on at most (surname words first).
MAX_NAME_WORDS = 4
#: The keys an incremental run finds stored customers by (`incremental.nearby` mirrors them).
ANCHOR_KEYS = ("email", "email name", "phone", "first and last name", "birth date", "street", "company")
#: Below this share of filled rows a key is not worth building.
MIN_FILL = 0.005
#: A list of at most this many rows has every pair compared (at most 499,500 pairs, a second or
#: two): keys can only lose pairs, and a small list can afford none of them.
EVERY_PAIR_ROWS = 1000
#: The name of the pairs a small list adds beyond its keys (in the run's pairs per key).
EVERY_PAIR = "every pair (a small list)"

Codes = np.ndarray  # int64 per row, -1 where the row has no value


@functools.lru_cache(maxsize=1 << 17)
def sound(word: str) -> str:
    """A word's sound (metaphone), so that Meyer/Maier and Smith/Smyth share a key; scripts
    metaphone does not read keep the word itself."""
    return jellyfish.metaphone(word) or word


def codes_of(values: pd.Series | np.ndarray) -> Codes:
    """Integer code per row, -1 for a missing value."""
    return jointly(values)[0]


def jointly(*columns: pd.Series | np.ndarray) -> list[Codes]:
    """Codes of several columns from one table, so that equal values get equal codes across them
    (a number in the phone column and the same number in the mobile column)."""
    arrays = [
        c.to_numpy(dtype=object) if isinstance(c, pd.Series) else np.asarray(c, dtype=object) for c in columns
    ]
    codes = pd.factorize(np.concatenate(arrays) if arrays else np.empty(0, dtype=object))[0].astype(np.int64)
    bounds = np.cumsum([0] + [len(a) for a in arrays])
    return [codes[bounds[k] : bounds[k + 1]] for k in range(len(arrays))]


def alternatives(*combos: tuple[Codes, ...], either: bool = False) -> tuple[Codes, ...]:
    """Several values per row of one key, each a combination of parts, coded in one table (parts
    at one position must share a table: a name word with any name word). `either`: a combination
    of two parts in either order, so that (a, b) and (b, a) agree (swapped names)."""
    if either:
        combos = tuple((np.minimum(a, b), np.maximum(a, b)) for a, b in combos)  # -1 stays missing
    n = len(combos[0][0])
    stacked = [np.concatenate([combo[k] for combo in combos]) for k in range(len(combos[0]))]
    joint = combine(*stacked)
    return tuple(joint[k * n : (k + 1) * n] for k in range(len(combos)))


def combine(*parts: Codes) -> Codes:
    """One code per distinct combination of the parts; -1 when any part is missing."""
    out = parts[0].copy()
    missing = out < 0
    for part in parts[1:]:
        missing |= part < 0
        out = out * (int(part.max(initial=0)) + 1) + np.maximum(part, 0)
        out = pd.factorize(np.where(missing, -1, out))[0].astype(np.int64)
    out[missing] = -1
    return out


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for int64 codes, by one sort (numpy's own can take a slower hashing path)."""
    values = np.sort(values, kind="stable")
    if len(values) < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _per_distinct(values: np.ndarray, func: object) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    mapped = np.array([func(str(u)) for u in uniques] + [None], dtype=object)  # type: ignore[operator]
    return mapped[codes]


@dataclass(frozen=True)
class BlockingKey:
    """One key: rows agree when any of their `values` agree. `order` sorts a large block.

    `uses`: the comparisons the key's agreement implies; EM fitted on the key's pairs leaves them
    out (as Splink trains per blocking rule), since those pairs agree on them by construction.
    `trains`: whether EM learns from the key's pairs at all. A broad key (a surname, a name word
    in a city) pairs mostly different people who agree on little else, and EM on such pairs can
    settle on "they are all the same person"; a tight key (an email, both names, a birth date)
    pairs mostly duplicates, whose other fields show what a match looks like."""

    name: str
    values: tuple[Codes, ...]
    order: Codes | None = None
    uses: tuple[str, ...] = ()
    trains: bool = True  # its pairs teach EM what a match looks like (False: a broad key)

    def filled(self) -> float:
        n = len(self.values[0]) if self.values else 0
        if n == 0:
            return 0.0
        present = np.zeros(n, dtype=bool)
        for value in self.values:
            present |= value >= 0
        return float(present.mean())


@dataclass
class Candidates:
    """De-duplicated candidate pairs (left < right, positional) and how they were found."""

    left: np.ndarray
    right: np.ndarray
    per_key: dict[str, int] = field(default_factory=dict)  # key name -> pairs it found
    found_by: dict[str, np.ndarray] = field(default_factory=dict)  # training key -> mask over the pairs
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key name -> comparisons it agrees on
    trains: dict[str, bool] = field(default_factory=dict)  # key name -> EM learns from its pairs
    windowed: dict[str, int] = field(default_factory=dict)  # key name -> blocks sorted, not compared in full

    def __len__(self) -> int:
        return len(self.left)


# -- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """Per row: the sounds of its name words (surname first), and orders for sorting blocks."""

    words: list[Codes]  # code per row of the k-th name word's sound, -1 past the row's last word
    first: Codes  # sound of the (canonical) first name
    first_raw: Codes  # sound of the first name as written
    last: Codes  # sound of the whole surname
    named: np.ndarray  # the row has a first or last name (or, for an organisation, a company)
    full: Codes  # rank of "last first" as text (for sorting)
    full_first: Codes  # rank of "first last"
    reversed_full: Codes  # rank of the name written backwards


def _rank(values: np.ndarray) -> Codes:
    """Sort rank of text values (missing last)."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64)


def _joined(*columns: np.ndarray) -> np.ndarray:
    """The filled values of each row joined by spaces (None where none is filled), built once per
    distinct combination of values."""
    combination = combine(*(codes_of(column) + 1 for column in columns))  # 0: missing, not -1
    distinct = np.unique(combination, return_index=True)[1]
    texts = [
        " ".join(str(column[r]) for column in columns if not pd.isna(column[r])).strip() or None
        for r in distinct.tolist()
    ]
    position = np.searchsorted(combination[distinct], combination)
    return np.array(texts, dtype=object)[position]


def _names(mf: MatchFrame) -> _Names:
    d = mf.data
    last, first_raw, first = (d[c].to_numpy(dtype=object) for c in ("last", "first_raw", "first"))
    person = ~(pd.isna(first_raw) & pd.isna(last))
    company = np.where(person, None, d["company"].to_numpy(dtype=object))  # a company names itself
    sounds: dict[str, int] = {}  # one code table for every name sound, so that fields compare
    # Words once per distinct combination of the four values, not once per row.
    combination = pd.factorize(_joined(last, first_raw, first, company))[0]
    distinct_rows = np.unique(combination, return_index=True)[1]
    word_lists = []
    for r in distinct_rows:
        words: list[int] = []
        for value in (last[r], first_raw[r], first[r], company[r]):
            if isinstance(value, str):
                for word in value.split():
                    code = sounds.setdefault(sound(word), len(sounds))
                    if code not in words:
                        words.append(code)
        word_lists.append(words[:MAX_NAME_WORDS])
    position = np.searchsorted(combination[distinct_rows], combination)
    words_by_position = []
    for k in range(max((len(w) for w in word_lists), default=0)):
        kth = np.array([w[k] if len(w) > k else -1 for w in word_lists], dtype=np.int64)
        words_by_position.append(kth[position])

    def whole(values: np.ndarray) -> Codes:
        codes, uniques = pd.factorize(values)
        spoken = [sound(str(v).replace(" ", "")) for v in uniques]
        table = np.array(
            [sounds.setdefault(s, len(sounds)) if s else -1 for s in spoken] + [-1], dtype=np.int64
        )
        return table[codes]  # code -1 (missing) picks the final -1

    # An organisation's name is its company name: sorted passes and large blocks order it by that.
    full_text = np.where(person, _joined(last, first_raw), company)
    backwards = _per_distinct(full_text, lambda v: v[::-1])
    return _Names(
        words=words_by_position,
        first=whole(first),
        first_raw=whole(first_raw),
        last=whole(last),
        named=~pd.isna(full_text),
        full=_rank(full_text),
        full_first=_rank(np.where(person, _joined(first_raw, last), company)),
        reversed_full=_rank(backwards),
    )


_LOCAL_PART = re.compile(r"^([^@]+)@")


def _email_local(email: np.ndarray) -> np.ndarray:
    """The mailbox name before the @ when it is distinctive (4+ characters, not a role word)."""

    def local(value: str) -> str | None:
        match = _LOCAL_PART.match(value)
        name = match.group(1) if match else ""
        return name if len(name) >= 4 else None

    return _per_distinct(email, local)


def automatic_keys(mf: MatchFrame, custom: Sequence[str] = ()) -> list[BlockingKey]:
    """The default keys, from whichever identity fields are filled; `custom`: custom columns
    that are compared (identifiers), each a key of its own."""
    d = mf.data
    names = _names(mf)
    column = {c: d[c].to_numpy(dtype=object) for c in ("email", "street", "postal", "city", "dob", "company")}
    postal, city = jointly(column["postal"], column["city"])
    street = codes_of(column["street"])
    dob = codes_of(column["dob"])
    year = codes_of(np.array([v[:4] if isinstance(v, str) else None for v in column["dob"]], dtype=object))
    place_rank = _rank(np.where(pd.isna(column["postal"]), column["city"], column["postal"]))
    person_names = ("first_name", "last_name")
    phones = tuple(jointly(*(d[c] for c in mf.phone_columns())))
    keys = [
        BlockingKey("email", (codes_of(column["email"]),), names.full, ("email",)),
        BlockingKey("email name", (codes_of(_email_local(column["email"])),), names.full, ("email",)),
        BlockingKey("phone", phones, names.full, ("phone",)) if phones else None,
        BlockingKey(
            "first and last name",
            alternatives((names.first, names.last), (names.first_raw, names.last), either=True),
            place_rank,
            person_names,
            trains=False,  # at scale namesakes all over the country
        ),
        BlockingKey(
            "first and last name + place",
            alternatives(
                *(
                    (p, *pair)
                    for p in (postal, city)
                    for pair in ((names.first, names.last), (names.first_raw, names.last))
                )
            ),
            names.full,
            ("address", *person_names),
        ),
        BlockingKey("surname", (names.last,), names.full_first, ("last_name",), trains=False),
        BlockingKey("birth date", (dob,), names.full, ("date_of_birth",)),
        BlockingKey(
            "birth year + name word",
            alternatives(*((year, w) for w in names.words)) if names.words else (),
            names.full,
            ("date_of_birth", *person_names),
            trains=False,
        ),
        BlockingKey(
            "place + name word",
            alternatives(*((p, w) for p in (postal, city) for w in names.words)) if names.words else (),
            names.full,
            ("address", *person_names),
            trains=False,
        ),
        BlockingKey("street", alternatives((street, postal), (street, city)), names.full, ("address",)),
        BlockingKey("company", (codes_of(column["company"]),), place_rank, ("company",)),
    ]
    for name in custom:
        values = d.get(f"x_{name}")
        if values is not None:
            keys.append(BlockingKey(name, (codes_of(values),), names.full, (name,)))
    keys = [k for k in keys if k is not None and k.values and k.filled() >= MIN_FILL]
    if names.named.any():
        everyone_named = np.where(names.named, 0, -1).astype(np.int64)
        keys += [
            BlockingKey("sorted: last, first name", (everyone_named,), names.full, person_names, False),
            BlockingKey("sorted: first, last name", (everyone_named,), names.full_first, person_names, False),
            BlockingKey(
                "sorted: name backwards", (everyone_named,), names.reversed_full, person_names, False
            ),
        ]
    return keys


#: Canonical field -> the match-frame columns a configured blocking rule on it agrees on.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("first",),
    "last_name": ("last",),
    "email": ("email",),
    "phone": ("p9_phone",),
    "address_line1": ("street",),
    "address_line2": ("line2",),
    "postal_code": ("postal",),
    "city": ("city",),
    "region": ("region",),
    "country": ("country",),
    "date_of_birth": ("dob",),
    "company": ("company",),
}

#: Canonical field -> the comparison whose evidence agreeing on it implies.
FIELD_COMPARISON = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "address_line1": "address",
    "postal_code": "address",
    "city": "address",
    "address_line2": "address_line2",
    "date_of_birth": "date_of_birth",
    "company": "company",
    "country": "country",
    "region": "region",
}


def configured_keys(mf: MatchFrame, rules: list[list[str]]) -> list[BlockingKey]:
    """Keys from the config: each rule a list of fields (canonical or custom) that must all agree.
    Names are checked when the config loads; a field this input lacks makes its rule find nothing."""
    names = _names(mf)
    keys = []
    for rule in rules:
        parts = []
        for name in rule:
            columns = FIELD_COLUMNS.get(name, (f"x_{name}",))
            column = mf.data.get(columns[0])
            parts.append(codes_of(column) if column is not None else np.full(len(mf), -1, dtype=np.int64))
        uses = tuple(sorted({FIELD_COMPARISON.get(c, c) for c in rule}))
        keys.append(BlockingKey("+".join(rule), (combine(*parts),), names.full, uses))
    return keys


# -- pairs ---------------------------------------------------------------------------------------


def _key_pairs(key: BlockingKey, n: int, max_block: int, window: int) -> tuple[np.ndarray, int]:
    """Sorted unique pair codes (lo * n + hi) of one key, and how many blocks were windowed."""
    rows = np.concatenate([np.arange(n, dtype=np.int64)] * len(key.values))
    codes = np.concatenate(key.values)
    keep = codes >= 0
    rows, codes = rows[keep], codes[keep]
    if len(codes) < 2:
        return np.empty(0, dtype=np.int64), 0
    sizes = np.bincount(codes)
    entry_size = sizes[codes]
    keep = entry_size > 1
    rows, codes, entry_size = rows[keep], codes[keep], entry_size[keep]
    order = key.order[rows] if key.order is not None else rows
    sort = np.lexsort((rows, order, codes))
    rows, codes, entry_size = rows[sort], codes[sort], entry_size[sort]
    small = entry_size <= max_block
    largest_small = int(entry_size[small].max(initial=1))
    largest = int(entry_size.max(initial=1))
    steps = max(min(window, largest - 1), largest_small - 1)
    found = []
    for step in range(1, steps + 1):
        same = codes[step:] == codes[:-step]
        if step > window:
            same &= small[step:]
        a, b = rows[:-step][same], rows[step:][same]
        found.append(np.minimum(a, b) * n + np.maximum(a, b))
    windowed = int((sizes > max_block).sum())
    if not found:
        return np.empty(0, dtype=np.int64), windowed
    pairs = sorted_unique(np.concatenate(found))
    lo, hi = pairs // n, pairs % n
    return pairs[lo != hi], windowed


def positions(codes: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (lo, hi) of pair codes `lo * n_rows + hi`, as int32 while rows allow (at
    millions of pairs, half the memory)."""
    width = max(n_rows, 1)
    kind = np.int32 if n_rows < 2**31 else np.int64
    return (codes // width).astype(kind), (codes % width).astype(kind)


def candidate_pairs(
    keys: list[BlockingKey],
    n_rows: int,
    max_block: int = MAX_BLOCK_SIZE,
    window: int = WINDOW,
    every_pair_rows: int | None = None,
) -> Candidates:
    """Every pair that agrees on at least one key (or meets in a sorted pass), each pair once;
    in a list of at most `every_pair_rows` rows (None: `EVERY_PAIR_ROWS`), every pair (EM still
    learns from the keys' pairs only)."""
    if every_pair_rows is None:
        every_pair_rows = EVERY_PAIR_ROWS
    per_key: dict[str, int] = {}
    windowed: dict[str, int] = {}
    found: list[np.ndarray] = []
    for key in keys:
        # A broad key's blocks are mostly different people: compared in full only while small,
        # and fewer neighbours in larger ones.
        cap = max_block if key.trains else min(max_block, 2 * window)
        reach = window if key.trains else max(1, (window + 1) // 3)
        codes, n_windowed = _key_pairs(key, n_rows, cap, reach)
        per_key[key.name] = len(codes)
        if n_windowed:
            windowed[key.name] = n_windowed
        found.append(codes)
    if 1 < n_rows <= every_pair_rows:
        lo, hi = np.triu_indices(n_rows, 1)
        found.append(lo.astype(np.int64) * n_rows + hi)
        per_key[EVERY_PAIR] = len(found[-1])
        keys = [*keys, BlockingKey(EVERY_PAIR, (), trains=False)]
    merged = sorted_unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    found_by = {}
    for key, codes in zip(keys, found, strict=True):
        if not key.trains:
            continue  # only the keys EM learns from need to know their pairs
        mask = np.zeros(len(merged), dtype=bool)
        mask[np.searchsorted(merged, codes)] = True
        found_by[key.name] = mask
    del found
    left, right = positions(merged, n_rows)
    return Candidates(
        left=left,
        right=right,
        per_key=per_key,
        found_by=found_by,
        uses={key.name: key.uses for key in keys},
        trains={key.name: key.trains for key in keys},
        windowed=windowed,
    )


def extra_pairs(candidates: Candidates, left: np.ndarray, right: np.ndarray, n_rows: int) -> Candidates:
    """Candidates plus some forced pairs (must-link decisions), still each pair once."""
    if len(left) == 0:
        return candidates
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    old = candidates.left.astype(np.int64) * n_rows + candidates.right
    merged = sorted_unique(np.concatenate([old, lo.astype(np.int64) * n_rows + hi]))
    found_by = {}
    for name, mask in candidates.found_by.items():
        moved = np.zeros(len(merged), dtype=bool)
        moved[np.searchsorted(merged, old[mask])] = True
        found_by[name] = moved
    left, right = positions(merged, n_rows)
    return Candidates(
        left=left,
        right=right,
        per_key=candidates.per_key,
        found_by=found_by,
        uses=candidates.uses,
        trains=candidates.trains,
        windowed=candidates.windowed,
    )
