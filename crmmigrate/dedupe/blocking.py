"""Blocking: which record pairs are worth comparing at all.

Several keys run at once (a pair is a candidate when any key agrees) so that an error in one field
does not hide a duplicate. Keys are chosen from the columns that are filled; blocks larger than
the cap are skipped with a warning naming the key, so one common value cannot make the work
quadratic.

Keys on a region (a postal code, a place, an address) or a birth date make blocks that grow with
the data: the number of regions and days is fixed while rows grow, and common names repeat in
every region. Two things bound the pairs per row, so that the work grows about linearly with the
rows:

- The address and birth-date keys add a word of the name: rows at one address, or born on one
  day, meet when they share the sound of a name word, in any field and order. A typo, a nickname,
  a new surname or swapped names leave the other word shared, while the other residents of a
  building, or people born the same day, do not meet. (Rows at one address also meet on a shared
  birth date, whatever their names.)
- In a block of a key with an `order` larger than `SUB_BLOCK` rows, the rows are sorted by the
  order and each is paired with its `WINDOW` nearest neighbours only (a sorted neighbourhood), so a
  large block (a common name in a region, a big building) costs about `WINDOW` pairs per row, not
  one per other row.

The names-in-a-place key takes first and last name in either order, so swapped names meet there.
A key can hold several values per row (every phone number, every name word): rows meet when any
of their values agree. Pairs are generated with pandas merges per key and de-duplicated as int64
codes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import jellyfish
import numpy as np
import pandas as pd

from .prepare import MatchFrame

log = logging.getLogger(__name__)

#: Below this share of filled rows a key is not worth building.
MIN_FILL = 0.01

#: Blocks of a key with an `order` larger than SUB_BLOCK rows pair each row with its WINDOW nearest
#: neighbours (one pair per row); a block of WINDOW + 1 rows gets every pair from the window anyway.
WINDOW = 1
SUB_BLOCK = WINDOW + 1

#: Name words a row is blocked on at most (surname words first).
MAX_NAME_WORDS = 6


def _metaphone(value: str) -> str:
    return jellyfish.metaphone(value.replace(" ", "")) or value


def _per_distinct(series: pd.Series, func: Callable[[str], str]) -> pd.Series:
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    mapped = np.array([func(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=series.index, dtype=object)


def _head(series: pd.Series, n: int) -> pd.Series:
    return _per_distinct(series, lambda v: v[:n])


def _join(*parts: pd.Series) -> pd.Series:
    """Key parts joined with '|'; missing when any part is missing."""
    out = parts[0].astype(object)
    missing = out.isna()
    text = out.fillna("").astype(str)
    for part in parts[1:]:
        missing |= part.isna()
        text = text + "|" + part.fillna("").astype(str)
    return text.where(~missing, None).astype(object)


def _initial(series: pd.Series) -> pd.Series:
    return _head(series, 1)


def _either_order(a: pd.Series, b: pd.Series) -> pd.Series:
    """Two values joined smaller first, so that (a, b) and (b, a) agree; missing when either is."""
    first = a.where(a.fillna("") <= b.fillna(""), b)
    second = b.where(a.fillna("") <= b.fillna(""), a)
    return _join(first.astype(object), second.astype(object))


@functools.lru_cache(maxsize=1 << 16)
def _sound(word: str) -> str:
    return jellyfish.metaphone(word) or word


def _name_words(d: pd.DataFrame) -> list[pd.Series]:
    """Each row's name words as sounds: one column per position, missing past a row's last word.

    The words of the surname, of the first name as written and of its canonical form (nicknames
    resolved); a row without a person's name has its company's words instead. Sounds are computed
    once per distinct value, words once per distinct combination of the values.
    """
    person = d["first_raw"].notna() | d["last"].notna()
    combination = np.zeros(len(d), dtype=np.int64)
    parts: list[tuple[np.ndarray, list[list[str]]]] = []
    for column in (d["last"], d["first_raw"], d["first"], d["company"].where(~person, None)):
        codes, uniques = pd.factorize(column.to_numpy(dtype=object))
        sounds = [[_sound(w) for w in str(u).split()] for u in uniques] + [[]]  # the last: missing
        codes = np.where(codes < 0, len(sounds) - 1, codes)
        combination = pd.factorize(combination * len(sounds) + codes)[0]
        parts.append((codes, sounds))
    _, first_row = np.unique(combination, return_index=True)
    words = [list(dict.fromkeys(w for codes, sounds in parts for w in sounds[codes[r]])) for r in first_row]
    columns = []
    for k in range(min(max((len(w) for w in words), default=0), MAX_NAME_WORDS)):
        mapped = np.array([w[k] if len(w) > k else None for w in words], dtype=object)
        columns.append(pd.Series(mapped[combination], index=d.index, dtype=object))
    return columns


def _with_each(base: pd.Series, values: list[pd.Series]) -> tuple[pd.Series, tuple[pd.Series, ...]]:
    """A key of several values per row: `base` combined with each of `values` (as integer codes)."""
    if not values:
        return pd.Series([None] * len(base), index=base.index, dtype=object), ()
    base_codes, _ = pd.factorize(base.to_numpy(dtype=object))
    value_codes, _ = pd.factorize(pd.concat(values, ignore_index=True).to_numpy(dtype=object))
    n_values = int(value_codes.max(initial=-1)) + 1
    keyed = []
    for k in range(len(values)):
        codes = value_codes[k * len(base) : (k + 1) * len(base)]
        combined = base_codes.astype(np.int64) * n_values + codes
        missing = (base_codes < 0) | (codes < 0)
        keyed.append(pd.Series(pd.arrays.IntegerArray(combined, missing), index=base.index))
    return keyed[0], tuple(keyed[1:])


@dataclass(frozen=True)
class BlockingKey:
    """One blocking key: rows agree when any of their values (`left`, then `extra`) agree."""

    name: str
    left: pd.Series
    uses: tuple[str, ...] = ()  # comparisons the key agrees on (left out when EM learns from its pairs)
    extra: tuple[pd.Series, ...] = ()  # more values of the same key (a second phone, more name words)
    order: pd.Series | None = None  # sorts the rows of a large block, paired with near neighbours only


@dataclass
class Candidates:
    """De-duplicated candidate pairs (left < right, positional) and how they were found."""

    left: np.ndarray
    right: np.ndarray
    per_key: dict[str, int] = field(default_factory=dict)
    capped: dict[str, int] = field(default_factory=dict)  # key name -> blocks skipped
    found_by: dict[str, np.ndarray] = field(default_factory=dict)  # key name -> mask over the pairs
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key name -> comparisons it agrees on

    def __len__(self) -> int:
        return len(self.left)


def _filled(series: pd.Series) -> bool:
    return len(series) > 0 and series.notna().mean() >= MIN_FILL


def automatic_keys(mf: MatchFrame) -> list[BlockingKey]:
    """The default keys, from whichever columns are filled."""
    d = mf.data
    first_meta = _per_distinct(d["first"], _metaphone)
    last_meta = _per_distinct(d["last"], _metaphone)
    last3 = _head(d["last"], 3)
    # Names alone make blocks that grow with the data (common names); the region keeps them small.
    place = _head(d["postal"], 3).where(d["postal"].notna(), d["city"]).astype(object)
    full_name = (d["last"].fillna("").astype(str) + " " + d["first"].fillna("").astype(str)).astype(object)
    names = ("first_name", "last_name")
    words = _name_words(d)
    address, address_words = _with_each(_join(d["street"], d["postal"]), [*words, d["dob"]])
    born, born_words = _with_each(d["dob"], words)
    candidates = [
        BlockingKey(
            "phone",
            d["p9_phone"],
            uses=("phone",),
            extra=tuple(d[c] for c in mf.phone_columns() if c != "p9_phone"),
        ),
        BlockingKey("email", d["email"], uses=("email",)),
        BlockingKey(
            "postal+last3+initial",
            _join(d["postal"], last3, _head(d["first_raw"], 2)),  # 2 letters: a postal code may cover a town
            uses=("address", *names),
            order=full_name,
        ),
        BlockingKey(
            "metaphone(first+last)+place",
            _join(_either_order(last_meta, first_meta), place),  # swapped first and last names meet too
            uses=names,
            order=d["postal"],
        ),
        BlockingKey(
            "dob+last initial",
            _join(d["dob"], _initial(d["last"])),
            uses=("date_of_birth", "last_name"),
            order=d["first"],
        ),
        BlockingKey("dob+name word", born, uses=("date_of_birth", *names), extra=born_words, order=full_name),
        BlockingKey(
            "street+postal+name word or dob",
            address,
            uses=("address", *names, "date_of_birth"),
            extra=address_words,
            order=full_name,
        ),
    ]
    for column, kind in mf.custom.items():
        if kind == "id":
            candidates.append(BlockingKey(column, d[f"x_{column}"], uses=(column,)))
    return [k for k in candidates if _filled(k.left) or any(_filled(e) for e in k.extra)]


#: Match-frame column -> the comparison that covers it.
COLUMN_COMPARISON = {
    "first": "first_name",
    "first_raw": "first_name",
    "last": "last_name",
    "email": "email",
    "phone": "phone",
    "p9_phone": "phone",
    "street": "address",
    "postal": "address",
    "city": "address",
    "dob": "date_of_birth",
    "line2": "address_line2",
    "company": "company",
    "country": "country",
    "region": "region",
}


def configured_keys(mf: MatchFrame, rules: list[list[str]]) -> list[BlockingKey]:
    """Keys from the config: each rule a list of match-frame columns that must all agree."""
    keys = []
    for rule in rules:
        parts = [mf.data[c] if c in mf.data.columns else mf.data.get(f"x_{c}") for c in rule]
        if any(p is None for p in parts):
            continue
        uses = tuple(sorted({COLUMN_COMPARISON.get(c, c) for c in rule}))
        keys.append(BlockingKey("+".join(rule), _join(*parts), uses=uses))  # type: ignore[arg-type]
    return keys


def _window_pairs(codes: np.ndarray, order: pd.Series, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Within each block, rows sorted by `order`, each paired with its next `window` neighbours.

    Bounds the pairs per row of a large block (a sorted neighbourhood) while rows whose `order`
    values are alike, the likely duplicates, stay neighbours.
    """
    rows = np.flatnonzero(codes >= 0)
    rank = pd.factorize(order.iloc[rows].fillna("").astype(str).to_numpy(dtype=object), sort=True)[0]
    sorted_rows = rows[np.lexsort((rank, codes[rows]))]
    block = codes[sorted_rows]
    los, his = [], []
    for step in range(1, window + 1):
        same = block[step:] == block[:-step]
        los.append(sorted_rows[:-step][same])
        his.append(sorted_rows[step:][same])
    return np.concatenate(los), np.concatenate(his)


