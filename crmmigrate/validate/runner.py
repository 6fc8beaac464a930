"""`validate`: check a DataFrame against rule sets and build the report (the library entry point)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from ..tables import read_table
from . import gx_engine
from .compile import MAIN, Compiled, compile_rules
from .report import ValidationReport, build_report
from .rules import Rule, load_rules

#: Runs compiled rules on GX: frames by name and the rules in, GX's verdict per rule index out.
Runner = Callable[[Mapping[str, pd.DataFrame], list[Compiled]], dict[int, gx_engine.RawResult]]


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
    runner: Runner | None = None,
) -> ValidationReport:
    """Check `df` against the rules of every referenced file or built-in set (`staged`, `clean`,
    `golden`). `related` holds other frames some rules need (the cross-reference under `xref`).
    `runner` runs the compiled rules on GX (`gx_engine.run`, on pandas, by default; the Spark
    engine passes `spark.validate.spark_runner`).

    All rule files are checked before anything runs (ConfigError lists every problem). A rule
    about a column the data lacks fails with a message saying so rather than stopping the run, so
    a nightly audit still reports everything else.
    """
    return run_rules(df, load_rules(rules, base_dir=base_dir), now=now, related=related, runner=runner)


def run_rules(
    df: pd.DataFrame,
    rules: tuple[Rule, ...],
    *,
    now: datetime | None = None,
    related: Mapping[str, pd.DataFrame] | None = None,
    runner: Runner | None = None,
) -> ValidationReport:
    """`validate` for rules already loaded (so callers can check rules before reading data)."""
    frames = {MAIN: df.reset_index(drop=True)}
    frames.update({name: frame.reset_index(drop=True) for name, frame in (related or {}).items()})
    compiled = compile_rules(rules, frames[MAIN], {k: v for k, v in frames.items() if k != MAIN}, now)
    frames = _with_helpers(frames, compiled)
    raw = (runner or gx_engine.run)(frames, compiled)
    return build_report(compiled, raw, frames)


def validate_file(
    path: str | Path,
    rules: Sequence[str | Path],
    *,
    xref: str | Path | None = None,
    base_dir: Path | None = None,
    now: datetime | None = None,
    key: str | None = None,
) -> ValidationReport:
    """Validate a CSV or Parquet file (and optionally its cross-reference file); the rules are
    checked before the (possibly large) files are read."""
    parsed = load_rules(rules, base_dir=base_dir)
    related = {"xref": read_table(xref)} if xref else None
    return run_rules(with_lineage(read_table(path), path, key), parsed, now=now, related=related)


def with_lineage(frame: pd.DataFrame, path: str | Path, key: str | None = None) -> pd.DataFrame:
    """A standalone file's rows named as the failures file, JSON and JUnit name rows: `source` is
    the file's path as given and `source_row` the row's line in it (its row number in a Parquet file),
    unless the file carries lineage columns itself; `key` names a column whose value goes into
    `customer_id` when the file has none (a legacy export's own id)."""
    path = Path(path)
    if "source" not in frame.columns and "source_row" not in frame.columns:
        lines = _csv_lines(path, len(frame)) if path.suffix.lower() != ".parquet" else None
        frame = frame.assign(source=str(path), source_row=lines or range(1, len(frame) + 1))
    if key is not None:
        if key not in frame.columns:
            raise ConfigError(
                f"--key {key!r}: the file has no such column",
                hint=f"its columns: {', '.join(map(str, frame.columns[:20]))}",
            )
        if "customer_id" not in frame.columns:
            frame = frame.assign(customer_id=frame[key])
    return frame


def _csv_lines(path: Path, rows: int) -> list[int] | None:
    """The line each record of a CSV file starts on (records may span lines inside quotes)."""
    starts: list[int] = []
    end, header = 0, False
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        for record in reader:
            if record:  # pandas skips blank lines; the first record is the header
                if header:
                    starts.append(end + 1)
                header = True
            end = reader.line_num
    return starts if len(starts) == rows else None
