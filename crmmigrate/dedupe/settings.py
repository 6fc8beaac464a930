"""Settings of the dedupe stage (`dedupe:` and `survivorship:` in the config).

Defaults are meant to be good with no configuration at all. Every name the settings use (fields
to compare, levels, blocking rules) is checked when the config loads, against the canonical
fields, the comparisons and their levels, and the custom columns the sources' mappings declare.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import schema

if TYPE_CHECKING:  # the comparisons (pandas, rapidfuzz) load when a name is checked, not on import
    from .comparisons import Comparison, Level

#: A level in the config: a test name (`exact`), or a test with its parameter (`{jaro_winkler: 0.92}`).
LevelSetting = str | dict[str, float]


class DedupeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(0.6, gt=0, lt=1)  # match probability at or above which records merge
    review_band: tuple[float, float] = (0.2, 0.6)  # pairs in this band go to review.csv
    # Two first names on one birthday (same surname, same address): weighed as evidence (one
    # person under another given name, or twins told apart by their own e-mails and mobiles), or
    # always two people ("apart"). Unset: "weigh" for a new model, a saved `model`'s own rule.
    twins: Literal["weigh", "apart"] | None = None
    max_block_size: int = Field(12, ge=2)  # blocks up to this size are compared in full
    window: int = Field(5, ge=1)  # neighbours met on each side in a larger block and in sorted passes
    blocking: list[list[str]] | None = None  # rules of fields that must all agree; None: automatic keys
    compare: list[str] | None = None  # fields (canonical or custom) to compare; None: identity fields
    levels: dict[str, list[LevelSetting]] = Field(default_factory=dict)  # comparison -> its levels
    decisions: str | None = None  # path to decisions.csv (must-link / cannot-link)
    u_sample: int = Field(300_000, ge=1000)  # random pairs drawn to estimate u probabilities
    seed: int = 42  # for the random pairs: same data, same model
    incremental: bool = False  # match new rows against the store's golden records (nightly runs)
    model: str | None = None  # a match_model.json to use instead of fitting one
    training: str | None = None  # labelled pairs (CSV) to learn m from instead of EM

    @field_validator("levels")
    @classmethod
    def _levels_are_tests(cls, value: dict[str, list[LevelSetting]]) -> dict[str, list[LevelSetting]]:
        for name, levels in value.items():
            for level in levels:
                if isinstance(level, dict) and len(level) != 1:
                    raise ValueError(f"{name}: a level is a test name or {{test: parameter}}, got {level}")
        return value

    def level_overrides(self) -> dict[str, tuple[Level, ...]]:
        """`levels` as Level objects per comparison name."""
        return {name: tuple(to_level(lv) for lv in levels) for name, levels in self.levels.items()}


def to_level(setting: LevelSetting) -> Level:
    from .comparisons import Level

    if isinstance(setting, str):
        return Level(setting)
    ((test, parameter),) = setting.items()
    return Level(str(test), float(parameter))


@functools.cache
def canonical_kinds() -> dict[str, type[Comparison]]:
    """Canonical comparison name -> its class (custom columns get theirs from their content)."""
    from .comparisons import KINDS

    return {
        "first_name": KINDS["first_name"],
        "last_name": KINDS["last_name"],
        "email": KINDS["email"],
        "phone": KINDS["phone"],
        "address": KINDS["address"],
        "company": KINDS["company"],
        "date_of_birth": KINDS["date"],
        "country": KINDS["country"],
        "region": KINDS["country"],
        "address_line2": KINDS["address_line2"],
    }


@functools.cache
def custom_tests() -> list[str]:
    """Tests a custom column's comparison may have, whatever its content turns out to be."""
    from .comparisons import KINDS

    return sorted({t for kind in ("id", "text", "exact", "date") for t in KINDS[kind].tests()})


def name_problems(settings: DedupeSettings, custom: set[str]) -> list[str]:
    """Every unknown name in the dedupe settings, each with the names that exist. `custom`: the
    custom columns the sources' mappings declare."""
    from .comparisons import FIELD_COMPARISONS

    kinds = canonical_kinds()
    problems = []
    fields = sorted(set(FIELD_COMPARISONS) | set(kinds))
    known = set(fields) | custom

    def listing(names: set[str] | list[str]) -> str:
        return ", ".join(sorted(names))

    for name in settings.compare or []:
        if name not in known:
            problems.append(
                f"dedupe.compare: unknown field {name!r}; fields: {listing(fields)}"
                + (f"; custom columns: {listing(custom)}" if custom else "")
            )
    for rule in settings.blocking or []:
        for name in rule:
            if name not in set(FIELD_COMPARISONS) | custom:
                problems.append(
                    f"dedupe.blocking: unknown field {name!r}; fields: {listing(FIELD_COMPARISONS)}"
                    + (f"; custom columns: {listing(custom)}" if custom else "")
                )
    for name, levels in settings.levels.items():
        cls = kinds.get(name)
        if cls is None and name not in custom:
            problems.append(
                f"dedupe.levels: unknown comparison {name!r}; comparisons: {listing(kinds)}"
                + (f"; custom columns: {listing(custom)}" if custom else "")
            )
            continue
        tests = cls.tests() if cls is not None else custom_tests()
        for level in levels:
            test = to_level(level).test
            if test not in tests:
                problems.append(f"dedupe.levels.{name}: unknown level {test!r}; levels: {', '.join(tests)}")
    return problems


#: Survivorship rules a chain may name (see `dedupe.survivorship` for what each means).
SURVIVORSHIP_RULES = (
    "valid_only",
    "most_recent",
    "most_complete",
    "most_frequent",
    "longest",
    "source_priority",
    "earliest",
)


def _known_rules(chain: list[str]) -> list[str]:
    unknown = [r for r in chain if r not in SURVIVORSHIP_RULES]
    if unknown:
        raise ValueError(
            f"unknown rule{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"rules: {', '.join(SURVIVORSHIP_RULES)}"
        )
    return chain


class SurvivorshipSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: list[str] = Field(
        default_factory=lambda: ["valid_only", "most_recent", "most_complete", "source_priority"]
    )
    fields: dict[str, list[str]] = Field(default_factory=dict)  # per-field rule chains
    source_priority: list[str] = Field(default_factory=list)  # source names, best first

    @field_validator("default")
    @classmethod
    def _default_rules(cls, value: list[str]) -> list[str]:
        return _known_rules(value)

    @field_validator("fields")
    @classmethod
    def _field_rules(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, chain in value.items():
            try:
                _known_rules(chain)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return value


def survivorship_problems(settings: SurvivorshipSettings, custom: set[str]) -> list[str]:
    """Fields named in `survivorship.fields` that no row can have, each with the names that exist."""
    fields = set(schema.FIELDS)
    return [
        f"survivorship.fields: unknown field {name!r}; fields: {', '.join(schema.FIELDS)}"
        + (f"; custom columns: {', '.join(sorted(custom))}" if custom else "")
        for name in settings.fields
        if name not in fields | custom
    ]
