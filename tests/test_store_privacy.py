"""Forgetting a person: erased from the store everywhere, and kept out of later runs."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from crmmigrate.errors import StoreError
from crmmigrate.store import open_store, suppressed_mask

GoldenSetFactory = Callable[..., tuple]


def test_forget_by_email_erases_the_person_everywhere(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        store.load(golden.assign(city="Paris"), xref, lineage, run_id="run-2")  # before-images hold the data
        person = golden.loc[golden["email"].notna()].iloc[0]
        result = store.forget(email=person["email"].upper())
        assert (result.customers, result.source_rows) == (
            1,
            (xref["customer_id"] == person["customer_id"]).sum(),
        )
        assert person["customer_id"] not in set(store.read_customers()["customer_id"])
        assert person["customer_id"] not in set(store.read_xref()["customer_id"])
        assert person["customer_id"] not in set(store.read_lineage()["customer_id"])
        assert store.count_customers() == len(golden) - 1
        suppressions = store.suppressions()
    assert person["email"] not in suppressions.to_string()  # digests only

    staged = pd.DataFrame(
        {
            "source": ["crm0", "crm0", "web"],
            "source_key": [
                xref.loc[xref["customer_id"] == person["customer_id"], "source_key"].iloc[0],
                "K404",
                None,
            ],
            "email": [None, "someone@example.com", f"  {person['email'].title()} "],
        }
    )
    assert suppressed_mask(staged, suppressions).tolist() == [True, False, True]


def test_forget_by_customer_id_and_nobody_found(sqlite_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(sqlite_url) as store:
        store.load(golden, xref, run_id="run-1")
        assert store.forget(customer_id="C00003").customers == 1
        nobody = store.forget(email="nobody@example.com")
        assert (nobody.customers, nobody.suppressed) == (0, 1)
        with pytest.raises(StoreError, match="say whom to forget"):
            store.forget()


def test_forget_also_erases_links_a_later_run_moved_to_someone_else(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    first, second = golden["customer_id"].iloc[0], golden["customer_id"].iloc[1]
    moved = xref.copy()
    moved.loc[moved["customer_id"] == first, "customer_id"] = second  # dedupe changed its mind
    theirs = xref.loc[xref["customer_id"] == first, ["source", "source_key"]]
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
        store.load(golden, moved, run_id="run-2")  # its before-images link the rows to `first`
        store.forget(customer_id=first)
        assert not suppressed_mask(theirs, store.suppressions()).any()  # the rows are `second`'s now
        # Undoing run-2 cannot give the rows back to `first`, who is erased: they go with the run.
        store.rollback("run-2")
        after = store.read_xref()
    assert first not in set(after["customer_id"])
    assert len(after) == len(xref) - len(theirs)


def test_a_forgotten_person_is_scrubbed_from_other_before_images_and_no_rollback_brings_them_back(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    """P absorbed Q (run-2 took Q's email and phone into P's record), run-3 split them again.
    Forgetting Q must clear Q's values from P's before-image, so that undoing run-3 cannot write
    them back; and undoing a run never restores Q's own record."""
    golden, xref, lineage = golden_set()
    p, q = golden.iloc[1], golden.iloc[2]
    merged = golden.copy()
    merged.loc[merged["customer_id"] == p["customer_id"], ["email", "phone"]] = [q["email"], q["phone"]]
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        store.load(merged, xref, lineage, run_id="run-2")  # P holds Q's contact points
        store.load(golden, xref, lineage, run_id="run-3")  # split: P's before-image holds them
        store.forget(customer_id=str(q["customer_id"]))
        store.rollback("run-3")
        customers = store.read_customers().set_index("customer_id")
    assert q["customer_id"] not in customers.index
    assert q["email"] not in set(customers["email"].dropna())
    assert q["phone"] not in set(customers["phone"].dropna())
    assert p["customer_id"] in customers.index  # P itself is rolled back, without Q's data


def test_forgetting_a_retired_id_forgets_the_customer_it_was_merged_into(
    store_url: str, golden_set: GoldenSetFactory, merged: Callable[..., tuple]
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
        store.load(*merged(golden, xref, absorbed="C00001", survivor="C00000"), run_id="run-2")

        result = store.forget(customer_id="C00001")  # the id a downstream system still holds
        assert result.customers == 1
        assert not {"C00000", "C00001"} & set(store.read_customers()["customer_id"])
        assert len(store.read_aliases()) == 0 and store.integrity() == (0, 0)
