"""Settings of the dedupe stage (`dedupe:` and `survivorship:` in the config).

Defaults are meant to be good with no configuration at all.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DedupeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = 0.6  # match probability at or above which two records are merged (measured best F1)
    review_band: tuple[float, float] = (0.2, 0.6)  # pairs in this band go to review.csv
    max_block_size: int = 1000  # larger blocks are skipped with a warning naming the key
    blocking: list[list[str]] | None = None  # None: chosen automatically from filled columns
    compare: list[str] | None = None  # None: every mapped field
    decisions: str | None = None  # path to decisions.csv (must-link / cannot-link)
    conflict_weight: float = (
        -4.0
    )  # a non-link whose evidence (bits, prior excluded) is below this splits clusters
    u_sample: int = 300_000  # random pairs drawn to estimate u probabilities
    seed: int = 42  # for the random pairs: same data, same model
    incremental: bool = False  # match new rows against the store's golden records (nightly runs)
    model: str | None = None  # a match_model.json to use instead of fitting one
    training: str | None = None  # labelled pairs (CSV) to learn m from instead of EM


class SurvivorshipSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: list[str] = Field(
        default_factory=lambda: ["valid_only", "most_recent", "most_complete", "source_priority"]
    )
    fields: dict[str, list[str]] = Field(default_factory=dict)  # per-field rule chains
    source_priority: list[str] = Field(default_factory=list)  # source names, best first
