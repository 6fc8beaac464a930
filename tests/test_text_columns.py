"""Column values as text: one function, its options the rules its callers differ in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmmigrate.text_columns import arrow_text, text_column

COLUMNS = {
    "text": pd.Series(["a", "", None, np.nan], dtype=object),
    "arrow text": pd.Series(["a", "", None], dtype="string[pyarrow]"),
    "bytes": pd.Series([b"x", None], dtype=object),
    "text and a number": pd.Series(["x", 7], dtype=object),
    "numbers": pd.Series([1.0, 2.5, np.nan]),
    "booleans": pd.Series([True, False], dtype=object),
    "dates": pd.to_datetime(pd.Series(["1980-02-29", None])),
    "categories": pd.Series(pd.Categorical(["C1", "", None])),
}

#: As the store reads values (loading, diffing, the golden checksum): `text_column` in Arrow.
AS_THE_STORE_READS = {
    "text": ["a", None, None, None],
    "arrow text": ["a", None, None],
    "bytes": ["b'x'", None],
    "text and a number": ["x", "7"],
    "numbers": ["1", "2.5", None],
    "booleans": ["true", "false"],
    "dates": ["1980-02-29", None],
    "categories": ["C1", None, None],
}


@pytest.mark.parametrize("name", COLUMNS)
def test_by_default_a_column_reads_as_text_column_gives_it(name: str) -> None:
    assert arrow_text(COLUMNS[name]).to_pylist() == AS_THE_STORE_READS[name]
    assert text_column(COLUMNS[name]).tolist() == AS_THE_STORE_READS[name]


@pytest.mark.parametrize("name", COLUMNS)
def test_values_read_back_from_a_store_take_bytes_as_their_text(name: str) -> None:
    expected = {**AS_THE_STORE_READS, "bytes": ["x", None]}[name]
    assert arrow_text(COLUMNS[name], bytes_as_text=True).to_pylist() == expected


@pytest.mark.parametrize("name", ["text", "arrow text", "bytes", "categories"])
def test_text_as_a_csv_writes_it_keeps_empty_text(name: str) -> None:
    expected = {
        "text": ["a", "", None, None],
        "arrow text": ["a", "", None],
        "bytes": ["x", None],
        "categories": ["C1", "", None],
    }[name]
    as_written = arrow_text(COLUMNS[name], empty_as_null=False, bytes_as_text=True, others="raise")
    assert as_written.to_pylist() == expected


@pytest.mark.parametrize("name", ["text and a number", "numbers", "booleans", "dates"])
def test_a_column_that_is_not_all_text_can_be_refused(name: str) -> None:
    with pytest.raises(TypeError):
        arrow_text(COLUMNS[name], empty_as_null=False, bytes_as_text=True, others="raise")
