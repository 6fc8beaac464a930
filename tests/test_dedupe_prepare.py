"""The match frame: normalised values, robust to absent or empty columns."""

import pandas as pd

from crmmigrate.dedupe.prepare import custom_columns, custom_kind, fold, prepare, text_column


def test_fold_removes_case_accents_and_punctuation() -> None:
    assert fold("  Müller-Lüdenscheidt ") == "muller ludenscheidt"
    assert fold("Straße") == "strasse"


def test_fold_writes_greek_cyrillic_armenian_and_georgian_names_in_latin_letters() -> None:
    assert fold("Иван Петров") == fold("Ivan Petrov") == "ivan petrov"
    assert fold("Наталья Ковальчук") == "natalya kovalchuk"  # the soft sign breaks no word
    assert fold("Γιώργος") == "giorgos"
    assert fold("Арсен Մարտիրոսյան") == "arsen martirosyan"


def test_fold_keeps_scripts_whose_romanisation_would_merge_names() -> None:
    assert fold("张伟") != fold("章伟")  # both read Zhang Wei
    assert fold("محمد") == "محمد"


def test_text_is_stripped_with_blanks_missing_and_other_values_as_text() -> None:
    names = pd.DataFrame({"v": [" Ann ", "", None, float("nan"), "Bo", "   "]})
    assert text_column(names, "v").tolist() == ["Ann", None, None, None, "Bo", None]
    mixed = pd.DataFrame({"v": [1, 2.5, None, " x "]}, dtype=object)
    assert text_column(mixed, "v").tolist() == ["1", "2.5", None, "x"]


def test_clean_python_strings_are_not_copied() -> None:
    names = pd.DataFrame({"v": pd.Series(["Ann", "Bo"], dtype=object)})
    assert text_column(names, "v").iloc[0] is names["v"].iloc[0]


def test_the_given_names_besides_the_first_are_the_middle_names() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Henry", "Anna", "J.", None],
            "last_name": ["Hoare", "van Dijk", "Smith", None],
            "full_name": ["Henry William Hoare", "Anna van Dijk", "J. F. K. Smith", "Mary Ann Lee"],
        }
    )
    # initials are not names to go by; a full name alone gives its first and last name too
    assert prepare(frame).data["middle"].tolist() == ["william", None, None, "ann"]


def test_missing_columns_are_missing_values() -> None:
    mf = prepare(pd.DataFrame({"source": ["a"], "source_row": [1], "last_name": ["Weber"]}))
    assert mf.array("last")[0] == "weber"
    assert mf.array("email")[0] is None
    assert mf.array("street")[0] is None


def test_full_name_fills_first_and_last_when_both_are_missing() -> None:
    mf = prepare(
        pd.DataFrame({"full_name": ["Anna Maria Schulz"], "first_name": [None], "last_name": [None]})
    )
    assert (mf.array("first_raw")[0], mf.array("last")[0]) == ("anna", "schulz")


def test_first_name_match_is_used_for_names_and_role_emails_are_ignored() -> None:
    clean = pd.DataFrame(
        {
            "first_name": ["Bob"],
            "first_name_match": ["robert"],
            "email": ["info@firma.de"],
            "email_role": [True],
        }
    )
    mf = prepare(clean)
    assert mf.array("first")[0] == "robert"
    assert mf.array("email")[0] is None


def test_custom_columns_and_their_kind() -> None:
    clean = pd.DataFrame(
        {
            "source": ["a"] * 4,
            "email_raw": ["x"] * 4,
            "email_status": ["valid"] * 4,
            "national_id": ["AB123456", "CD998877", "EF554433", "GH112233"],
            "segment": ["gold", "gold", "gold", "gold"],
            "mobile_phone": ["0171 234567", "+49 160 1234567", "0152/998877", "0176 5554443"],
            "last_login": ["2024-01-01 10:00:00"] * 4,
        }
    )
    assert custom_columns(clean) == ["national_id", "segment", "mobile_phone", "last_login"]
    assert custom_kind(clean["national_id"], "national_id") == "id"
    assert custom_kind(clean["segment"], "segment") == "category"
    assert custom_kind(clean["mobile_phone"], "mobile_phone") == "phone"
    assert custom_kind(clean["last_login"], "last_login") == "timestamp"
    mf = prepare(clean)
    assert "p9_mobile_phone" in mf.phone_columns() and "m9_mobile_phone" in mf.mobile_columns()


def test_street_abbreviations_agree() -> None:
    mf = prepare(pd.DataFrame({"address_line1": ["Hauptstr. 5", "Hauptstraße 5"]}))
    assert mf.array("street")[0] == mf.array("street")[1]


def test_numbered_streets_agree_in_words_and_in_figures() -> None:
    streets = ["854 Seventh Avenue", "854 7th Ave.", "3 Second St", "12 Twenty-First St", "40 Thirtieth Ave"]
    mf = prepare(pd.DataFrame({"address_line1": streets}))
    assert mf.array("street")[0] == mf.array("street")[1] == "854 7th ave"
    assert mf.array("street")[2:].tolist() == ["3 2nd st", "12 21st st", "40 30th ave"]
