"""Comparisons: levels per field (null, exact, fuzzy levels with parameters, else), on arrays."""

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.comparisons import (
    NULL,
    AddressComparison,
    CompanyComparison,
    DateComparison,
    EmailComparison,
    FirstNameComparison,
    IdComparison,
    LastNameComparison,
    Level,
    PhoneComparison,
    _numbers_agree,
    default_comparisons,
    from_spec,
    per_distinct_pair,
)
from crmmigrate.dedupe.prepare import prepare
from crmmigrate.errors import ConfigError


def level_names(comparison, frame: pd.DataFrame, pairs: list[tuple[int, int]]) -> list[str]:
    mf = prepare(frame)
    i = np.array([p[0] for p in pairs])
    j = np.array([p[1] for p in pairs])
    levels = comparison.gamma(mf, i, j)
    return ["null" if lv == NULL else comparison.levels_list[lv] for lv in levels]


FIRST = FirstNameComparison("first_name", ("first", "first_raw"))
LAST = LastNameComparison("last_name", ("last",))


def test_first_names_exact_nickname_typo_initial_and_conflict() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Robert", "Bob", "R.", "Rboert", "Anna", "Percival", "Percy", None],
            "first_name_match": ["robert", "robert", "r", "rboert", "anna", "percival", "percy", None],
            "last_name": ["Weber"] * 8,
        }
    )
    got = level_names(FIRST, frame, [(0, 1), (0, 2), (0, 3), (0, 4), (5, 6), (0, 7)])
    assert got == ["exact", "initial", "jaro_winkler>=0.9", "else", "nickname", "null"]


def test_a_name_in_another_language_is_the_same_name() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["John", "Johann", "Sean", "Ian", "Jack", "Wilhelm", "William", "Evan"],
            "first_name_match": ["john", "johann", "sean", "ian", "john", "wilhelm", "william", "evan"],
            "last_name": ["Weber"] * 8,
        }
    )
    got = level_names(FIRST, frame, [(0, 1), (2, 3), (4, 2), (5, 6), (0, 7)])
    # Evan, once Welsh for John, is an English name of its own: John and Evan Weber are brothers.
    assert got == ["nickname", "nickname", "nickname", "nickname", "else"]


def test_a_typo_in_the_name_a_nickname_stands_for_is_a_typo() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Fred", "Frederik", "Fred", "Peter"],
            "first_name_match": ["frederick", "frederik", "frederick", "peter"],
            "last_name": ["Green"] * 4,
        }
    )
    assert level_names(FIRST, frame, [(0, 1), (2, 3)]) == ["jaro_winkler>=0.9", "else"]


def test_a_person_may_go_by_a_middle_name() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Henry", "William", "Mary", "Anne", "Henry"],
            "last_name": ["Hoare", "Hoare", "Hoare", "Hoare", "Hoare"],
            "full_name": ["Henry William Hoare", "William Hoare", "Mary Anne Hoare", None, "Henry Hoare"],
        }
    )
    # Henry William / William: one person by either given name; Mary Anne / Anne likewise. Henry
    # (no middle name) and William are two people: the surname alone does not tie them.
    got = level_names(FIRST, frame, [(0, 1), (2, 3), (4, 1), (1, 0)])
    assert got == ["middle", "middle", "else", "middle"]


def test_transliterations_sound_alike() -> None:
    frame = pd.DataFrame(
        {"first_name": ["Aleksandr", "Alexander", "Yusuf", "Youssef"], "last_name": ["Ivanov"] * 4}
    )
    assert level_names(FIRST, frame, [(0, 1), (2, 3)]) == ["sound", "sound"]


