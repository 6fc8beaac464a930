"""Pilot samples (`run --sample 500` or `--sample 5%`): a small, representative, repeatable subset.

The sample is stratified by source and then by raw country, so a pilot store sees every source
and the mix of countries it will get in the full load. Rows are ranked by a keyed hash of
(source, source_row) rather than a random draw, so rerunning a pilot picks the same rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ConfigError

#: 16 bytes, as pandas' hashing wants; changing it changes which rows every pilot picks.
HASH_KEY = "crmmigrate-pilot"
SAMPLE_HELP = "--sample takes a row count like 500 or a share like 5%"
_SPEC = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class SampleSize:
    """Either a row count (`rows`) or a share of the rows (`share`, 0 < share <= 1)."""

    rows: int | None = None
    share: float | None = None

    def target(self, total: int) -> int:
        if self.rows is not None:
            return min(self.rows, total)
        return min(total, int(round(total * (self.share or 0.0))))

    def __str__(self) -> str:
        return f"{self.rows} rows" if self.rows is not None else f"{100 * (self.share or 0):g}%"


def parse_sample(text: str | int | SampleSize) -> SampleSize:
    """`500` -> 500 rows; `5%` -> a 5% share."""
    if isinstance(text, SampleSize):
        return text
    found = _SPEC.match(str(text))
    if not found:
        raise ConfigError(f"bad sample size {text!r}", hint=SAMPLE_HELP)
    number, percent = float(found.group(1)), bool(found.group(2))
    if percent:
        if not 0 < number <= 100:
            raise ConfigError(
                f"bad sample share {text!r}: it must be above 0% and at most 100%", hint=SAMPLE_HELP
            )
        return SampleSize(share=number / 100)
    if number != int(number) or number < 1:
        raise ConfigError(
            f"bad sample size {text!r}: a row count is a whole number of 1 or more", hint=SAMPLE_HELP
        )
    return SampleSize(rows=int(number))


def _allocate(sizes: pd.Series, total: int, at_least_one: bool) -> pd.Series:
    """Split `total` over groups in proportion to their sizes (largest remainder, ties by name)."""
    if total <= 0 or not len(sizes):
        return pd.Series(0, index=sizes.index, dtype="int64")
    exact = sizes * (total / sizes.sum())
    quota = np.floor(exact).astype("int64")
    if at_least_one and total >= len(sizes):
        quota = quota.clip(lower=1)
    spare = total - int(quota.sum())
    if spare > 0:
        order = sorted(sizes.index, key=lambda k: (-(exact[k] - quota[k]), str(k)))
        for key in order:
            if spare == 0:
                break
            if quota[key] < sizes[key]:
                quota[key] += 1
                spare -= 1
    elif spare < 0:  # the minimum of one per group overshot: take back from the largest
        for key in sorted(sizes.index, key=lambda k: (-quota[k], str(k))):
            while spare < 0 and quota[key] > 1:
                quota[key] -= 1
                spare += 1
    return quota.clip(upper=sizes)


#: Rounds of drawing seeds to come close to the size asked for.
FIT_ROUNDS = 6
#: A key value shared by more rows than this is not evidence of one person (a placeholder email, a
#: switchboard number): it does not pull rows into a pilot sample together.
MAX_KEY_ROWS = 50


def sample_mask(staged: pd.DataFrame, size: SampleSize) -> np.ndarray:
    """True for the staged rows kept in the pilot: whole groups of likely duplicates, so that the
    pilot merges what the full load will merge. Seed rows are drawn stratified by source and raw
    country; each brings every row that shares an email, a phone number or a name and birth date
    or place with it (directly or through another such row). The seed draw is scaled so that the
    rows kept come close to the size asked for."""
    total = len(staged)
    target = size.target(total)
    if target >= total:
        return np.ones(total, dtype=bool)
    groups = duplicate_groups(staged)
    best: tuple[int, np.ndarray] | None = None
    seeds = target
    for _ in range(FIT_ROUNDS):  # seeds bring their duplicates: draw as many as fill the size asked
        keep = _groups_of(groups, _seed_mask(staged, seeds))
        kept = int(keep.sum())
        if best is None or abs(kept - target) < abs(best[0] - target):
            best = (kept, keep)
        following = max(1, min(total, round(seeds * target / kept)))
        if kept == target or following == seeds:
            break
        seeds = following
    assert best is not None
    return best[1]


def _groups_of(groups: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    return np.isin(groups, np.unique(groups[seeds]))


def duplicate_groups(staged: pd.DataFrame) -> np.ndarray:
    """A group number per row: rows linked by a shared email, phone number (its last 9 digits),
    or first and last name with a birth date or a postal code or a city, taken as written (cheap:
    this runs before standardising), transitively."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    def text(column: str) -> pd.Series:
        if column not in staged.columns:
            return pd.Series([None] * len(staged), index=staged.index, dtype=object)
        values = staged[column].to_numpy(dtype=object)
        folded = [None if pd.isna(v) else " ".join(str(v).split()).casefold() or None for v in values]
        return pd.Series(folded, index=staged.index, dtype=object)

    phone = pd.Series(
        [None if pd.isna(v) else "".join(c for c in v if c.isdigit())[-9:] for v in text("phone")],
        index=staged.index,
        dtype=object,
    )
    name = text("first_name").fillna("") + "|" + text("last_name")  # missing without a last name
    name = name.where(text("last_name").notna(), text("full_name"))
    keys = [
        text("email"),
        phone.where(phone.str.len() >= 7, None),
        *(name + "|" + text(column) for column in ("date_of_birth", "postal_code", "city")),
    ]
    n = len(staged)
    rows, cols, offset = [np.arange(n)], [np.arange(n)], n
    for key in keys:
        codes, uniques = pd.factorize(key, use_na_sentinel=True)
        if not len(uniques):
            continue
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        usable = (codes >= 0) & (counts[np.maximum(codes, 0)] <= MAX_KEY_ROWS)
        rows.append(np.flatnonzero(usable))
        cols.append(offset + codes[usable])
        offset += len(uniques)
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=False)
    return labels[:n]