def _block_pairs(key: BlockingKey, cap: int) -> tuple[np.ndarray, np.ndarray, int]:
    n = len(key.left)
    values = pd.concat([key.left, *key.extra], ignore_index=True) if key.extra else key.left
    codes, _ = pd.factorize(values)
    sizes = np.bincount(codes[codes >= 0], minlength=1)
    usable = (sizes <= cap) & (sizes > 1)
    capped = int((sizes > cap).sum())
    rows = np.arange(len(codes)) % n if n else np.arange(0)
    windowed = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if key.order is not None:
        large = usable & (sizes > SUB_BLOCK)
        in_large = (codes >= 0) & large[np.maximum(codes, 0)]
        order = pd.concat([key.order] * (1 + len(key.extra)), ignore_index=True) if key.extra else key.order
        near_left, near_right = _window_pairs(np.where(in_large, codes, -1), order, WINDOW)
        windowed = rows[near_left], rows[near_right]
        usable &= ~large
    keep = (codes >= 0) & usable[np.maximum(codes, 0)]
    a = pd.DataFrame({"k": codes[keep], "i": rows[keep]})
    pairs = a.merge(a.rename(columns={"i": "j"}), on="k")
    i = np.concatenate([pairs["i"].to_numpy(), windowed[0]])
    j = np.concatenate([pairs["j"].to_numpy(), windowed[1]])
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keep = lo < hi
    return lo[keep], hi[keep], capped


