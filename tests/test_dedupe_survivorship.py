"""Survivorship: rule chains per field, dependent fields kept together, lineage."""

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.settings import SurvivorshipSettings
from crmmigrate.dedupe.survivorship import survive

MEMBERS = pd.DataFrame(
    {
        "source": ["crm", "shop", "erp"],
        "source_row": [1, 2, 3],
        "first_name": ["Anna", "Anna", None],
        "last_name": ["Weber", "Webr", None],
        "email": ["anna@old.de", "anna@new.de", None],
        "email_status": ["valid", "valid", "missing"],
        "address_line1": ["Hauptstraße 5", None, "Gartenweg 2"],
        "city": ["Berlin", "Hamburg", "Köln"],
        "postal_code": ["10115", "20095", "50667"],
        "updated_at": ["2020-01-01", "2024-05-01", "2010-01-01"],
        "created_at": ["2015-01-01", "2019-01-01", "2009-03-01"],
    }
)
ONE_CLUSTER = np.zeros(3, dtype=np.int64)


def golden_row(settings: SurvivorshipSettings) -> pd.Series:
    return survive(MEMBERS, ONE_CLUSTER, settings).golden.iloc[0]


def test_defaults_most_recent_value_wins_and_address_fields_stay_together() -> None:
    row = golden_row(SurvivorshipSettings())
    assert row["email"] == "anna@new.de"  # most recent
    # the most recent row has no street: the address comes whole from the next best row
    assert (row["address_line1"], row["city"], row["postal_code"]) == ("Hauptstraße 5", "Berlin", "10115")
    assert row["created_at"] == "2009-03-01" and row["updated_at"] == "2024-05-01"


def test_source_priority_and_per_field_chains() -> None:
    settings = SurvivorshipSettings(
        fields={"email": ["source_priority"], "address_line1": ["longest"]}, source_priority=["crm", "shop"]
    )
    row = golden_row(settings)
    assert row["email"] == "anna@old.de"
    assert row["address_line1"] == "Hauptstraße 5"


def test_names_stay_together() -> None:
    row = golden_row(SurvivorshipSettings(fields={"last_name": ["most_recent"]}))
    assert (row["first_name"], row["last_name"]) == ("Anna", "Webr")


def test_ties_break_on_source_then_row_and_lineage_names_the_row() -> None:
    members = MEMBERS.assign(updated_at=None, created_at=None)
    result = survive(members, ONE_CLUSTER, SurvivorshipSettings(default=["most_recent"]))
    assert result.golden.iloc[0]["email"] == "anna@old.de"  # crm < shop
    lineage = result.lineage.set_index("field")
    assert lineage.loc["email", "row"] == 0
    assert set(lineage.index) >= {"first_name", "email", "address_line1", "city"}


def test_valid_only_prefers_valid_values() -> None:
    members = MEMBERS.assign(email_status=["invalid", "fixed", "missing"])
    row = survive(members, ONE_CLUSTER, SurvivorshipSettings(default=["valid_only", "longest"])).golden.iloc[
        0
    ]
    assert row["email"] == "anna@new.de"


def test_unknown_rules_are_refused_with_the_rules_that_exist() -> None:
    with pytest.raises(ValueError, match="unknown rule 'newest'; rules: valid_only, most_recent"):
        SurvivorshipSettings(default=["newest"])
    with pytest.raises(ValueError, match="city: unknown rule 'latest'"):
        SurvivorshipSettings(fields={"city": ["latest"]})


ADDRESS = ["address_line1", "address_line2", "city", "postal_code", "region", "country"]


def customer(*rows: dict[str, object]) -> pd.DataFrame:
    """Rows of one customer, numbered in order, from the given fields (the rest missing)."""
    frame = pd.DataFrame([{"source": "crm", "source_row": i + 1, **row} for i, row in enumerate(rows)])
    for column in ["last_name", "email", *ADDRESS, "created_at", "updated_at"]:
        if column not in frame.columns:
            frame[column] = None
    return frame


def cells_of(*cells: object) -> tuple:
    """Cells with a missing value as None (pandas 3's text columns hold NaN)."""
    return tuple(None if pd.isna(cell) else cell for cell in cells)


def address_of(members: pd.DataFrame, settings: SurvivorshipSettings | None = None) -> tuple:
    row = survive(members, np.zeros(len(members), dtype=np.int64), settings or SurvivorshipSettings()).golden
    return cells_of(*row.iloc[0][ADDRESS])


