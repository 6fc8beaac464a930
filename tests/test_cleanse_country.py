import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.cleanse.country import resolve_country, standardise_countries

CASES = [
    ("DE", "DE"),
    ("de", "DE"),
    ("DEU", "DE"),
    ("276", "DE"),
    ("Germany", "DE"),
    ("Deutschland", "DE"),
    ("Österreich", "AT"),
    ("España", "ES"),
    ("Nederland", "NL"),
    ("Suisse", "CH"),
    ("日本", "JP"),
    ("Россия", "RU"),
    ("UK", "GB"),
    ("USA", "US"),
    ("U.S.A.", "US"),
    ("Holland", "NL"),
    ("Ivory Coast", "CI"),
    ("Côte d’Ivoire", "CI"),
    ("Burma", "MM"),
    ("Czechia", "CZ"),
    ("Korea, Republic of", "KR"),
    ("Viet Nam", "VN"),
    ("the Netherlands", "NL"),
    ("Türkiye", "TR"),
    ("Brasil", "BR"),
    ("Ελλάδα", "GR"),
    ("Polska", "PL"),
    ("Sverige", "SE"),
    ("Magyarország", "HU"),
    ("Germny", "DE"),
    ("Swizerland", "CH"),
    ("Untied States", "US"),
    ("Austrailia", "AU"),
    ("Niger", "NE"),
    ("Nigeria", "NG"),
    ("Austria", "AT"),
    ("Australia", "AU"),
]


@pytest.mark.parametrize(("text", "code"), CASES)
def test_resolves(text, code):
    assert resolve_country(text) == code


def test_statuses():
    out = standardise_countries(pd.Series(["DE", "Deutschland", "Atlantis", None]))
    assert out["value"].fillna("").tolist() == ["DE", "DE", "", ""]
    assert out["status"].tolist() == ["valid", "fixed", "invalid", "missing"]


@given(st.text(max_size=40))
def test_idempotent_and_never_raises(text):
    first = standardise_countries(pd.Series([text]))
    value = first["value"].iloc[0]
    if value is not None:
        again = standardise_countries(pd.Series([value]))
        assert again["value"].iloc[0] == value and again["status"].iloc[0] == "valid"
