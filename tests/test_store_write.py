"""Rows handed to the database driver: plain Python values, None for every kind of missing value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmmigrate.store.write import _Rows


def test_rows_come_a_batch_at_a_time_with_none_for_every_missing_value() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["C1", "C1", None, "C2", "C2"]),
            "field": pd.Series(["email", np.nan, "city", "", None], dtype=object),
            "text": pd.Series(["a", None, "c", "d", "e"], dtype="string[pyarrow]"),
            "source_row": np.array([1, 2, 3, 4, 5], dtype=np.int64),
            "score": [0.5, np.nan, 1.0, 1.0, 1.0],
            "count": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        }
    )
    rows = _Rows(frame, ["customer_id", "field", "text", "source_row", "score", "count"])
    batches = list(rows.batches(size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [row for batch in batches for row in batch] == [
        ("C1", "email", "a", 1, 0.5, 1),
        ("C1", None, None, 2, None, None),
        (None, "city", "c", 3, 1.0, 3),
        ("C2", "", "d", 4, 1.0, 4),
        ("C2", None, "e", 5, 1.0, 5),
    ]
    assert all(type(row[3]) is int for batch in batches for row in batch)  # not numpy's int64