BERLIN = {"address_line1": "Hauptstraße 5", "postal_code": "10115", "city": "Berlin", "country": "DE"}
HAMBURG = {"address_line1": "Elbchaussee 12", "postal_code": "22763", "city": "Hamburg", "country": "DE"}


def test_a_customer_who_moved_gets_the_new_address_whole() -> None:
    moved = customer(
        {"email": "anna@example.de", **BERLIN, "address_line2": "c/o Weber", "updated_at": "2018-03-01"},
        {"email": "anna@example.de", **HAMBURG, "updated_at": "2024-05-01T10:00:00"},
    )
    assert address_of(moved) == ("Elbchaussee 12", None, "Hamburg", "22763", None, "DE")


def test_the_most_recent_complete_address_wins_over_a_newer_partial_one() -> None:
    older = {**BERLIN, "updated_at": "2018-03-01"}
    street_only = {"address_line1": "Elbchaussee 12", "updated_at": "2024-05-01"}
    town_only = {"city": "Hamburg", "country": "DE", "updated_at": "2025-01-01"}
    assert address_of(customer(older, street_only, town_only)) == (
        "Hauptstraße 5",
        None,
        "Berlin",
        "10115",
        None,
        "DE",
    )
    # with no complete address, a street beats a bare town, however new the town is
    assert address_of(customer(street_only, town_only))[0] == "Elbchaussee 12"


def test_without_updated_at_the_creation_date_says_which_row_is_newer() -> None:
    members = customer(
        {**BERLIN, "updated_at": "2020-01-01", "created_at": "2015-01-01"},
        {**HAMBURG, "created_at": "2022-06-01"},  # created after the other row's last update
    )
    assert address_of(members)[2] == "Hamburg"
    assert address_of(members.assign(created_at=[None, "2019-06-01"]))[2] == "Berlin"


def test_an_address_block_never_mixes_rows() -> None:
    rng = np.random.default_rng(7)
    values = {
        "address_line1": "Street {}",
        "address_line2": "Flat {}",
        "city": "Town {}",
        "postal_code": "{}0000",
        "region": "R{}",
        "country": "C{}",
    }
    for _ in range(200):
        members = customer(
            *(
                {
                    **{f: pattern.format(i) for f, pattern in values.items() if rng.random() < 0.6},
                    "updated_at": f"20{rng.integers(10, 25)}-01-01" if rng.random() < 0.8 else None,
                }
                for i in range(int(rng.integers(2, 6)))
            )
        )
        result = survive(members, np.zeros(len(members), dtype=np.int64), SurvivorshipSettings())
        rows = set(result.lineage[result.lineage["field"].isin(ADDRESS)]["row"])
        assert len(rows) <= 1
        if rows:
            (row,) = rows
            expected = members.loc[row, ADDRESS].where(members.loc[row, ADDRESS].notna(), None)
            assert cells_of(*result.golden.iloc[0][ADDRESS]) == cells_of(*expected)


def test_custom_address_parts_travel_with_the_block() -> None:
    members = customer(
        {**BERLIN, "house_number": "5", "loyalty_no": "L-1", "updated_at": "2018-03-01"},
        {**HAMBURG, "updated_at": "2024-05-01"},
    )
    row = survive(members, np.zeros(2, dtype=np.int64), SurvivorshipSettings()).golden.iloc[0]
    assert cells_of(row["city"], row["house_number"], row["loyalty_no"]) == ("Hamburg", None, "L-1")


def test_ties_are_broken_the_same_whatever_the_row_order() -> None:
    members = customer(
        {"email": "a@example.de", **BERLIN, "updated_at": "2024-05-01"},
        {"email": "b@example.de", **HAMBURG, "updated_at": "2024-05-01"},
    ).assign(source=["shop", "crm"])
    settings = SurvivorshipSettings(default=["most_recent"])
    first = survive(members, np.zeros(2, dtype=np.int64), settings).golden.iloc[0]
    flipped = survive(members.iloc[::-1], np.zeros(2, dtype=np.int64), settings).golden.iloc[0]
    assert (
        (first["email"], first["city"]) == (flipped["email"], flipped["city"]) == ("b@example.de", "Hamburg")
    )