def test_a_name_in_another_script_is_the_same_name() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Иван", "Ivan", "Γιώργος", "Giorgos", "Ольга", "Olga"],
            "last_name": ["Петров", "Petrov", "Παπαδόπουλος", "Papadopoulos", "Шевченко", "Shevchenko"],
        }
    )
    pairs = [(0, 1), (2, 3), (4, 5)]
    assert level_names(FIRST, frame, pairs) == ["exact", "exact", "exact"]
    assert level_names(LAST, frame, pairs)[0::2] == ["exact", "exact"]
    assert level_names(LAST, frame, pairs)[1] != "else"  # Papadopoylos: one letter off


def test_names_in_either_order_are_swapped_not_a_conflict() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Weber", "Payne", "Reuben"],
            "last_name": ["Weber", "Anna", None, "Payne"],
        }
    )
    assert level_names(FIRST, frame, [(0, 1), (2, 3)]) == ["swapped>=0.9", "null"]
    assert level_names(LAST, frame, [(0, 1), (2, 3)]) == ["swapped>=0.9", "swapped>=0.9"]


def test_a_single_name_that_is_the_others_surname_counts_once_as_the_surname() -> None:
    frame = pd.DataFrame({"first_name": ["Chapman", "John", "Thomas"], "last_name": [None, "Chapman", None]})
    # Chapman / John Chapman: the surname agrees; Chapman gives no first name to compare.
    assert level_names(FIRST, frame, [(0, 1), (2, 1)]) == ["null", "else"]
    assert level_names(LAST, frame, [(0, 1), (2, 1)]) == ["swapped>=0.9", "null"]


@pytest.mark.parametrize(("one", "other"), [("Paul", "Paula"), ("Stefan", "Stefanie"), ("Mario", "Maria")])
def test_the_female_and_male_form_of_a_name_are_two_people(one: str, other: str) -> None:
    frame = pd.DataFrame({"first_name": [one, other], "last_name": ["Rossi", "Rossi"]})
    assert level_names(FIRST, frame, [(0, 1)]) == ["else"]


def test_last_names_typos_compound_names_and_sounds() -> None:
    frame = pd.DataFrame(
        {
            "last_name": [
                "Schmidt",
                "Schmitt",
                "García López",
                "García",
                "Wagner",
                "de Teliga",
                "Deteliga",
                "Meyer",
            ],
        }
    )
    got = level_names(LAST, frame, [(0, 1), (2, 3), (0, 4), (5, 6), (4, 7)])
    assert got == ["jaro_winkler>=0.92", "part", "else", "exact", "else"]
    transliterated = pd.DataFrame({"last_name": ["Mohammed", "Muhammad"]})
    assert level_names(LAST, transliterated, [(0, 1)]) == ["sound"]


def test_email_exact_personal_or_family_and_typos_never_lookalikes() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Anna", "Anna", "Jonas", "Anna", "Anna"],
            "email": [
                "anna.weber@gmail.com",
                "anna.weber@gmail.com",
                "anna.weber@gmial.com",
                "familie.weber@web.de",
                "familie.weber@web.de",
                "anna.weber@web.de",
            ],
        }
    )
    got = level_names(EmailComparison("email", ("email",)), frame, [(0, 1), (0, 2), (3, 4), (0, 5)])
    assert got == ["exact_named", "typo<=2", "exact", "else"]  # the same name at two providers: namesakes


def test_phone_across_columns_without_area_code_and_one_digit_off() -> None:
    frame = pd.DataFrame(
        {
            "phone": ["+493012345678", "+493012345678", "+491711234567", None, "2345678", "+493012345679"],
            "phone_type": ["fixed_line", "fixed_line", "mobile", None, None, "fixed_line"],
            "mobile_phone": [None, None, None, "0171 1234567", None, None],
        }
    )
    got = level_names(
        PhoneComparison("phone", ("p9_phone",)), frame, [(0, 1), (2, 3), (0, 2), (0, 4), (0, 5)]
    )
    assert got == ["exact", "same_mobile", "else", "trailing_digits>=6", "one_digit_off"]


