import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate.cleanse.phone import phone_regions, standardise_phone, standardise_phones

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


def test_the_rows_own_country_wins_over_the_default():
    """A national number that is not valid in the row's country is invalid, not read as German."""
    assert standardise_phone("(555) 123-4567", "US", "DE")[:2] == (None, "invalid")
    assert standardise_phone("(555) 123-4567", None, "DE")[0] == "+495551234567"  # no country: the default


def test_a_french_row_reaches_the_overseas_departments_as_france_dials_them():
    """One numbering plan: dialled in France, 0696... is a mobile in Martinique, and back."""
    assert standardise_phone("06 96 12 34 56", "FR", "DE")[:2] == ("+596696123456", "fixed")
    assert standardise_phone("0690 98 76 54", "FR")[0] == "+590690987654"
    assert standardise_phone("01 45 67 89 01", "RE")[0] == "+33145678901"
    assert standardise_phone("06 12 34 56 78", "FR")[0] == "+33612345678"
    # phonenumbers' French patterns take in Martinique's landline block too: Martinique's it is
    assert standardise_phone("0596 71 23 45", "FR")[0] == "+596596712345"
    assert standardise_phone("02 35 71 23 45", "FR")[0] == "+33235712345"
    assert standardise_phone("0800 12 34 56", "FR")[0] == "+33800123456"  # national: France's


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("0011 44 20 7946 0958", "AU", "+442079460958"),  # Australia dials abroad with 0011
        ("810 49 30 1234567", "RU", "+49301234567"),
        ("008 62 21 5550 1234", "ID", "+622155501234"),  # 008 is Indonesian; +86 (China) it is not
        ("00182 2 3456 7890", "KR", "+82234567890"),  # Korea's 001, not +1
        ("0049 30 1234567", "US", "+49301234567"),  # 00, as most of the world dials abroad
    ],
)
def test_the_regions_own_international_prefix_comes_before_00(text, region, e164):
    assert standardise_phone(text, region)[0] == e164


def test_a_trunk_prefix_in_brackets_after_the_country_code_is_left_out():
    assert standardise_phone("+57 (0)310 1234567", "CO")[0] == "+573101234567"
    assert standardise_phone("(+57) (0)310 1234567", "CO")[0] == "+573101234567"
    assert standardise_phone("+39 (0)6 1234 5678")[0] == "+390612345678"  # Italy dials its 0


def test_digits_whose_plus_a_spreadsheet_dropped():
    """Germans write national numbers with a leading 0: 49... is the country code."""
    assert standardise_phone("4915201234567", "DE")[0] == "+4915201234567"
    assert standardise_phone("49 30 1234567", "DE")[0] == "+49301234567"
    assert standardise_phone("33 6 12 34 56 78", "FR")[0] == "+33612345678"


def test_ascension_and_tristan_da_cunha_belong_to_saint_helena():
    """Ascension (+247) and Tristan da Cunha (+290) have no ISO code of their own: SH."""
    assert standardise_phone("41234", "SH")[0] == "+24741234"  # valid in Ascension only
    assert standardise_phone("8123", "SH")[0] == "+2908123"  # Tristan da Cunha
    assert standardise_phone("+24741234")[4] == "SH"  # the country the number tells
    # a five-digit number valid in Saint Helena and in Ascension: not known
    assert standardise_phone("61234", "SH")[:2] == (None, "invalid")


def test_a_country_column_that_names_ascension_keeps_its_numbers():
    countries = pd.Series([None, None, "FR", None])
    texts = pd.Series(["AC", "Ascension Island", "France", None])
    regions = phone_regions(countries, texts)
    assert regions.tolist() == ["AC", "AC", "FR", None]
    out = standardise_phones(pd.Series(["62345", "40123", "01 42 68 53 00", None]), regions, "DE")
    assert out["value"].tolist()[:3] == ["+24762345", "+24740123", "+33142685300"]


def test_non_geographic_numbers_name_no_country():
    assert standardise_phone("+800 1234 5678")[4] is None


def test_notes_and_a_second_number_are_left_out():
    assert standardise_phone("030 1234567 (home)", "DE")[0] == "+49301234567"  # not 4663 for "home"
    assert standardise_phone("030 1234567 privat", "DE")[0] == "+49301234567"
    assert standardise_phone("Tel: 030 1234567 / Fax: 030 1234568", "DE")[0] == "+49301234567"
    assert standardise_phone("Tel./Fax: 030 1234567", "DE")[0] == "+49301234567"
    assert standardise_phone("1-800-FLOWERS", "US")[0] == "+18003569377"  # letters of the number itself
    # valid as 030 1234567 and as 030 1234567 4663 ("home" on a keypad): not known
    assert standardise_phone("030 1234567-home", "DE")[:2] == (None, "invalid")


def test_rfc_3966_extensions_and_digits_of_other_scripts():
    assert standardise_phone("tel:+1-212-555-0100;ext=12")[::5] == ("+12125550100", "12")
    assert standardise_phone("+٤٩ ٣٠ ١٢٣٤٥٦٧")[0] == "+49301234567"  # Arabic-Indic digits
    assert standardise_phone("+٢٤١ ٠٦ ٠٣ ١٢ ٣٤")[0] == "+24106031234"  # with its leading 0


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


PHONE_LIKE = st.lists(
    st.sampled_from([*"0123456789", " ", "-", ".", "/", "(", ")", "+", "(0)", "00", "x", "ext. "]),
    max_size=20,
).map("".join)


@settings(max_examples=300)
@given(PHONE_LIKE, st.sampled_from(["US", "FR", "SH", "KR", "AU"]), st.sampled_from(["DE", "US", "GB"]))
def test_a_rows_country_is_never_overruled_by_the_default(text, region, default):
    assert standardise_phone(text, region, default) == standardise_phone(text, region, None)


@settings(max_examples=200)
@given(st.one_of(st.text(max_size=30), PHONE_LIKE), st.sampled_from([None, "DE", "US", "FR", "SH"]))
def test_idempotent_and_never_raises(text, region):
    value = standardise_phone(text, region)[0]
    if value is not None:
        assert standardise_phone(value, region)[:2] == (value, "valid")
