import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate.cleanse.address import parse_addresses, parse_one_line

# (one line, country hint, expected (street, city, postal code, country))
CASES = [
    (
        "123 Main St Apt 4, Springfield, IL 62704, USA",
        None,
        ("123 Main St Apt 4", "Springfield", "62704", "US"),
    ),
    (
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        None,
        ("1600 Pennsylvania Ave NW", "Washington", "20500", "US"),
    ),
    ("10 Downing Street, London SW1A 2AA", None, ("10 Downing Street", "London", "SW1A 2AA", "GB")),
    ("24 Sussex Drive, Ottawa, ON K1M 1M4", "CA", ("24 Sussex Drive", "Ottawa", "K1M 1M4", "CA")),
    ("1 rue de Rivoli, 75001 Paris", "FR", ("1 rue de Rivoli", "Paris", "75001", "FR")),
    ("Hauptstraße 12, 10115 Berlin, Deutschland", None, ("Hauptstraße 12", "Berlin", "10115", "DE")),
    ("Damrak 1, 1012 LG Amsterdam, Netherlands", None, ("Damrak 1", "Amsterdam", "1012 LG", "NL")),
    ("ul. Marszałkowska 10, 00-590 Warszawa", "PL", ("ul. Marszałkowska 10", "Warszawa", "00-590", "PL")),
    ("Bahnhofstrasse 1, 8001 Zürich, Switzerland", None, ("Bahnhofstrasse 1", "Zürich", "8001", "CH")),
    ("Calle Mayor 5, 28013 Madrid, España", None, ("Calle Mayor 5", "Madrid", "28013", "ES")),
    ("Via Roma 10, 00184 Roma RM, Italia", None, ("Via Roma 10", "Roma", "00184", "IT")),
    ("George St 100, Sydney NSW 2000, Australia", None, ("George St 100", "Sydney", "2000", "AU")),
    ("12 Queen Street, Auckland 1010, New Zealand", None, ("12 Queen Street", "Auckland", "1010", "NZ")),
    ("〒100-0001 東京都千代田区千代田1-1", None, ("千代田1-1", "千代田区", "100-0001", "JP")),
    ("12 MG Road, Bengaluru, Karnataka 560001, India", None, ("12 MG Road", "Bengaluru", "560001", "IN")),
    ("1 Raffles Place, Singapore 048616", None, ("1 Raffles Place", "Singapore", "048616", "SG")),
    ("ул. Тверская, д. 7, Москва, 125009, Россия", None, ("ул. Тверская, д. 7", "Москва", "125009", "RU")),
    ("Storgatan 1, 111 22 Stockholm, Sweden", None, ("Storgatan 1", "Stockholm", "111 22", "SE")),
    ("Rua Augusta 1, 1100-048 Lisboa, Portugal", None, ("Rua Augusta 1", "Lisboa", "1100-048", "PT")),
    (
        "Istiklal Cd. 10, 34430 Beyoğlu/İstanbul, Türkiye",
        None,
        ("Istiklal Cd. 10", "Beyoğlu/İstanbul", "34430", "TR"),
    ),
    (
        "Av. Reforma 222, 06600 Ciudad de México, CDMX, México",
        None,
        ("Av. Reforma 222", "Ciudad de México", "06600", "MX"),
    ),
]


@pytest.mark.parametrize(("line", "hint", "expected"), CASES)
def test_one_line_addresses(line, hint, expected):
    found = parse_one_line(line, hint)
    assert found is not None
    assert (found.address_line1, found.city, found.postal_code, found.country or hint) == expected


def test_region_beside_the_postal_code():
    assert parse_one_line("123 Main St, Springfield, IL 62704", "US").region == "US-IL"
    assert parse_one_line("Av. Paulista 1000, São Paulo - SP, 01310-100, Brasil").region == "BR-SP"


def test_plain_street_is_not_parsed():
    out = parse_addresses(pd.Series(["Hauptstraße 12", None]), pd.Series(["DE", None]))
    assert out.isna().all().all()


@settings(deadline=None)
@given(st.text(max_size=60), st.sampled_from([None, "DE", "US", "GB", "JP"]))
def test_never_raises(text, country):
    parse_one_line(text, country)


def test_street_and_city_without_postal_code():
    found = parse_one_line("Via della Repubblica 4, Torino", "IT")
    assert (found.address_line1, found.city, found.postal_code) == ("Via della Repubblica 4", "Torino", None)
    assert parse_one_line("Hauptstraße 5, Hinterhaus", "DE") is None


def test_default_country_does_not_hide_a_foreign_address():
    found = parse_one_line("3 Manor Road, Leeds LS1 1BD", "DE")
    assert (found.city, found.postal_code, found.country) == ("Leeds", "LS1 1BD", "GB")