def _seed_mask(staged: pd.DataFrame, target: int) -> np.ndarray:
    """`target` rows stratified by source, then by raw country, in a repeatable order."""
    source = staged["source"].astype(object).where(staged["source"].notna(), "").astype(str)
    country = staged["country"] if "country" in staged.columns else pd.Series(None, index=staged.index)
    country = country.astype(object).where(country.notna(), "").astype(str).str.strip().str.upper()
    key = (source + "|" + staged["source_row"].astype(str)).astype(object).to_numpy()
    rank = pd.Series(pd.util.hash_array(key, hash_key=HASH_KEY), index=staged.index)

    per_source = _allocate(source.value_counts(), target, at_least_one=True)
    strata = pd.DataFrame({"source": source, "country": country, "rank": rank})
    quotas: dict[tuple[str, str], int] = {}
    for name, rows in per_source.items():
        countries = strata.loc[strata["source"] == name, "country"].value_counts()
        for country_value, n in _allocate(countries, int(rows), at_least_one=False).items():
            quotas[(str(name), str(country_value))] = int(n)
    order = strata.sort_values(["source", "country", "rank"], kind="stable")
    position = order.groupby(["source", "country"], sort=False).cumcount()
    quota = _quota_column(order, quotas)
    keep = (position < quota).reindex(staged.index)
    return keep.to_numpy(dtype=bool)


def _quota_column(order: pd.DataFrame, quotas: dict[tuple[str, str], int]) -> pd.Series:
    """Each row's stratum quota, by a merge rather than a per-row lookup."""
    table = pd.DataFrame([(s, c, n) for (s, c), n in quotas.items()], columns=["source", "country", "quota"])
    merged = order[["source", "country"]].merge(table, on=["source", "country"], how="left")
    return pd.Series(merged["quota"].fillna(0).astype("int64").to_numpy(), index=order.index)
