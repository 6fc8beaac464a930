import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.cleanse.postal import FORMATS, guess_country, standardise_postal_code

CASES = [
    ("sw1a1aa", "GB", "SW1A 1AA", "fixed"),
    ("SW1A 1AA", "GB", "SW1A 1AA", "valid"),
    ("1012ab", "NL", "1012 AB", "fixed"),
    ("k1a0b1", "CA", "K1A 0B1", "fixed"),
    ("2134", "US", "02134", "fixed"),
    ("021341234", "US", "02134-1234", "fixed"),
    ("00950", "PL", "00-950", "fixed"),
    ("D-10115", "DE", "10115", "fixed"),
    ("11000", "CZ", "110 00", "fixed"),
    ("1234567", "JP", "123-4567", "fixed"),
    ("abc", "DE", None, "invalid"),
    ("12345", None, "12345", "valid"),
]


@pytest.mark.parametrize(("value", "country", "standard", "status"), CASES)
def test_standard_form(value, country, standard, status):
    assert standardise_postal_code(value, country) == (standard, status)


@given(st.text(max_size=12), st.sampled_from([None, *FORMATS]))
def test_idempotent_and_never_raises(text, country):
    value, _ = standardise_postal_code(text, country)
    if value is not None:
        assert standardise_postal_code(value, country) == (value, "valid")


def test_country_guessed_only_from_distinctive_codes():
    assert [guess_country(c) for c in ("SW1A 1AA", "1012 AB", "K1A 0B1", "00-950", "10115", None)] == [
        "GB",
        "NL",
        "CA",
        "PL",
        None,
        None,
    ]


def test_default_country_format_is_lenient():
    assert standardise_postal_code("6003", "DE", strict=False) == ("6003", "valid")
    assert standardise_postal_code("6003", "DE") == ("06003", "fixed")


def test_codes_whose_standard_form_carries_the_country_letters():
    assert standardise_postal_code("1050", "LV") == ("LV-1050", "fixed")
    assert standardise_postal_code("LV1050", "LV") == ("LV-1050", "fixed")
    assert standardise_postal_code("LT-01100", "LT") == ("LT-01100", "valid")


def test_old_and_new_lengths_of_codes_still_in_legacy_data():
    assert standardise_postal_code("6473901", "IL")[0] == "6473901"
    assert standardise_postal_code("64739", "IL")[0] == "64739"  # before 2013
    assert standardise_postal_code("135-934", "KR")[0] == "135934"  # before 2015
    assert standardise_postal_code("C1010 AAZ", "AR")[0] == "C1010AAZ"
