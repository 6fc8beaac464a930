"""Survivorship: rule chains per field, dependent fields kept together, lineage."""

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.settings import SurvivorshipSettings
from crmmigrate.dedupe.survivorship import survive
from crmmigrate.errors import ConfigError

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
    members = MEMBERS.assign(updated_at=None)
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


def test_unknown_rules_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="newest"):
        survive(MEMBERS, ONE_CLUSTER, SurvivorshipSettings(default=["newest"]))
