"""CSV through Arrow: the very bytes pandas' to_csv writes, for every kind of column it takes on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate import csv_writer
from crmmigrate.csv_writer import write_csv


def same_as_pandas(df: pd.DataFrame, folder: Path) -> bool:
    df.to_csv(folder / "pandas.csv", index=False, encoding="utf-8")
    write_csv(df, folder / "arrow.csv")
    return (folder / "pandas.csv").read_bytes() == (folder / "arrow.csv").read_bytes()


def test_text_numbers_flags_and_categories_are_written_as_pandas_writes_them(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["C1", "C2", None, "C1"]),
            "name": ["Anna", None, 'say "hi"', "Smith, John"],
            "note": pd.array(["a\nb", "", None, "x\ry"], dtype="string"),
            "arrow": pd.array(["a,b", "", None, "c"], dtype="string[pyarrow]"),
            "rows": np.array([1, 22, 333, -4], dtype=np.int64),
            "score": [0.5, np.nan, 1.0, 1e-05],
            "weight": np.array([0.1, 2.5, np.nan, 3.0], dtype=np.float32),
            "role": [True, False, True, False],
            "unused": [None, None, None, None],
        }
    )
    assert same_as_pandas(df, tmp_path)


def test_rows_are_written_a_slice_at_a_time(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(csv_writer, "SLICE_ROWS", 3)
    codes = np.arange(10) % 4
    df = pd.DataFrame(
        {"id": pd.Categorical.from_codes(codes, categories=["a", "b,c", "d", "e"]), "row": np.arange(10)}
    )
    assert same_as_pandas(df, tmp_path)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.to_datetime(["2024-01-02", None])),  # dates: pandas' own formatting
        pd.Series([1, None], dtype="Int64"),
        pd.Series([1, "a"], dtype=object),
        pd.Series(pd.Categorical([1.5, 2.0])),
    ],
)
def test_other_kinds_of_columns_are_left_to_pandas(tmp_path: Path, column: pd.Series) -> None:
    df = pd.DataFrame({"value": column, "other": ["x", "y"]})
    assert csv_writer._renders(df) is None
    assert same_as_pandas(df, tmp_path)


def test_a_single_column_is_left_to_pandas(tmp_path: Path) -> None:
    """pandas writes an empty value alone on its line as ""."""
    df = pd.DataFrame({"v": ["a", None, ""]})
    assert csv_writer._renders(df) is None
    assert same_as_pandas(df, tmp_path)


text = st.text(st.characters(codec="utf-8", blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.none() | text, st.none() | text, st.integers(-(10**12), 10**12))))
def test_any_text_is_written_as_pandas_writes_it(tmp_path_factory, rows) -> None:
    folder = tmp_path_factory.mktemp("csv")
    df = pd.DataFrame(rows, columns=["a", "b", "n"]).astype({"n": np.int64})
    df["c"] = df["b"].astype("category")
    df["s"] = df["a"].astype("string")
    df["t"] = df["b"].astype("string[pyarrow]")
    assert same_as_pandas(df, folder)
