"""Candidate pairs as Spark jobs, with the answer of `dedupe.blocking.candidate_pairs`.

Each task writes its rows' key entries (`keys.key_entries`); a block is the entries of one key
with one value. Within a block sorted by (sort text, row), each entry meets the next entries:
all of them in a block of up to `cap` entries (compared in full), the next `reach` in a larger
one (a sorted neighbourhood), as `blocking._key_pairs` does. Neighbours come from window
functions (`lead`), so a large block is never joined with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..dedupe import blocking as in_process
from ..dedupe.blocking import EVERY_PAIR, MIN_FILL, Candidates
from ..dedupe.prepare import MatchFrame
from ..dedupe.settings import DedupeSettings
from ..errors import ConfigError
from . import keys
from .frames import for_arrow, from_batch, spark_type, to_spark
from .session import size_shuffles

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ENTRY_SCHEMA = "k int, value string, order long, pos long"
#: The keys that found a pair are a bit each in one 64-bit integer.
MAX_KEYS = 62


def specs_and_values(settings: DedupeSettings, custom: list[str]) -> tuple[list[keys.KeySpec], object]:
    """The key specs of this run and the function that gives a slice of rows their values."""
    if settings.blocking:
        rules = settings.blocking
        return keys.configured_specs(rules), lambda data: keys.configured_values(data, rules)
    return keys.automatic_specs(custom), lambda data: keys.automatic_values(data, custom)


def reach_of(spec: keys.KeySpec, max_block: int, window: int) -> tuple[int, int]:
    """(cap, reach) of a key as `blocking.candidate_pairs` sets them: a broad key's blocks are
    compared in full only while small, with fewer neighbours in larger ones."""
    cap = max_block if spec.trains else min(max_block, 2 * window)
    reach = window if spec.trains else max(1, (window + 1) // 3)
    return cap, reach


@dataclass(frozen=True)
class CandidateFrame:
    """Candidate pairs kept in Spark: `pairs` (lo, hi, bits: bit b for `keys[b]`, each pair once,
    persisted) and blocking's figures (`found`, its pairs left out)."""

    pairs: DataFrame
    keys: list[str]
    found: Candidates


def spark_candidates(
    spark: SparkSession,
    mf: MatchFrame,
    settings: DedupeSettings,
    custom: list[str],
    *,
    partition_rows: int,
) -> Candidates:
    """Every pair that agrees on a key (or meets in a sorted pass), each once, in the order and
    with the per-key figures of `blocking.candidate_pairs`, collected."""
    frame = candidate_frame(spark, mf, settings, custom, partition_rows=partition_rows)
    merged = frame.pairs.toPandas()
    frame.pairs.unpersist()
    lo, hi = merged["lo"].to_numpy(dtype=np.int64), merged["hi"].to_numpy(dtype=np.int64)
    order = np.lexsort((hi, lo))
    lo, hi, bits = lo[order], hi[order], merged["bits"].to_numpy(dtype=np.int64)[order]
    found = {name: (bits >> b) & 1 == 1 for b, name in enumerate(frame.keys)}
    return replace(
        frame.found,
        left=lo,
        right=hi,
        found_by={name: mask for name, mask in found.items() if frame.found.trains[name]},
    )


