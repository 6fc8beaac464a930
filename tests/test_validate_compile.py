"""Compiling rules: helper columns computed once per distinct value equal those computed per row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmmigrate.validate import compile as compile_module
from crmmigrate.validate.compile import _per_value, _stripped


@pytest.mark.parametrize(
    "values",
    [
        [" de", "DE ", "fr", None, "de", np.nan, "\u00a0nl\t", "de"],  # text, missing, odd spaces
        [1, 1.0, "1", None, True],  # values alike to a hash (1 == 1.0 == True) but not as text
        [None, np.nan],
    ],
)
def test_a_conversion_per_distinct_value_equals_the_conversion_per_row(values: list) -> None:
    series = pd.Series(values, dtype=object, index=range(10, 10 + len(values)))

    def upper(s: pd.Series) -> pd.Series:
        return _stripped(s).str.upper()

    pd.testing.assert_series_equal(_per_value(series, upper), upper(series))


def test_date_and_postal_helpers_do_not_depend_on_repeated_values(monkeypatch: pytest.MonkeyPatch) -> None:
    df = pd.DataFrame(
        {
            "country": ["de", " DE", "nl", None, "de", "XX"],
            "postal_code": ["10115", "10115", "1234 ab", "75001", None, "1"],
            "updated_at": [" 2024-01-31", "2024-01-31", "2024/01/31 10:00", None, "soon", "2024-01-31"],
        }
    )
    from crmmigrate.validate.rules import load_rules

    rules = [r for r in load_rules(["golden"]) if r.check in ("postal_code", "not_older_than")]
    now = pd.Timestamp("2026-06-01", tz="UTC").to_pydatetime()
    per_value = [compile_module.compile_rule(r, i, df, {}, now).helpers for i, r in enumerate(rules)]
    monkeypatch.setattr(compile_module, "_per_value", lambda series, convert: convert(series))
    per_row = [compile_module.compile_rule(r, i, df, {}, now).helpers for i, r in enumerate(rules)]
    for fast, slow in zip(per_value, per_row, strict=True):
        for name in slow:
            pd.testing.assert_series_equal(fast[name], slow[name])
    assert len(per_row) == 2
