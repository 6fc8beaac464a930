"""`validate`: check a DataFrame against rule sets and build the report (the library entry point)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..tables import read_table
from . import gx_engine
from .compile import MAIN, Compiled, compile_rules
from .report import ValidationReport, build_report
from .rules import Rule, load_rules


def _with_helpers(frames: Mapping[str, pd.DataFrame], compiled: list[Compiled]) -> dict[str, pd.DataFrame]:
    """Each frame plus the helper columns its rules computed (the caller's frames stay untouched)."""
    extra: dict[str, dict[str, pd.Series]] = {}
    for c in compiled:
        if c.helpers:
            extra.setdefault(c.frame, {}).update(c.helpers)
    return {name: frame.assign(**extra[name]) if name in extra else frame for name, frame in frames.items()}


def validate(
    df: pd.DataFrame,
    rules: Sequence[str | Path],
    *,
    base_dir: Path | None = None,
    now: datetime | None = None,
    related: Mapping[str, pd.DataFrame] | None = None,
) -> ValidationReport:
    """Check `df` against the rules of every referenced file or built-in set (`staged`, `clean`,
    `golden`). `related` holds other frames some rules need (the cross-reference under `xref`).

    All rule files are checked before anything runs (ConfigError lists every problem). A rule
    about a column the data lacks fails with a message saying so rather than stopping the run, so
    a nightly audit still reports everything else.
    """
    return run_rules(df, load_rules(rules, base_dir=base_dir), now=now, related=related)


def run_rules(
    df: pd.DataFrame,
    rules: tuple[Rule, ...],
    *,
    now: datetime | None = None,
    related: Mapping[str, pd.DataFrame] | None = None,
) -> ValidationReport:
    """`validate` for rules already loaded (so callers can check rules before reading data)."""
    frames = {MAIN: df.reset_index(drop=True)}
    frames.update({name: frame.reset_index(drop=True) for name, frame in (related or {}).items()})
    compiled = compile_rules(rules, frames[MAIN], {k: v for k, v in frames.items() if k != MAIN}, now)
    frames = _with_helpers(frames, compiled)
    raw = gx_engine.run(frames, compiled)
    return build_report(compiled, raw, frames)


def validate_file(
    path: str | Path,
    rules: Sequence[str | Path],
    *,
    xref: str | Path | None = None,
    base_dir: Path | None = None,
    now: datetime | None = None,
) -> ValidationReport:
    """Validate a CSV or Parquet file (and optionally its cross-reference file); the rules are
    checked before the (possibly large) files are read."""
    parsed = load_rules(rules, base_dir=base_dir)
    related = {"xref": read_table(xref)} if xref else None
    return run_rules(read_table(path), parsed, now=now, related=related)
