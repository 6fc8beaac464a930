import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate.cleanse.phone import standardise_phone, standardise_phones

CASES = [
    ("+49 (0)30 1234567", None, "+49301234567"),
    ("0049 30 1234567", "US", "+49301234567"),
    ("Tel: 030 1234567", "DE", "+49301234567"),
    ("030/1234567", "DE", "+49301234567"),
    ("Mob: 0171 1234567", "DE", "+491711234567"),
    ("(212) 555-0100", "US", "+12125550100"),
    ("+1 212.555.0100", None, "+12125550100"),
    ("011 44 20 7946 0958", "US", "+442079460958"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+44 (0) 20 7946 0958", None, "+442079460958"),
    ("06-12345678", "NL", "+31612345678"),
    ("T: +33 1 23 45 67 89", None, "+33123456789"),
    ("＋８１ ３－１２３４－５６７８", None, "+81312345678"),
    ("0171 1234567; 030 123456", "DE", "+491711234567"),
]


@pytest.mark.parametrize(("text", "region", "e164"), CASES)
def test_formats(text, region, e164):
    assert standardise_phone(text, region, "DE")[0] == e164


def test_extension_kept_apart_and_derived_columns():
    value, status, kind, zone, region, extension, _ = standardise_phone("(212) 555-0100 x123", "US")
    assert (value, status, zone, region, extension) == (
        "+12125550100",
        "fixed",
        "America/New_York",
        "US",
        "123",
    )
    assert standardise_phone("+491711234567")[2] == "mobile"


def test_row_country_then_default():
    out = standardise_phones(pd.Series(["01 42 68 53 00", "030 1234567"]), pd.Series(["FR", None]), "DE")
    assert out["value"].tolist() == ["+33142685300", "+49301234567"]


def test_missing_and_invalid():
    assert standardise_phone("n/a")[1] == "missing"
    assert standardise_phone("abc", "DE")[1] == "invalid"
    assert standardise_phone("12", "DE")[1] == "invalid"


REGIONS = [
    "DE",
    "US",
    "GB",
    "FR",
    "NL",
    "JP",
    "AU",
    "BR",
    "IN",
    "RU",
    "MX",
    "ES",
    "IT",
    "SE",
    "PL",
    "CA",
    "CH",
    "AT",
    "BE",
    "DK",
    "NO",
    "FI",
    "IE",
    "PT",
    "CZ",
    "TR",
    "AR",
    "NZ",
    "SG",
    "ZA",
    "KR",
    "CN",
    "HU",
    "GR",
    "RO",
    "CL",
    "CO",
    "IL",
    "AE",
    "TH",
]


@pytest.mark.parametrize("region", REGIONS)
def test_example_numbers_in_common_formats(region):
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
        number = phonenumbers.example_number_for_type(region, kind)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        for text in (e164, national, international, "00" + e164[1:], "Tel: " + international):
            assert standardise_phone(text, region)[0] == e164, text


@settings(max_examples=200)
@given(st.text(max_size=30), st.sampled_from([None, "DE", "US"]))
def test_idempotent_and_never_raises(text, region):
    value = standardise_phone(text, region)[0]
    if value is not None:
        assert standardise_phone(value, region)[:2] == (value, "valid")