def candidate_frame(
    spark: SparkSession,
    mf: MatchFrame,
    settings: DedupeSettings,
    custom: list[str],
    *,
    partition_rows: int,
) -> CandidateFrame:
    """Every pair that agrees on a key (or meets in a sorted pass), each once, as
    `blocking.candidate_pairs` finds them, in Spark; the figures per key on the driver."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    n = len(mf)
    size_shuffles(spark, n, partition_rows)  # key entries and blocks: a few per row
    specs, values_of = specs_and_values(settings, custom)
    read = keys.columns_read(list(mf.data.columns), custom, settings.blocking)
    codes = keys.order_codes(mf.data)  # sort texts coded once, over every row
    sorts = [f"order {name}" for name in codes]
    data = pd.concat(
        [
            pd.DataFrame({"pos": np.arange(n, dtype=np.int64)}),
            pd.DataFrame({f"order {name}": code for name, code in codes.items()}),
            mf.data[read].reset_index(drop=True),  # the tasks get only the columns keys read
        ],
        axis=1,
    )
    rows = to_spark(spark, data, partition_rows, "pos")
    columns = list(data.columns)
    kinds = {c: spark_type(data[c]) for c in columns}

    def entries(batches):  # noqa: ANN001, ANN202 - a Spark task: pandas batches in, entries out
        for batch in batches:
            frame = from_batch(batch, columns, kinds)
            pos = frame.pop("pos").to_numpy(dtype=np.int64)
            sort_codes = {s.removeprefix("order "): frame.pop(s).to_numpy(dtype=np.int64) for s in sorts}
            found = keys.key_entries(pos, specs, values_of(frame), sort_codes)
            yield for_arrow(found)
            yield _rows_per_key(found)

    found = rows.mapInPandas(entries, ENTRY_SCHEMA).persist()
    kept = _kept_keys(found, specs, n)
    found = found.where(F.col("k").isin(kept))
    if not kept:
        found.unpersist()
        empty = spark.createDataFrame(
            pd.DataFrame({"lo": [], "hi": [], "bits": []}), "lo long, hi long, bits long"
        )
        pairs, per_key = _every_pair(spark, empty, n)
        return CandidateFrame(pairs, [], _figures(specs, kept, per_key, {}))
    if len(kept) > MAX_KEYS:
        raise ConfigError(
            f"{len(kept)} blocking keys; the Spark engine tells at most {MAX_KEYS} apart",
            hint="configure fewer dedupe.blocking rules",
        )
    bit = {k: b for b, k in enumerate(kept)}  # a pair's keys: one bit each
    limits = {k: reach_of(specs[k], settings.max_block_size, settings.window) for k in kept}
    cap, reach, key_bit = F.lit(0), F.lit(0), F.lit(0).cast("long")
    for k, (c, r) in limits.items():
        cap = F.when(F.col("k") == k, F.lit(c)).otherwise(cap)
        reach = F.when(F.col("k") == k, F.lit(r)).otherwise(reach)
        key_bit = F.when(F.col("k") == k, F.lit(1 << bit[k]).cast("long")).otherwise(key_bit)
    # A block's entries sorted once: by a hash of (key, value) first, so that the sort's 8-byte
    # prefix tells most entries apart (the key's number first left it to compare whole values).
    ordered = Window.partitionBy("h", "k", "value").orderBy("order", "pos")
    whole = ordered.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    size = F.count(F.lit(1)).over(whole)
    steps = max((max(c - 1, r) for c, r in limits.values()), default=0)
    near = [
        F.when((F.lit(d) <= reach) | (size <= cap), F.lead("pos", d).over(ordered))
        for d in range(1, steps + 1)
    ]
    blocks = (
        found.withColumn("h", F.xxhash64("k", "value"))
        .select(
            key_bit.alias("bit"),
            "pos",
            size.alias("size"),
            cap.alias("cap"),
            F.col("k"),
            F.array_compact(F.array(*near)).alias("near"),
        )
        .where(F.col("size") > 1)  # whole blocks go: the leads of the others are as without them
    )
    # Each entry's pairs with its neighbours, and a marker entry (no pairs) per windowed block:
    # the last of its entries, the one without a next. Kept, as the only list of the raw pairs.
    raw = (
        blocks.select(
            "bit",
            "pos",
            F.when((F.size("near") == 0) & (F.col("size") > F.col("cap")), F.col("k")).alias("windowed"),
            F.explode_outer("near").alias("other"),
        )
        .where(
            (F.col("other").isNotNull() & (F.col("other") != F.col("pos"))) | F.col("windowed").isNotNull()
        )
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    windowed = {
        specs[int(r["windowed"])].name: int(r["count"])
        for r in raw.where(F.col("windowed").isNotNull()).groupBy("windowed").count().collect()
    }
    found.unpersist()
    merged = (
        raw.where(F.col("other").isNotNull())
        .groupBy(F.least("pos", "other").alias("lo"), F.greatest("pos", "other").alias("hi"))
        .agg(F.bit_or("bit").alias("bits"))
    )
    merged, every = _every_pair(spark, merged, n)
    merged = merged.persist(StorageLevel.MEMORY_AND_DISK)
    counted = merged.agg(
        F.count(F.lit(1)).alias("pairs"),
        *(F.sum(F.shiftright("bits", b).bitwiseAND(1)).alias(f"k{b}") for b in range(len(kept))),
    ).collect()[0]
    size_shuffles(spark, int(counted["pairs"]), partition_rows)  # from here on, shuffles of pairs
    per_key = {specs[k].name: int(counted[f"k{b}"] or 0) for b, k in enumerate(kept)} | every
    raw.unpersist()
    return CandidateFrame(merged, [specs[k].name for k in kept], _figures(specs, kept, per_key, windowed))


def _every_pair(spark: SparkSession, pairs: DataFrame, n: int) -> tuple[DataFrame, dict[str, int]]:
    """`pairs` with, in a list of at most `EVERY_PAIR_ROWS` rows, every other pair added (no key's
    bit), as `blocking.candidate_pairs` does; and that key's count for the figures."""
    from pyspark.sql import functions as F

    if not 1 < n <= in_process.EVERY_PAIR_ROWS:
        return pairs, {}
    rows = spark.range(n)
    every = (
        rows.select(F.col("id").alias("lo"))
        .crossJoin(rows.select(F.col("id").alias("hi")))
        .where(F.col("lo") < F.col("hi"))
        .select("lo", "hi", F.lit(0).cast("long").alias("bits"))
    )
    merged = pairs.unionByName(every).groupBy("lo", "hi").agg(F.bit_or("bits").alias("bits"))
    return merged, {EVERY_PAIR: n * (n - 1) // 2}


def _rows_per_key(found: pd.DataFrame) -> pd.DataFrame:
    """Per key, how many of a task's rows have a value, as entries of key -1 - k (rows in `pos`):
    a task's rows are its own, so the counts of all tasks add up to the whole set's."""
    rows = found.drop_duplicates(["k", "pos"]).groupby("k").size()
    return pd.DataFrame(
        {
            "k": (-1 - rows.index.to_numpy()).astype(np.int32),
            "value": pd.Series([None] * len(rows), dtype=object),
            "order": np.zeros(len(rows), dtype=np.int64),
            "pos": rows.to_numpy(dtype=np.int64),
        }
    )


def _kept_keys(found: DataFrame, specs: list[keys.KeySpec], n: int) -> list[int]:
    """The keys this run keeps, in spec order: by their share of filled rows (see KeySpec.keep)."""
    from pyspark.sql import functions as F

    counted = found.where(F.col("k") < 0).groupBy("k").agg(F.sum("pos").alias("rows")).collect()
    rows = {-1 - int(r["k"]): int(r["rows"]) for r in counted}
    kept = []
    for k, spec in enumerate(specs):
        share = rows.get(k, 0) / n if n else 0.0
        if (
            spec.keep == "always"
            or (spec.keep == "any" and share > 0)
            or (spec.keep == "filled" and share >= MIN_FILL)
        ):
            kept.append(k)
    return kept


def _figures(
    specs: list[keys.KeySpec], kept: list[int], per_key: dict[str, int], windowed: dict[str, int]
) -> Candidates:
    """Blocking's figures per kept key, as `blocking.candidate_pairs` gives them (no pairs)."""
    empty = np.empty(0, dtype=np.int64)
    every = {EVERY_PAIR: per_key[EVERY_PAIR]} if EVERY_PAIR in per_key else {}
    return Candidates(
        left=empty,
        right=empty,
        per_key={specs[k].name: per_key.get(specs[k].name, 0) for k in kept} | every,
        found_by={},
        uses={specs[k].name: specs[k].uses for k in kept} | {name: () for name in every},
        trains={specs[k].name: specs[k].trains for k in kept} | {name: False for name in every},
        windowed={specs[k].name: windowed[specs[k].name] for k in kept if specs[k].name in windowed},
    )