def test_dates_typos_swaps_and_distance_any_year_from_1000() -> None:
    frame = pd.DataFrame(
        {
            "date_of_birth": [
                "1980-03-04",
                "1980-03-04",
                "1980-04-03",
                "1981-03-04",
                "1980-03-20",
                "1980-09-20",
                "1975-11-20",
                "1630-08-01",
                "1630-08-01",
            ]
        }
    )
    comparison = DateComparison("date_of_birth", ("dob",))
    got = level_names(comparison, frame, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (7, 8)])
    assert got == [
        "exact_day",
        "typo<=1",
        "typo<=1",
        "within_days<=31",
        "within_days<=366",
        "else",
        "exact_day",
    ]


def test_the_same_first_of_january_is_weaker_than_the_same_day() -> None:
    """A year alone is often stored as 1 January, and so is an unknown birth date: agreeing on it
    is a level of its own, below agreeing on a real day."""
    frame = pd.DataFrame({"date_of_birth": ["1850-01-01", "1850-01-01", "1850-01-02", "1850-01-02"]})
    comparison = DateComparison("date_of_birth", ("dob",))
    assert level_names(comparison, frame, [(0, 1), (2, 3), (0, 2)]) == ["exact", "exact_day", "typo<=1"]


def test_postal_codes_of_one_district_are_a_level_of_their_own() -> None:
    frame = pd.DataFrame(
        {
            "postal_code": ["TQ13 8DF", "TQ13 8JR", "TQ1 4AB", "10115", "10117", "10999"],
            "city": ["Devon", None, None, "Berlin", "Mitte", None],
        }
    )
    comparison = AddressComparison("address", ("street", "postal", "city"))
    got = level_names(comparison, frame, [(0, 1), (0, 2), (3, 4), (3, 5)])
    assert got == ["same_postal_area", "else", "same_postal_area", "else"]


def test_address_levels_compare_only_what_both_records_have() -> None:
    frame = pd.DataFrame(
        {
            "address_line1": [
                "Hauptstraße 5",
                "Hauptstr. 5",
                "Hptstr. 5",
                "Gartenweg 1",
                None,
                "Hauptstr. 5",
            ],
            "postal_code": ["10115", "10115", "10115", "10115", "20095", None],
            "city": ["Berlin", "Berlin", "Berlin", "Berlin", "Hamburg", "Berlín"],
        }
    )
    comparison = AddressComparison("address", ("street", "postal", "city"))
    got = level_names(comparison, frame, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)])
    assert got == [
        "same_street>=0.95",
        "similar_street>=0.8",
        "same_postal_code",
        "else",
        "same_street>=0.95",
    ]


def test_a_missing_value_is_no_evidence() -> None:
    frame = pd.DataFrame({"email": ["anna@example.org", None], "date_of_birth": [None, "1980-01-01"]})
    mf = prepare(frame)
    for comparison in (EmailComparison("email", ("email",)), DateComparison("date_of_birth", ("dob",))):
        assert comparison.gamma(mf, np.array([0]), np.array([1])).tolist() == [NULL]


def test_company_names_without_legal_forms_word_order_and_abbreviations() -> None:
    frame = pd.DataFrame(
        {
            "company": [
                "Müller Bau GmbH",
                "Müller Bau",
                "The Arnie Morton's",
                "Arnie Morton's of Chicago",
                "IBM",
                "International Business Machines Corp.",
                "Schreinerei Koch",
            ]
        }
    )
    comparison = CompanyComparison("company", ("company",))
    got = level_names(comparison, frame, [(0, 1), (2, 3), (4, 5), (0, 6)])
    assert got == ["exact", "same_words>=0.9", "abbreviation", "else"]
    spelled = pd.DataFrame({"company": ["Müller Bau", "Mueller Bau"]})
    assert level_names(comparison, spelled, [(0, 1)]) == ["same_words>=0.9"]


def test_ids_allow_one_typo() -> None:
    frame = pd.DataFrame({"national_id": ["AB123456", "AB123465", "ZZ999999", "AB123456"]})
    comparison = IdComparison("national_id", ("x_national_id",))
    assert level_names(comparison, frame, [(0, 1), (0, 2), (0, 3)]) == ["typo<=1", "else", "exact"]


