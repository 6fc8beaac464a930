"""Running compiled rules on Great Expectations (GX Core 1.x), quietly.

GX is imported on first use (it takes seconds) and only once. Each `run` builds one ephemeral
context with one pandas data source; each frame (the data, and the cross-reference when a rule
needs it) gets one dataframe asset, one batch and ONE validation of all its expectations together.
GX's progress bars, warnings, log records and usage analytics never reach the user.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pandas as pd

from .compile import Compiled

#: Loggers GX (and libraries it drives) write to; silenced while it runs.
GX_LOGGERS = ("great_expectations", "great_expectations.core", "posthog", "backoff")
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 20,
    "include_unexpected_rows": False,
}


@dataclass(frozen=True)
class RawResult:
    """What GX reported for one expectation."""

    success: bool
    result: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@functools.cache
def gx_modules() -> tuple[ModuleType, ModuleType]:
    """`great_expectations` and its expectations module, imported once with analytics off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with quiet():
        import great_expectations as gx
        import great_expectations.expectations as gxe
    return gx, gxe


@contextmanager
def quiet() -> Iterator[None]:
    """No warnings or log records from GX while it runs; logger levels restored afterwards."""
    saved = []
    for name in GX_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate, logger.disabled))
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
        logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level, propagate, disabled in saved:
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


def _context() -> Any:
    gx, _ = gx_modules()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _error_of(exception_info: Any) -> str | None:
    """The first exception message GX recorded for an expectation, if any."""
    if not isinstance(exception_info, dict):
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message") or "GX could not evaluate the rule")
    return None


def _needed(frame: pd.DataFrame, items: list[tuple[int, Compiled]]) -> pd.DataFrame:
    """Only the columns the expectations read: GX filters and copies whole frames per metric,
    so leaving the rest out makes a wide frame as fast as a narrow one. Row labels are kept."""
    columns: list[str] = []
    for _, c in items:
        for column in [c.kwargs.get("column"), *c.kwargs.get("column_list", [])]:
            if column is not None and column not in columns:
                columns.append(column)
    return frame[columns] if columns else frame.iloc[:, :1]


def _consolidated(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its columns of one dtype in one block: GX copies the frame for most metrics,
    and pandas merges the blocks of every copy again (at a million rows of object columns, 10.0 ->
    6.4 CPU s of GX's validation with pandas 2). Pandas 3's text columns are not merged; copying
    them is cheap."""
    return frame.copy()


def _validate_frame(
    context: Any, name: str, frame: pd.DataFrame, items: list[tuple[int, Compiled]]
) -> dict[int, RawResult]:
    gx, gxe = gx_modules()
    source = context.data_sources.add_pandas(f"crmmigrate_{name}")
    batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
    suite = gx.ExpectationSuite(name=f"crmmigrate_{name}")
    # GX keeps one copy of identical expectations, so rules that compile alike share one.
    shared: dict[str, list[int]] = {}
    for index, c in items:
        key = f"{c.expectation}:{sorted(c.kwargs.items())!r}"
        if key not in shared:
            expectation = getattr(gxe, str(c.expectation))(**c.kwargs, meta={"rule_index": index})
            suite.add_expectation(expectation)
        shared.setdefault(key, []).append(index)
    first_to_all = {indices[0]: indices for indices in shared.values()}
    # What `batch_definition.get_batch(...).validate(suite)` does, without building the batch twice
    # (`Batch.validate` makes this same validator, which builds it again: GX fingerprints a whole
    # frame per build, 1.6 CPU seconds at a million rows).
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(
        batch_definition=batch_definition,
        batch_parameters={"dataframe": _consolidated(_needed(frame, items))},
        result_format=RESULT_FORMAT,
    )
    outcome = validator.validate_expectation_suite(suite)
    results: dict[int, RawResult] = {}
    for r in outcome.results:
        raw = RawResult(bool(r.success), dict(r.result or {}), _error_of(r.exception_info))
        for index in first_to_all[int(r.expectation_config.meta["rule_index"])]:
            results[index] = raw
    return results


#: Validates one frame's rules in a GX context: (context, frame name, frame, [(position, rule)]).
FrameValidator = Callable[[Any, str, pd.DataFrame, list[tuple[int, Compiled]]], dict[int, RawResult]]


def run(frames: Mapping[str, pd.DataFrame], compiled: list[Compiled]) -> dict[int, RawResult]:
    """GX's verdict on every runnable compiled rule, keyed by the rule's position."""
    return run_frames(frames, compiled, _validate_frame)


def run_frames(
    frames: Mapping[str, pd.DataFrame], compiled: list[Compiled], validate_frame: FrameValidator
) -> dict[int, RawResult]:
    """Every runnable compiled rule grouped by its frame, each frame's rules validated by
    `validate_frame` in one quiet GX context (the pandas engine's, or Spark's data source)."""
    by_frame: dict[str, list[tuple[int, Compiled]]] = {}
    for index, c in enumerate(compiled):
        if c.expectation and c.problem is None:
            by_frame.setdefault(c.frame, []).append((index, c))
    if not by_frame:
        return {}
    results: dict[int, RawResult] = {}
    with quiet():
        context = _context()
        for name, items in by_frame.items():
            results.update(validate_frame(context, name, frames[name], items))
    return results
