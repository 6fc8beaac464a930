"""Loading a golden set into a store, as the pipeline does: on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from crmmigrate.errors import StoreError
from crmmigrate.store import golden_checksum, open_store

GoldenSetFactory = Callable[..., tuple]


def load(store, golden, xref, lineage=None, run_id: str = "run-1", **kwargs):
    return store.load(golden, xref, lineage, run_id=run_id, config_hash="abc", **kwargs)


def test_a_load_reads_back_as_loaded(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        result = load(store, golden, xref, lineage)
        assert (result.inserted, result.updated, result.unchanged) == (6, 0, 0)
        assert result.plan.counts("customer_sources").inserts == len(xref)
        back = store.read_customers().sort_values("customer_id").reset_index(drop=True)
        for column in golden.columns:
            expected = (
                golden[column]
                .astype(object)
                .where(golden[column].notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
            got = (
                back[column]
                .astype(object)
                .where(back[column].notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
            assert expected.tolist() == got.tolist(), column
        stored_xref = store.read_xref().sort_values(["source", "source_row"]).reset_index(drop=True)
        assert len(stored_xref) == len(xref)
        assert set(stored_xref["customer_id"]) == set(golden["customer_id"])
        assert len(store.read_lineage()) == len(lineage)


def test_a_rerun_with_the_same_golden_set_changes_nothing(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref, lineage)
        before = store.read_customers()
        again = load(store, golden, xref, lineage, run_id="run-2")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(golden))
        assert again.plan.changes == 0
        pd.testing.assert_frame_equal(before, store.read_customers())


def test_a_changed_record_is_updated_and_counted(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref)
        changed = golden.copy()
        changed.loc[2, "email"] = "new@example.com"
        changed.loc[4, "loyalty_no"] = "L-NEW"
        new_row = golden.iloc[[0]].assign(customer_id="C99999")
        changed = pd.concat([changed, new_row], ignore_index=True)
        result = load(store, changed, xref, run_id="run-2")
        assert (result.inserted, result.updated, result.unchanged) == (1, 2, len(golden) - 2)
        back = store.read_customers().set_index("customer_id")
        assert back.loc["C00002", "email"] == "new@example.com"
        assert back.loc["C00004", "loyalty_no"] == "L-NEW"
        assert store.count_customers() == len(golden) + 1


def test_a_dry_run_writes_nothing_not_even_a_ledger_row(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        result = load(store, golden, xref, lineage, dry_run=True)
        assert result.dry_run and result.inserted == len(golden)
        assert store.count_customers() == 0
        assert len(store.runs()) == 0
        assert store.plan(golden, xref).counts().inserts == len(golden)


def test_a_failure_midway_leaves_the_store_as_before(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        load(store, golden.iloc[:3], xref[xref["customer_id"].isin(golden["customer_id"].iloc[:3])])
        before, before_xref = store.read_customers(), store.read_xref()
        # The customers and source rows are written first; the last lineage row breaks a NOT NULL.
        broken = pd.concat(
            [
                lineage,
                pd.DataFrame(
                    {"customer_id": ["C00001"], "field": [None], "source": ["crm0"], "source_row": [1]}
                ),
            ],
            ignore_index=True,
        )
        with pytest.raises(StoreError, match="rolled back"):
            load(store, golden, xref, broken, run_id="run-2")
        pd.testing.assert_frame_equal(before, store.read_customers())
        pd.testing.assert_frame_equal(before_xref, store.read_xref())
        assert len(store.read_lineage()) == 0
        runs = store.runs().set_index("run_id")
        assert runs.loc["run-2", "status"] == "failed"
        assert runs.loc["run-1", "status"] == "succeeded"


def test_the_store_checksum_equals_the_golden_checksum(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref)
        assert store.checksum() == golden_checksum(golden)
        assert store.checksum(golden["customer_id"].iloc[:2]) == golden_checksum(golden.iloc[:2])
        changed = golden.assign(city="Berlin")
        assert store.checksum() != golden_checksum(changed)


def test_the_ledger_records_each_run(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref, forced=True)
        load(store, golden, xref, run_id="run-2")
        runs = store.runs()
        assert runs["run_id"].tolist() == ["run-1", "run-2"]
        assert runs["status"].tolist() == ["succeeded", "succeeded"]
        assert runs["forced"].tolist() == [True, False]
        assert '"customers": {"inserts": 6' in runs["counts"].iloc[0]


def test_a_run_id_cannot_be_loaded_twice(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref)
        with pytest.raises(StoreError, match="already in the ledger"):
            load(store, golden, xref)


def test_bad_golden_sets_are_refused_before_writing(sqlite_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(sqlite_url) as store:
        with pytest.raises(StoreError, match="sharing a key"):
            load(store, pd.concat([golden, golden.iloc[[0]]]), xref)
        with pytest.raises(StoreError, match="longer than the store allows"):
            load(store, golden.assign(country="X" * 101), xref)
        with pytest.raises(StoreError, match="NUL character"):
            load(store, golden.assign(city="Ber\x00lin"), xref)
        with pytest.raises(StoreError, match="no column 'customer_id'"):
            load(store, golden.drop(columns="customer_id"), xref)
        assert store.count_customers() == 0


def test_the_tables_are_created_once_and_versioned(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        store.ensure_schema()
    with open_store(sqlite_url) as store:
        assert store.count_customers() == 0
