import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.cleanse.region import resolve_region, standardise_region


@pytest.mark.parametrize(
    ("text", "country", "code"),
    [
        ("CA", "US", "US-CA"),
        ("California", "US", "US-CA"),
        ("Bayern", "DE", "DE-BY"),
        ("Bavaria", "DE", "DE-BY"),
        ("NSW", "AU", "AU-NSW"),
        ("Québec", "CA", "CA-QC"),
        ("SP", "BR", "BR-SP"),
        ("Karnataka", "IN", "IN-KA"),
        ("ZH", "CH", "CH-ZH"),
        ("US-CA", None, "US-CA"),
        ("Atlantis", "DE", None),
    ],
)
def test_resolve(text, country, code):
    assert resolve_region(text, country) == code


def test_unresolved_text_is_kept():
    assert standardise_region("Nowhere Land", "DE") == ("Nowhere Land", "valid")


@given(st.text(max_size=20), st.sampled_from([None, "US", "DE"]))
def test_idempotent_and_never_raises(text, country):
    value, _ = standardise_region(text.strip() or None, country)
    if value is not None:
        assert standardise_region(value, country) == (value, "valid")
