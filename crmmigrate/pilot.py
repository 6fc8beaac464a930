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


def sample_mask(staged: pd.DataFrame, size: SampleSize) -> np.ndarray:
    """True for the staged rows kept in the pilot: stratified by source, then by raw country."""
    total = len(staged)
    target = size.target(total)
    if target >= total:
        return np.ones(total, dtype=bool)
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