def test_levels_are_parameters_and_survive_a_round_trip_through_their_spec() -> None:
    strict = LastNameComparison("last_name", ("last",), (Level("exact"), Level("jaro_winkler", 0.97)))
    again = from_spec(strict.spec())
    assert again == strict
    assert again.levels_list == ("exact", "jaro_winkler>=0.97", "else")
    frame = pd.DataFrame({"last_name": ["Schmidt", "Schmied"]})
    assert level_names(again, frame, [(0, 1)]) == ["else"]  # 0.94 < 0.97
    assert level_names(LAST, frame, [(0, 1)]) == ["jaro_winkler>=0.92"]


def test_an_unknown_level_is_refused_naming_the_ones_that_exist() -> None:
    with pytest.raises(ConfigError, match="no level 'fuzzy'") as caught:
        LastNameComparison("last_name", ("last",), (Level("fuzzy", 0.8),))
    assert "jaro_winkler" in str(caught.value.hint)


def test_identity_fields_and_identifiers_are_compared_by_default_other_columns_when_asked() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["A", "B"],
            "last_name": ["C", "D"],
            "email": ["a@x.de", "b@x.de"],
            "region": ["DE-BE", "DE-HH"],
            "loyalty_no": ["L-1234", "L-9876"],
            "lifecycle_stage": ["lead", "customer"],
            "created_at": ["2020-01-01", "2021-01-01"],
        }
    )
    mf = prepare(frame)
    assert [c.name for c in default_comparisons(mf)] == ["first_name", "last_name", "email", "loyalty_no"]
    asked = default_comparisons(mf, ["last_name", "lifecycle_stage", "region"])
    assert [c.name for c in asked] == ["last_name", "region", "lifecycle_stage"]


def test_two_house_numbers_on_one_street_are_two_houses() -> None:
    frame = pd.DataFrame(
        {
            "address_line1": [
                "Östra Hamngatan 13",
                "Östra Hamngatan 3",
                "6581 Main St",
                "6581 Main St Apt 12",
            ],
            "postal_code": ["75310", "75236", "M5H 4K1", "M5H 4K1"],
            "city": ["Uppsala", "Uppsala", "Toronto", "Toronto"],
        }
    )
    comparison = AddressComparison("address", ("street", "postal", "city"))
    assert level_names(comparison, frame, [(0, 1), (2, 3)]) == ["same_city>=0.85", "same_street>=0.95"]


def test_house_numbers_agree_when_one_set_holds_the_other() -> None:
    ours = np.array(["", "12", "12", "4 12", "12", None, "3 5", "3 5"], dtype=object)
    theirs = np.array(["12", "", "14", "12", "12", "1", "5 7", "5 3"], dtype=object)
    # no number / a number, a flat added to the house, and missing values never disagree
    assert _numbers_agree(ours, theirs).tolist() == [True, True, False, True, True, True, False, True]


def test_a_shared_beginning_is_not_a_typo() -> None:
    frame = pd.DataFrame(
        {"first_name": ["Frank", "Franziska", "Jennifer", "Jennifeer"], "last_name": ["Jäger"] * 4}
    )
    assert level_names(FIRST, frame, [(0, 1), (2, 3)]) == ["similar>=0.75", "jaro_winkler>=0.9"]


def test_a_test_in_python_runs_once_per_pair_of_values() -> None:
    a, b = np.array([1, 1, 2, 1, -1]), np.array([3, 3, 3, 3, 3])
    asked: list[int] = []

    def test(positions: np.ndarray) -> np.ndarray:
        asked.append(len(positions))
        return a[positions] == 1

    assert per_distinct_pair(a, b, test).tolist() == [True, True, False, True, False]
    assert asked == [3], "three distinct pairs of values, one call"
