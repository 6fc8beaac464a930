"""Blocking: which record pairs are worth comparing at all.

Several keys run at once (a pair is a candidate when any key agrees) so that an error in one field
does not hide a duplicate. Keys are chosen from the columns that are filled; blocks larger than
the cap are skipped with a warning naming the key, so one common value cannot make the work
quadratic. Keys on a region (a postal code, a street) make blocks that grow with the data, since
the number of regions is fixed; in a block of such a key larger than `SUB_BLOCK` rows, the rows
are sorted by the key's `order` and each is paired with its nearest neighbours only (a sorted
neighbourhood), so the pairs per row stay bounded and the work grows about linearly with the
rows, while small blocks keep every pair. Pairs are generated with pandas merges per key and
de-duplicated as int64 codes.
"""

from __future__ import annotations

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

#: Blocks of a key with an `order` larger than this pair each row with its WINDOW nearest neighbours.
SUB_BLOCK = 4
WINDOW = 3


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


@dataclass(frozen=True)
class BlockingKey:
    """One blocking key: rows agree when `left` of one equals `right` of the other."""

    name: str
    left: pd.Series
    right: pd.Series | None = None  # a cross key (first/last swapped); None: same as left
    uses: tuple[str, ...] = ()  # comparisons the key agrees on (left out when EM learns from its pairs)
    extra: tuple[pd.Series, ...] = ()  # more values of the same key (a second phone column)
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
    last_i = _initial(d["last"])
    last3 = _head(d["last"], 3)
    # Names alone make blocks that grow with the data (common names); the region keeps them small.
    place = _head(d["postal"], 3).where(d["postal"].notna(), d["city"]).astype(object)
    full_name = (d["last"].fillna("").astype(str) + " " + d["first"].fillna("").astype(str)).astype(object)
    names = ("first_name", "last_name")
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
            _join(last_meta, first_meta, place),
            uses=names,
            order=d["postal"],
        ),
        BlockingKey(
            "swapped names+place",
            _join(last_meta, first_meta, place),
            _join(first_meta, last_meta, place),
            uses=names,
        ),
        BlockingKey(
            "metaphone(first)+dob", _join(first_meta, d["dob"]), uses=("first_name", "date_of_birth")
        ),
        BlockingKey(
            "dob+last initial",
            _join(d["dob"], last_i),
            uses=("date_of_birth", "last_name"),
            order=d["first"],
        ),
        BlockingKey("street+postal", _join(d["street"], d["postal"]), uses=("address",), order=full_name),
    ]
    for column, kind in mf.custom.items():
        if kind == "id":
            candidates.append(BlockingKey(column, d[f"x_{column}"], uses=(column,)))
    return [k for k in candidates if _filled(k.left) and (k.right is None or _filled(k.right))]


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


def _codes(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    both = pd.concat([left, right], ignore_index=True)
    codes, _ = pd.factorize(both)
    return codes[: len(left)], codes[len(left) :]


def _block_pairs(key: BlockingKey, cap: int) -> tuple[np.ndarray, np.ndarray, int]:
    left = pd.concat([key.left, *key.extra], ignore_index=True) if key.extra else key.left
    right = left if key.right is None else key.right
    lc, rc = _codes(left, right)
    n_codes = int(max(lc.max(initial=-1), rc.max(initial=-1))) + 1
    sizes = np.bincount(lc[lc >= 0], minlength=n_codes) + (
        np.bincount(rc[rc >= 0], minlength=n_codes) if key.right is not None else 0
    )
    usable = (sizes <= cap) & (sizes > 1)
    capped = int((sizes > cap).sum())
    windowed = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if key.order is not None and key.right is None and not key.extra:
        large = usable & (sizes > SUB_BLOCK)
        in_large = (lc >= 0) & large[np.maximum(lc, 0)]
        windowed = _window_pairs(np.where(in_large, lc, -1), key.order, WINDOW)
        usable &= ~large
    rows = np.arange(len(lc)) % len(key.left) if len(key.left) else np.arange(0)
    keep_l = (lc >= 0) & usable[np.maximum(lc, 0)]
    keep_r = (rc >= 0) & usable[np.maximum(rc, 0)]
    a = pd.DataFrame({"k": lc[keep_l], "i": rows[keep_l]})
    b = (
        a.rename(columns={"i": "j"})
        if key.right is None
        else pd.DataFrame({"k": rc[keep_r], "j": rows[keep_r]})
    )
    pairs = a.merge(b, on="k")
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    i, j = np.concatenate([i, windowed[0]]), np.concatenate([j, windowed[1]])
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keep = lo != hi
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
