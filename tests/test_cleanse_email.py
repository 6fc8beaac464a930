import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.cleanse.email import standardise_email


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("John.Doe@Example.COM", ("John.Doe@example.com", "fixed", False)),
        ("mailto:jd@x.de", ("jd@x.de", "fixed", False)),
        ('"John Doe" <John@GMAIL.com>', ("John@gmail.com", "fixed", False)),
        ("a@gmial.com", ("a@gmail.com", "fixed", False)),
        ("a@hotmial.com", ("a@hotmail.com", "fixed", False)),
        ("a@gmail.con", ("a@gmail.com", "fixed", False)),
        ("a@gmx.at", ("a@gmx.at", "valid", False)),
        ("n/a", (None, "missing", False)),
        ("-", (None, "missing", False)),
        ("noemail@x.com", (None, "missing", False)),
        ("info@firma.de", ("info@firma.de", "valid", True)),
        ("Sales+eu@acme.com", ("Sales+eu@acme.com", "valid", True)),
        ("not an email", (None, "invalid", False)),
        ("a@b", (None, "invalid", False)),
        ("x@müller.de", ("x@müller.de", "valid", False)),
    ],
)
def test_examples(text, expected):
    assert standardise_email(text) == expected


def test_typo_fixing_can_be_switched_off():
    assert standardise_email("a@gmial.com", fix_typos=False)[0] == "a@gmial.com"


@given(st.one_of(st.text(max_size=30), st.emails()))
def test_idempotent_and_never_raises(text):
    value, _, _ = standardise_email(text)
    if value is not None:
        assert standardise_email(value)[:2] == (value, "valid")


def test_addresses_longer_than_rfc_5321_allows_are_invalid() -> None:
    from crmmigrate.cleanse.email import standardise_email

    assert standardise_email("a" * 65 + "@example.com")[1] == "invalid"
    assert standardise_email("a" * 64 + "@example.com")[1] == "valid"
    long_domain = ".".join(label * 60 for label in "bcdef") + ".com"  # 310 characters
    assert standardise_email("a@" + long_domain)[1] == "invalid"
