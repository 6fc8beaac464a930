"""The validation report: a frozen result per rule, and one failures table (one row per failing
row per rule, with lineage) that rejects, validation output and reconciliation can all read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .compile import Compiled
from .gx_engine import RawResult
from .masking import display_series, join_values

FAILURE_COLUMNS = ("rule", "severity", "column", "source", "source_row", "customer_id", "value")
LINEAGE_COLUMNS = ("source", "source_row", "customer_id")
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule. `sample` holds a few failing values, masked if personal."""

    name: str
    kind: str
    columns: tuple[str, ...]
    severity: str
    description: str
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_percent: float = 0.0
    sample: tuple[str, ...] = ()
    where: tuple[str, ...] = ()  # the first failing rows, `source:source_row` (file:line for a file)
    message: str = ""
    rule_set: str = ""
    mostly: float | None = None

    @property
    def column(self) -> str:
        return ", ".join(self.columns)


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})


@dataclass(frozen=True)
class ValidationReport:
    """Every rule's result and the failing rows. `passed` means no error-severity rule failed."""

    results: tuple[RuleResult, ...]
    failures: pd.DataFrame = field(default_factory=_empty_failures, compare=False)
    rows: int = 0

    @property
    def passed(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def counts(self) -> dict[str, int]:
        """Rules run, passed, and failed per severity."""
        return {
            "rules": len(self.results),
            "passed": sum(r.success for r in self.results),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }

    def result(self, name: str) -> RuleResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)


def _values(frame: pd.DataFrame, compiled: Compiled, rows: pd.Index) -> pd.Series:
    """The failing values as shown to people: one column's, or several joined with ` | `."""
    rule = compiled.rule
    columns = [c for c in compiled.value_columns if c in frame.columns]
    if not columns or len(rows) == 0:
        return pd.Series([None] * len(rows), dtype=object)
    shown = [display_series(frame[c].take(rows).reset_index(drop=True), c, rule.personal) for c in columns]
    if len(shown) == 1:
        return shown[0]
    return pd.Series([join_values(parts) for parts in zip(*shown, strict=True)], dtype=object)


def _failure_rows(frame: pd.DataFrame, compiled: Compiled, rows: list[int]) -> pd.DataFrame:
    positions = pd.Index(rows)
    out = pd.DataFrame(
        {
            "rule": compiled.rule.name,
            "severity": compiled.rule.severity,
            "column": compiled.rule.column_label,
        },
        index=range(len(rows)),
    )
    for col in LINEAGE_COLUMNS:
        if col in frame.columns:
            out[col] = frame[col].take(positions).reset_index(drop=True).astype(object)
        else:
            out[col] = None
    out["value"] = _values(frame, compiled, positions)
    return out[list(FAILURE_COLUMNS)]


def _message(compiled: Compiled, raw: RawResult | None, failed: int, percent: float) -> str:
    if compiled.problem:
        return compiled.problem
    if raw is None:
        return "not run"
    if raw.error:
        return f"GX could not evaluate the rule: {raw.error}"
    if "observed_value" in raw.result and compiled.rule.check == "row_count_between":
        return f"{raw.result['observed_value']} rows"
    if failed == 0:
        return "all rows pass"
    allowed = f" (allowed up to {100 * (1 - compiled.rule.mostly):.1f}%)" if compiled.rule.mostly else ""
    rows = "row" if failed == 1 else "rows"
    return f"{failed} failing {rows}, {percent:.2f}% of the values checked{allowed}"


def _where(failures: pd.DataFrame) -> tuple[str, ...]:
    head = failures.head(SAMPLE_SIZE)
    return tuple(
        f"{source}:{row}" if source is not None else f"row {row}"
        for source, row in zip(head["source"], head["source_row"], strict=True)
        if row is not None and not pd.isna(row)
    )


def _sample(failures: pd.DataFrame) -> tuple[str, ...]:
    values = failures["value"].dropna()
    return tuple(str(v) for v in pd.unique(values)[:SAMPLE_SIZE])


def _concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Column-wise concatenation of object arrays (pd.concat inspects every None cell: slow)."""
    return pd.DataFrame(
        {c: np.concatenate([t[c].to_numpy(dtype=object) for t in tables]) for c in FAILURE_COLUMNS}
    )


def build_report(
    compiled: list[Compiled], raw: Mapping[int, RawResult], frames: Mapping[str, pd.DataFrame]
) -> ValidationReport:
    """Turn GX's per-expectation output into rule results and the failures table."""
    results: list[RuleResult] = []
    tables: list[pd.DataFrame] = []
    for index, c in enumerate(compiled):
        r = raw.get(index)
        frame = frames.get(c.frame)
        res: dict[str, Any] = dict(r.result) if r else {}
        rows = [int(i) for i in res.get("unexpected_index_list") or []]
        failures = _failure_rows(frame, c, rows) if frame is not None and rows else _empty_failures()
        if len(failures):
            tables.append(failures)
        unexpected = int(res.get("unexpected_count") or len(rows))
        percent = float(res.get("unexpected_percent") or 0.0)
        success = bool(r and r.success and not r.error and not c.problem)
        sample = _sample(failures)
        count_key = "observed_value" if c.rule.check == "row_count_between" else "element_count"
        if not success and c.rule.check == "row_count_between" and "observed_value" in res:
            sample = (str(res["observed_value"]),)
        results.append(
            RuleResult(
                name=c.rule.name,
                kind=c.rule.check,
                columns=c.rule.columns,
                severity=c.rule.severity,
                description=c.rule.description,
                success=success,
                element_count=int(res.get(count_key) or 0),
                unexpected_count=unexpected,
                unexpected_percent=percent,
                sample=sample,
                where=_where(failures),
                message=_message(c, r, unexpected, percent),
                rule_set=c.rule.rule_set,
                mostly=c.rule.mostly,
            )
        )
    failures_table = _concat(tables) if tables else _empty_failures()
    main = frames.get("data")
    return ValidationReport(tuple(results), failures_table, rows=0 if main is None else len(main))
