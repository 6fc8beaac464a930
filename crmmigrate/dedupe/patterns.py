"""Comparison patterns: the compared pairs as the model's fit sees them.

EM needs no pair by itself, only how many pairs share each comparison pattern (their levels) and
which blocking keys found them. An engine counts the patterns where its pairs are (numpy in this
process, a group-by in Spark) and the fit runs on the few thousand counts, in one canonical order,
so that every engine fits the same model to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PatternCounts:
    """Distinct (levels, keys) of the compared pairs, with how many pairs have each.

    `levels`: one row per pattern, a level per comparison (NULL for no value); `keys`: per pattern,
    bit b set when training key b found its pairs; `counts`: pairs per pattern."""

    levels: np.ndarray
    keys: np.ndarray
    counts: np.ndarray

    @property
    def pairs(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def canonical(cls, levels: np.ndarray, keys: np.ndarray, counts: np.ndarray) -> PatternCounts:
        """The patterns in the one order every engine fits in: by levels, then keys (each
        (levels, keys) given once)."""
        levels = np.asarray(levels, dtype=np.int8)
        keys, counts = np.asarray(keys, dtype=np.int64), np.asarray(counts, dtype=np.int64)
        order = np.lexsort((keys, *(levels[:, c] for c in range(levels.shape[1] - 1, -1, -1))))
        return cls(levels[order], keys[order], counts[order])

    @classmethod
    def of(cls, gamma: np.ndarray, keys: np.ndarray | None = None) -> PatternCounts:
        """The patterns of pairs held in this process: `gamma` their levels, `keys` their key bits
        (None: no key found any)."""
        keys = np.zeros(len(gamma), dtype=np.uint8) if keys is None else keys
        width = gamma.shape[1]
        key_width = int(keys.max()).bit_length() if len(keys) else 0
        if 4 * width + key_width <= 62:  # each pair as one integer: a sort of int64, not of rows
            codes, counts = _packed_counts(gamma, keys, key_width)
            found = codes & ((1 << key_width) - 1)
            codes = codes >> key_width
            levels = np.empty((len(codes), width), dtype=np.int8)
            for c in range(width - 1, -1, -1):
                levels[:, c] = (codes & 15) - 1
                codes = codes >> 4
            return cls.canonical(levels, found, counts)
        names = [f"g{c}" for c in range(width)]
        counted = (
            pd.DataFrame(gamma.astype(np.int8, copy=False), columns=names)
            .assign(keys=keys.astype(np.int64, copy=False))
            .groupby([*names, "keys"], sort=False)
            .size()
            .reset_index(name="pairs")
        )
        return cls.canonical(
            counted[names].to_numpy(dtype=np.int8),
            counted["keys"].to_numpy(dtype=np.int64),
            counted["pairs"].to_numpy(dtype=np.int64),
        )

    def found_by(self, bit: int) -> np.ndarray:
        """Which patterns' pairs key `bit` found."""
        return (self.keys >> bit) & 1 == 1


#: Pairs packed and counted at a time: the packed integers of every pair at once would be several
#: temporary int64 columns of the whole pair set (at millions of pairs, hundreds of MiB).
PACK_CHUNK = 1 << 20


def _packed_counts(gamma: np.ndarray, keys: np.ndarray, key_width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct pattern as one integer (4 bits per level, then the key bits) with how many
    pairs have it, counted a chunk of pairs at a time."""
    found, tallies = [], []
    for start in range(0, len(gamma), PACK_CHUNK):
        part = gamma[start : start + PACK_CHUNK]
        packed = np.zeros(len(part), dtype=np.int64)
        for c in range(part.shape[1]):
            packed <<= 4
            packed |= part[:, c].astype(np.int64) + 1
        packed <<= key_width
        packed |= keys[start : start + PACK_CHUNK].astype(np.int64)
        codes, counts = np.unique(packed, return_counts=True)
        found.append(codes)
        tallies.append(counts)
    if len(found) <= 1:  # (no pairs: no patterns)
        return (found[0], tallies[0]) if found else (np.empty(0, np.int64), np.empty(0, np.int64))
    codes, where = np.unique(np.concatenate(found), return_inverse=True)
    return codes, np.bincount(where.reshape(-1), weights=np.concatenate(tallies)).astype(np.int64)


def key_bits(masks: list[np.ndarray], length: int) -> np.ndarray:
    """Per pair, a bit per mask that holds it (the smallest integer type that has room)."""
    dtype = np.uint8 if len(masks) <= 8 else np.uint16 if len(masks) <= 16 else np.int64
    bits = np.zeros(length, dtype=dtype)
    for b, mask in enumerate(masks):
        bits |= mask.astype(dtype) << dtype(b)
    return bits