def candidate_pairs(keys: list[BlockingKey], n_rows: int, cap: int) -> Candidates:
    """Every pair that agrees on at least one key, each pair once."""
    codes: list[np.ndarray] = []
    per_key: dict[str, int] = {}
    capped: dict[str, int] = {}
    for key in keys:
        lo, hi, n_capped = _block_pairs(key, cap)
        code = np.unique(lo.astype(np.int64) * n_rows + hi)
        per_key[key.name] = len(code)
        codes.append(code)
        if n_capped:
            capped[key.name] = n_capped
            log.warning(
                "blocking key %r: %d block(s) larger than %d rows skipped (max_block_size)",
                key.name,
                n_capped,
                cap,
            )
    merged = np.unique(np.concatenate(codes)) if codes else np.empty(0, dtype=np.int64)
    found_by = {key.name: np.isin(merged, code) for key, code in zip(keys, codes, strict=False)}
    return Candidates(
        left=(merged // max(n_rows, 1)).astype(np.int64),
        right=(merged % max(n_rows, 1)).astype(np.int64),
        per_key=per_key,
        capped=capped,
        found_by=found_by,
        uses={key.name: key.uses for key in keys},
    )


def extra_pairs(candidates: Candidates, left: np.ndarray, right: np.ndarray, n_rows: int) -> Candidates:
    """Candidates plus some forced pairs (must-link decisions), still each pair once."""
    if len(left) == 0:
        return candidates
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    codes = np.concatenate([candidates.left * n_rows + candidates.right, lo.astype(np.int64) * n_rows + hi])
    merged = np.unique(codes)
    old = candidates.left * n_rows + candidates.right
    found_by = {name: np.isin(merged, old[mask]) for name, mask in candidates.found_by.items()}
    return Candidates(
        left=merged // max(n_rows, 1),
        right=merged % max(n_rows, 1),
        per_key=candidates.per_key,
        capped=candidates.capped,
        found_by=found_by,
        uses=candidates.uses,
    )
