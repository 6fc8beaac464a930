"""Validation on the Spark engine: the same compiled rules (helper columns included) run by Great
Expectations on its Spark data source (`data_sources.add_spark`), each frame a Spark DataFrame
with one batch and one validation of all its expectations, so the report, the failures table and
the exit code are the pandas engine's.

Two things differ in Spark and are bridged here: GX names failing rows by the values of the
columns given in `unexpected_index_column_names` (not by pandas row labels), so every frame
carries its row position in a column of its own; and Spark matches regular expressions with Java,
whose `\\w` and `\\d` are ASCII unless asked (`(?U)`), where Python's are Unicode.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..validate.compile import Compiled
from ..validate.gx_engine import RESULT_FORMAT, RawResult, _error_of, _needed, gx_modules, run_frames
from ..validate.runner import Runner
from .frames import as_text, spark_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The column holding each row's position in its frame, by which GX names the failing rows.
POSITION = "__crmmigrate_row"
SPARK_RESULT_FORMAT = {
    **RESULT_FORMAT,
    "unexpected_index_column_names": [POSITION],
    "exclude_unexpected_values": True,  # the positions only: the report reads values from the frame
}
#: Java regular expressions with Python's Unicode classes (\w, \d, \s, \b).
JAVA_UNICODE = "(?U)"


def spark_runner(spark: SparkSession) -> Runner:
    """A `validate.run_rules` runner that runs the rules on `spark` (`gx_engine.run`'s contract)."""

    def run(frames: Mapping[str, pd.DataFrame], compiled: list[Compiled]) -> dict[int, RawResult]:
        return spark_gx_run(spark, frames, compiled)

    return run


def spark_gx_run(
    spark: SparkSession, frames: Mapping[str, pd.DataFrame], compiled: list[Compiled]
) -> dict[int, RawResult]:
    """GX's verdict on every runnable compiled rule, keyed by the rule's position, from Spark."""
    return run_frames(frames, compiled, functools.partial(_validate_frame, spark))


def _validate_frame(
    spark: SparkSession, context: Any, name: str, frame: pd.DataFrame, items: list[tuple[int, Compiled]]
) -> dict[int, RawResult]:
    gx, gxe = gx_modules()
    source = context.data_sources.add_spark(f"crmmigrate_{name}")
    batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
    suite = gx.ExpectationSuite(name=f"crmmigrate_{name}")
    shared: dict[str, list[int]] = {}  # GX keeps one copy of identical expectations
    for index, c in items:
        kwargs = _for_spark(str(c.expectation), c.kwargs)
        key = f"{c.expectation}:{sorted(kwargs.items())!r}"
        if key not in shared:
            suite.add_expectation(getattr(gxe, str(c.expectation))(**kwargs, meta={"rule_index": index}))
        shared.setdefault(key, []).append(index)
    first_to_all = {indices[0]: indices for indices in shared.values()}
    data = spark_frame(spark, _needed(frame, items).reset_index(drop=True))
    outcome = batch_definition.get_batch(batch_parameters={"dataframe": data}).validate(
        suite, result_format=SPARK_RESULT_FORMAT
    )
    results: dict[int, RawResult] = {}
    for r in outcome.results:
        result = dict(r.result or {})
        if "unexpected_index_list" in result:
            result["unexpected_index_list"] = positions(result["unexpected_index_list"])
        raw = RawResult(bool(r.success), result, _error_of(r.exception_info))
        for index in first_to_all[int(r.expectation_config.meta["rule_index"])]:
            results[index] = raw
    return results


def _for_spark(expectation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    if expectation == "ExpectColumnValuesToMatchRegex" and not str(kwargs["regex"]).startswith(JAVA_UNICODE):
        return {**kwargs, "regex": JAVA_UNICODE + str(kwargs["regex"])}
    return kwargs


def positions(index_list: Any) -> list[int]:
    """The failing rows' positions, in order, from GX's Spark `unexpected_index_list` (one dict of
    position lists with `exclude_unexpected_values`, else one dict per row)."""
    found: list[int] = []
    for entry in index_list or []:
        value = entry.get(POSITION) if isinstance(entry, dict) else None
        if isinstance(value, list):
            found += [int(v) for v in value]
        elif value is not None:
            found.append(int(value))
    return sorted(found)


def spark_frame(spark: SparkSession, frame: pd.DataFrame) -> DataFrame:
    """`frame` (its own column names) and each row's position as a Spark DataFrame: text as
    strings, numbers and booleans as such, missing values (NaN included) as null."""
    names = [str(c) for c in frame.columns]
    types = [spark_type(frame[c]) for c in frame.columns]
    data = {name: _values(frame[c], kind) for name, c, kind in zip(names, frame.columns, types, strict=True)}
    data[POSITION] = np.arange(len(frame), dtype=np.int64)
    schema = ", ".join(
        f"`{n.replace('`', '``')}` {k}" for n, k in zip([*names, POSITION], [*types, "bigint"], strict=True)
    )
    return spark.createDataFrame(pd.DataFrame(data), schema=schema)


def _values(series: pd.Series, kind: str) -> np.ndarray:
    if kind == "string":
        return as_text(series).to_numpy()
    if kind == "double":
        return series.to_numpy(dtype=np.float64, na_value=np.nan)  # NaN travels as null
    missing = series.isna().to_numpy()
    return series.astype(object).where(~missing, None).to_numpy() if missing.any() else series.to_numpy()
