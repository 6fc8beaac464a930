"""Undoing a run restores the store exactly, unless a later run built on it."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from crmmigrate.errors import StoreError
from crmmigrate.store import open_store

GoldenSetFactory = Callable[..., tuple]


def _state(store) -> tuple[pd.DataFrame, pd.DataFrame]:
    customers = store.read_customers().sort_values("customer_id").reset_index(drop=True)
    xref = store.read_xref().sort_values(["source", "source_row"]).reset_index(drop=True)
    return customers, xref


def test_rolling_back_the_last_run_restores_the_store_exactly(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        customers_1, xref_1 = _state(store)
        changed = golden.copy()
        changed.loc[1, "email"] = "changed@example.com"
        changed = pd.concat([changed, golden.iloc[[0]].assign(customer_id="C77777")], ignore_index=True)
        moved = xref.copy()
        moved.loc[0, "customer_id"] = "C77777"
        store.load(changed, moved, run_id="run-2")

        undone = store.rollback("run-2")
        assert undone.counts("customers").inserts == 1 and undone.counts("customers").updates == 1
        customers_after, xref_after = _state(store)
        pd.testing.assert_frame_equal(customers_1, customers_after)
        pd.testing.assert_frame_equal(xref_1, xref_after)
        assert store.runs().set_index("run_id").loc["run-2", "status"] == "rolled_back"

        store.rollback("run-1")
        assert store.count_customers() == 0 and len(store.read_xref()) == 0 and len(store.read_lineage()) == 0


def test_a_run_that_later_runs_built_on_cannot_be_rolled_back(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
        store.load(golden.assign(city="Paris"), xref, run_id="run-2")
        with pytest.raises(StoreError, match="later runs changed the same records.*run-2"):
            store.rollback("run-1")
        with pytest.raises(StoreError, match="no run 'nope'"):
            store.rollback("nope")
        store.rollback("run-2")
        with pytest.raises(StoreError, match="status is rolled_back"):
            store.rollback("run-2")
        store.rollback("run-1")
        assert store.count_customers() == 0


def test_rolling_back_a_merge_brings_the_retired_customer_and_the_old_lineage_back(
    store_url: str, golden_set: GoldenSetFactory, merged: Callable[..., tuple]
) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        before = _state(store)
        lineage_before = store.read_lineage().sort_values(["customer_id", "field"]).reset_index(drop=True)
        rerun, moved = merged(golden, xref, absorbed="C00001", survivor="C00000")
        store.load(rerun.assign(email=None), moved, lineage.iloc[0:0], run_id="run-2")  # emails emptied too
        assert len(store.read_lineage()) == 0 and len(store.read_aliases()) == 1

        store.rollback("run-2")
        after = _state(store)
        pd.testing.assert_frame_equal(before[0], after[0])
        pd.testing.assert_frame_equal(before[1], after[1])
        lineage_after = store.read_lineage().sort_values(["customer_id", "field"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(lineage_before, lineage_after)
        assert len(store.read_aliases()) == 0 and store.integrity() == (0, 0)
