"""Households: people sharing an address or a landline are grouped, never merged."""

import pandas as pd

from crmmigrate.dedupe import dedupe
from crmmigrate.dedupe.model import MatchModel
from crmmigrate.dedupe.settings import DedupeSettings

FAMILY = pd.DataFrame(
    {
        "source": ["crm", "crm", "shop", "shop", "erp"],
        "source_row": [1, 2, 1, 2, 1],
        "source_key": ["A1", "A2", "S1", "S2", "E1"],
        "first_name": ["Anna", "Jonas", "Anna", "Jonas", "Petra"],
        "first_name_match": ["anna", "jonas", "anna", "jonas", "petra"],
        "last_name": ["Weber", "Weber", "Weber", "Weber", "Vogel"],
        "email": ["familie.weber@web.de"] * 4 + ["petra@vogel.de"],
        "phone": ["+493012345678"] * 4 + ["+491719876543"],
        "phone_type": ["fixed_line"] * 4 + ["mobile"],
        "address_line1": ["Hauptstraße 5"] * 4 + ["Gartenweg 1"],
        "postal_code": ["10115"] * 4 + ["20095"],
        "city": ["Berlin"] * 4 + ["Hamburg"],
    }
)


def test_family_members_are_not_merged_but_share_a_household() -> None:
    result = dedupe(FAMILY)
    golden = result.golden.set_index("first_name")
    assert len(result.golden) == 3
    assert golden.loc["Anna", "member_count"] == 2 and golden.loc["Jonas", "member_count"] == 2
    assert golden.loc["Anna", "household_id"] == golden.loc["Jonas", "household_id"]
    assert golden.loc["Petra", "household_id"] != golden.loc["Anna", "household_id"]
    assert golden["household_id"].str.startswith("H").all()


def test_twins_with_their_own_mobiles_stay_apart() -> None:
    """Born the same day, the two first names are weighed, not a wall: Anna's and Jonas's own
    mobile numbers, and their names, say two people."""
    twins = FAMILY.assign(
        date_of_birth=["1990-05-01"] * 4 + ["1960-01-01"],
        phone=["+491701111111", "+491702222222", "+491701111111", "+491702222222", "+491719876543"],
        phone_type="mobile",
    )
    result = dedupe(twins)
    assert len(result.golden) == 3


def test_with_twins_apart_two_first_names_on_one_birthday_are_two_people() -> None:
    twins = FAMILY.assign(date_of_birth=["1990-05-01"] * 4 + ["1960-01-01"])
    assert len(dedupe(twins, DedupeSettings(twins="apart")).golden) == 3


def test_a_model_saved_before_the_twins_setting_keeps_twins_apart_unless_the_config_says() -> None:
    twins = FAMILY.assign(date_of_birth=["1990-05-01"] * 4 + ["1960-01-01"])
    fitted = dedupe(twins)
    assert len(fitted.golden) == 2  # nothing personal tells Anna and Jonas apart: weighed, they merge
    saved = fitted.model.to_dict()
    del saved["twins"]  # as match_model.json was written before the setting
    old = MatchModel.from_dict(saved)
    assert len(dedupe(twins, model=old).golden) == 3
    weighed = dedupe(twins, DedupeSettings(twins="weigh"), model=old)
    assert len(weighed.golden) == len(fitted.golden)


def test_an_address_is_the_same_street_in_the_same_place_and_nothing_less() -> None:
    from crmmigrate.dedupe.households import _address_codes
    from crmmigrate.dedupe.prepare import MatchFrame

    streets = ["hauptstr 5", "hauptstr 5", "hauptstr 5", "a|b", "a", None, "hauptstr 5"]
    postals = ["10115", None, "10115", None, None, "10115", None]
    cities = ["berlin", "10115", "hamburg", "c", "b|c", "berlin", None]
    mf = MatchFrame(data=pd.DataFrame({"street": streets, "postal": postals, "city": cities}), custom={})

    codes = _address_codes(mf)

    assert codes[0] == codes[1] == codes[2]  # the postal code is the place; else the city
    assert codes[3] != codes[4]  # "a|b" in c is not "a" in "b|c", though the joined texts agree
    assert codes[5] == -1 and codes[6] == -1  # no street, or no place: no address
