"""Comparisons: levels per field (null, exact, fuzzy, else), computed on arrays."""

import numpy as np
import pandas as pd

from crmmigrate.dedupe.comparisons import (
    NULL,
    AddressComparison,
    DateComparison,
    EmailComparison,
    FirstNameComparison,
    IdComparison,
    LastNameComparison,
    PhoneComparison,
    default_comparisons,
)
from crmmigrate.dedupe.prepare import prepare


def level_names(comparison, frame: pd.DataFrame, pairs: list[tuple[int, int]]) -> list[str]:
    mf = prepare(frame)
    i = np.array([p[0] for p in pairs])
    j = np.array([p[1] for p in pairs])
    levels = comparison.levels(mf, i, j)
    return ["null" if lv == NULL else comparison.levels_list[lv] for lv in levels]


def test_first_names_nicknames_initials_typos_swaps_and_conflicts() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Robert", "Bob", "R.", "Rboert", "Anna", "Weber", None],
            "first_name_match": ["robert", "robert", "r", "rboert", "anna", "weber", None],
            "last_name": ["Weber", "Weber", "Weber", "Weber", "Weber", "Robert", "Weber"],
        }
    )
    comparison = FirstNameComparison("first_name", ("first", "first_raw"))
    got = level_names(comparison, frame, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6)])
    assert got == ["exact", "initial", "jaro_winkler>=0.9", "else", "swapped", "null"]


def test_last_names() -> None:
    frame = pd.DataFrame({"last_name": ["Schmidt", "Schmitt", "Müller-Lüdenscheidt", "Müller", "Wagner"]})
    comparison = LastNameComparison("last_name", ("last",))
    got = level_names(comparison, frame, [(0, 1), (2, 3), (0, 4)])
    assert got == ["jaro_winkler>=0.92", "jaro_winkler>=0.8 or one part", "else"]


def test_email_is_the_whole_address_never_the_local_part() -> None:
    frame = pd.DataFrame({"email": ["anna.weber@gmail.com", "anna.weber@web.de", "anna.weber@gmail.com"]})
    got = level_names(EmailComparison("email", ("email",)), frame, [(0, 1), (0, 2)])
    assert got == ["else", "exact"]


def test_phone_across_columns_and_mobile_numbers() -> None:
    frame = pd.DataFrame(
        {
            "phone": ["+493012345678", "+493012345678", "+491711234567", None],
            "phone_type": ["fixed_line", "fixed_line", "mobile", None],
            "mobile_phone": [None, None, None, "0171 1234567"],
        }
    )
    got = level_names(PhoneComparison("phone", ("phone",)), frame, [(0, 1), (2, 3), (0, 2)])
    assert got == ["same number", "same mobile number", "else"]


def test_dates_exact_near_transposed_else() -> None:
    frame = pd.DataFrame(
        {"date_of_birth": ["1980-03-04", "1980-03-04", "1980-04-03", "1981-03-04", "1975-11-20"]}
    )
    got = level_names(DateComparison("date_of_birth", ("dob",)), frame, [(0, 1), (0, 2), (0, 3), (0, 4)])
    near = "one component differs or day/month swapped"
    assert got == ["exact", near, near, "else"]


def test_address_levels() -> None:
    frame = pd.DataFrame(
        {
            "address_line1": ["Hauptstraße 5", "Hauptstr. 5", "Hauptstrasse 7", "Gartenweg 1", None],
            "postal_code": ["10115", "10115", "10115", "10115", "20095"],
            "city": ["Berlin", "Berlin", "Berlin", "Berlin", "Hamburg"],
        }
    )
    got = level_names(
        AddressComparison("address", ("street", "postal", "city")), frame, [(0, 1), (0, 2), (0, 3), (0, 4)]
    )
    assert got == ["same street and place", "similar street, same place", "same postal code", "else"]


def test_ids_allow_one_typo() -> None:
    frame = pd.DataFrame({"national_id": ["AB123456", "AB123465", "ZZ999999", "AB123456"]})
    mf = prepare(frame)
    comparison = IdComparison("national_id", ("x_national_id",))
    levels = comparison.levels(mf, np.array([0, 0, 0]), np.array([1, 2, 3]))
    assert [comparison.levels_list[v] for v in levels] == ["one edit", "else", "exact"]


def test_every_filled_field_is_compared_custom_columns_included() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["A", "B"],
            "last_name": ["C", "D"],
            "email": ["a@x.de", "b@x.de"],
            "region": ["DE-BE", "DE-HH"],
            "loyalty_no": ["L-1234", "L-9876"],
            "created_at": ["2020-01-01", "2021-01-01"],
        }
    )
    names = [c.name for c in default_comparisons(prepare(frame))]
    assert names == ["first_name", "last_name", "email", "region", "loyalty_no"]
