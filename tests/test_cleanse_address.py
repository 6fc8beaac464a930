import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate.cleanse.address import looks_like_one_line, parse_addresses, parse_one_line
from crmmigrate.cleanse.postal import postal_first

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


# Failure classes of issue 13, each with examples of our own.
MULTI_LINE = [
    # the code and the town on the last line, the street above: most of Europe
    ("Lindenweg 4\n04109 Leipzig", "DE", ("Lindenweg 4", "Leipzig", "04109")),
    # a company line above the street stays with the street
    ("Muster GmbH\nLindenweg 4\n04109 Leipzig", "DE", ("Muster GmbH, Lindenweg 4", "Leipzig", "04109")),
    # the town, then the code on a line of its own (GB)
    ("7 Mill Lane\nYork\nYO1 7HH", "GB", ("7 Mill Lane", "York", "YO1 7HH")),
    # a country without a hand-written pattern: its code from Google's address data (Kuwait)
    ("Gulf Road\n15000 Kuwait City", "KW", ("Gulf Road", "Kuwait City", "15000")),
    # the code on a line of its own, before the town (Ecuador writes "%Z%n%C")
    ("Avenida Amazonas 100\n170150\nQuito", "EC", ("Avenida Amazonas 100", "Quito", "170150")),
    # the town and code first, the street after it (written big-to-small)
    ("1052 Budapest\nVáci utca 9.", "HU", ("Váci utca 9.", "Budapest", "1052")),
]


@pytest.mark.parametrize(("text", "hint", "expected"), MULTI_LINE)
def test_multi_line_addresses_are_parsed_by_their_lines(text, hint, expected):
    found = parse_one_line(text, hint)
    assert (found.address_line1, found.city, found.postal_code) == expected


def test_a_country_without_postal_codes_takes_the_last_line_as_the_town():
    found = parse_one_line("Corniche Road 12\nAl Khalidiya\nAbu Dhabi", "AE")
    assert (found.address_line1, found.city, found.postal_code) == (
        "Corniche Road 12, Al Khalidiya",
        "Abu Dhabi",
        None,
    )
    found = parse_one_line("Harbour Bank\nMarket Street\nKingstown", "VC")
    assert (found.address_line1, found.city) == ("Harbour Bank, Market Street", "Kingstown")


def test_a_region_after_the_town_is_the_region_not_the_town():
    found = parse_one_line("Koregaon Park\nPune\nMaharashtra", "IN")
    assert (found.address_line1, found.city, found.region) == ("Koregaon Park", "Pune", "IN-MH")
    found = parse_one_line("12 Main Street\nKilkenny\nCounty Kilkenny", "IE")
    assert (found.city, found.region) == ("Kilkenny", "IE-KK")


def test_a_county_before_the_postal_code_is_not_the_town():
    found = parse_one_line("3 Dale Street, Liverpool, Merseyside L2 2DH", "GB")
    assert (found.address_line1, found.city, found.postal_code) == ("3 Dale Street", "Liverpool", "L2 2DH")
    found = parse_one_line("14 Castle Street\nHertford, Hertfordshire\nSG14 1HR", "GB")
    assert (found.address_line1, found.city) == ("14 Castle Street", "Hertford")


def test_a_state_written_with_dots_beside_the_code():
    found = parse_one_line("410 Atlantic Ave, Brooklyn, N.Y., 11217", "US")
    assert (found.address_line1, found.city, found.region, found.postal_code) == (
        "410 Atlantic Ave",
        "Brooklyn",
        "US-NY",
        "11217",
    )


def test_only_a_postal_code_and_a_town():
    found = parse_one_line("04109 Leipzig", "DE")
    assert (found.address_line1, found.city, found.postal_code) == (None, "Leipzig", "04109")
    assert parse_one_line("Lindenweg 1234", "AT") is None  # a street with a number, not a code and a town
    assert parse_one_line("Lindenweg 12", "DE") is None


def test_a_town_with_its_district_number():
    found = parse_one_line("5 Main Street\nDublin 2\nD02 X285", "IE")
    assert (found.city, found.postal_code) == ("Dublin 2", "D02 X285")


def test_two_parts_without_a_code_are_one_street():
    assert parse_one_line("Flat 3, Rose Court", "GB") is None
    assert parse_one_line("Moor Lane, Barbican", "GB") is None


@settings(deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5),
    st.sampled_from([None, "DE", "GB", "KW"]),
)
def test_never_raises_on_lines(lines, country):
    parse_one_line("\n".join(lines), country)


@pytest.mark.parametrize(("text", "hint", "expected"), MULTI_LINE)
def test_a_parsed_address_parses_again_to_the_same(text, hint, expected):
    found = parse_one_line(text, hint)
    lines = [found.address_line1] if found.address_line1 else []
    first = postal_first(hint)
    lines.append(f"{found.postal_code} {found.city}" if first else f"{found.city}\n{found.postal_code}")
    again = parse_one_line("\n".join(lines), hint)
    assert (again.address_line1, again.city, again.postal_code) == (
        found.address_line1,
        found.city,
        found.postal_code,
    )


def test_a_code_the_country_pattern_does_not_know_on_the_last_line():
    found = parse_one_line("Al-Quds Street 5\n97000 Nablus", "PS")
    assert (found.address_line1, found.city, found.postal_code) == ("Al-Quds Street 5", "Nablus", "97000")


def test_a_street_written_with_a_dash_is_kept_whole():
    found = parse_one_line("Avenida 2 - Calle 5\n10101 San José", "CR")
    assert (found.address_line1, found.city) == ("Avenida 2 - Calle 5", "San José")


def test_an_abbreviated_region_between_town_and_code():
    found = parse_one_line("Avenida Winston Churchill 10\nSanto Domingo, DN\n10148", "DO")
    assert (found.address_line1, found.city, found.postal_code) == (
        "Avenida Winston Churchill 10",
        "Santo Domingo",
        "10148",
    )


def test_a_country_name_where_the_town_is_expected():
    found = parse_one_line("12 Harbour Road\nCockburn Town\nTurks and Caicos Islands, TKCA 1ZZ", "TC")
    assert (found.address_line1, found.city, found.postal_code) == (
        "12 Harbour Road",
        "Cockburn Town",
        "TKCA 1ZZ",
    )


def test_a_region_after_the_code():
    found = parse_one_line("22 Ayala Avenue, Makati\n1226 Metro Manila", "PH")
    assert (found.address_line1, found.city, found.postal_code) == ("22 Ayala Avenue", "Makati", "1226")


def test_saint_in_a_town_is_not_a_street():
    found = parse_one_line("55 rue Principale\nSt-Jérôme, J7Z 1X5", "CA")
    assert (found.address_line1, found.city, found.postal_code) == (
        "55 rue Principale",
        "St-Jérôme",
        "J7Z 1X5",
    )


def test_a_state_named_like_a_country_and_a_country_that_is_a_region():
    found = parse_one_line("55 Peachtree Street\nAtlanta\nGeorgia", "US")
    assert (found.city, found.region, found.country) == ("Atlanta", "US-GA", None)
    found = parse_one_line("Landhuis 5\nWillemstad\nCuraçao", "NL")
    assert (found.address_line1, found.city, found.country) == ("Landhuis 5", "Willemstad", "CW")


@pytest.mark.parametrize(
    ("line", "hint", "expected"),
    [
        ("123 Main St # 456 Oakland CA 94789", "US", ("123 Main St # 456", "Oakland", "US-CA", "94789")),
        (
            "77 Elm Ave Apt 3B Mountain View CA 94041",
            None,
            ("77 Elm Ave Apt 3B", "Mountain View", "US-CA", "94041"),
        ),
        ("PO Box 12 Boise ID 83701", "US", ("PO Box 12", "Boise", "US-ID", "83701")),
        ("12 High Street St Albans AL1 3JE", "GB", ("12 High Street", "St Albans", None, "AL1 3JE")),
        ("8 King St W Toronto ON M5H 1A1", "CA", ("8 King St W", "Toronto", "CA-ON", "M5H 1A1")),
    ],
)
def test_an_address_without_commas(line, hint, expected):
    found = parse_one_line(line, hint)
    assert (found.address_line1, found.city, found.region, found.postal_code) == expected


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        # a metropolitan city opens the address: it is the town
        (
            "부산광역시 해운대구 해운대로 570\n해운대 호텔",
            "KR",
            ("해운대구 해운대로 570, 해운대 호텔", "부산광역시", "KR-26", None),
        ),
        # a province, then its town
        ("경기도 수원시 팔달구 효원로 1", "KR", ("팔달구 효원로 1", "수원시", "KR-41", None)),
        # in Latin letters, with the old six-digit code and the country first
        (
            "South Korea\nBusan Haeundae-gu Haeundae-ro 570\n612-020",
            None,
            ("Haeundae-gu Haeundae-ro 570", "Busan", "KR-26", "612-020"),
        ),
        # China: the code and country first, the municipality, then the street lines
        (
            "100010 China\nBeijing\nDongcheng District\nWangfujing Street 138号",
            "CN",
            ("Dongcheng District, Wangfujing Street 138号", "Beijing", "CN-11", "100010"),
        ),
    ],
)
def test_addresses_written_largest_first(text, hint, expected):
    found = parse_one_line(text, hint)
    assert (found.address_line1, found.city, found.region, found.postal_code) == expected


def test_an_address_in_korea_written_smallest_first():
    found = parse_one_line("123 Teheran-ro, Gangnam-gu, Seoul 06234", "KR")
    assert (found.address_line1, found.city, found.postal_code) == (
        "123 Teheran-ro, Gangnam-gu",
        "Seoul",
        "06234",
    )


def test_a_town_named_like_a_country_in_some_language_stays_the_town():
    found = parse_one_line("شارع الملك حسين 5\n11118 عمان", "JO")  # Amman, written like Oman
    assert (found.city, found.postal_code) == ("عمان", "11118")


def test_a_numbered_street_above_the_code_line_is_not_a_town_district():
    found = parse_one_line("Strada Lunga 6, 500035 Brașov", "RO")
    assert (found.address_line1, found.city, found.postal_code) == ("Strada Lunga 6", "Brașov", "500035")


def test_codes_of_other_forms_beside_an_abbreviation_or_before_the_town():
    found = parse_one_line("Lagoon Road 4\nMajuro, MH 96960", "MH")
    assert (found.address_line1, found.city, found.postal_code) == ("Lagoon Road 4", "Majuro", "96960")
    found = parse_one_line("Calle Arce 100\n1101\nSan Salvador\nDepartamento de San Salvador", "SV")
    assert (found.address_line1, found.city, found.postal_code) == ("Calle Arce 100", "San Salvador", "1101")


def test_an_overseas_territory_named_before_its_country():
    found = parse_one_line("Rue de la Mairie\n98600 Mata-Utu\nWallis-et-Futuna, France", None)
    assert (found.city, found.postal_code, found.country) == ("Mata-Utu", "98600", "WF")


def test_old_and_new_vietnamese_codes():
    assert parse_one_line("12 Tran Phu, Nha Trang, Khanh Hoa province 650000", "VN").postal_code == "650000"
    assert parse_one_line("12 Tran Phu, Nha Trang, Khanh Hoa province 57000", "VN").city == "Nha Trang"


STREET_NAMES = st.sampled_from(["Lindenweg", "Mill Lane", "Rue Haute", "Via Roma", "Main Street"])
TOWNS = st.sampled_from(["Leipzig", "York", "Lyon", "Torino", "Springfield", "Bad Honnef", "Saint-Malo"])
LAYOUTS = {  # country: (a code, how its town line is written)
    "DE": ("53604", "{code} {town}"),
    "FR": ("69002", "{code} {town}"),
    "GB": ("YO1 7HH", "{town}\n{code}"),
    "US": ("62704", "{town}, IL {code}"),
    "KW": ("13009", "{code} {town}"),
}


@settings(deadline=None, max_examples=60)
@given(STREET_NAMES, st.integers(1, 999), TOWNS, st.sampled_from(sorted(LAYOUTS)), st.booleans())
def test_a_written_address_parses_back_to_its_parts(street, number, town, country, one_line):
    code, town_line = LAYOUTS[country]
    text = f"{number} {street}\n" + town_line.format(code=code, town=town)
    found = parse_one_line(text.replace("\n", ", ") if one_line else text, country)
    assert (found.address_line1, found.city, found.postal_code) == (f"{number} {street}", town, code)


def test_a_territory_named_before_its_sovereign_and_a_state_before_its_country():
    found = parse_one_line("2 Ross Road\nStanley\nFalkland Islands\nUnited Kingdom")
    assert (found.address_line1, found.city, found.country) == ("2 Ross Road", "Stanley", "FK")
    found = parse_one_line("55 Peachtree Street\nAtlanta\nGeorgia\nUSA")
    assert (found.city, found.region, found.country) == ("Atlanta", "US-GA", "US")


def test_korean_script_without_a_country():
    found = parse_one_line("부산광역시 해운대구 해운대로 570")
    assert (found.city, found.country) == ("부산광역시", "KR")


def test_a_floor_position_is_not_a_town():
    assert parse_one_line("Hauptstraße 5, 2. OG, links", "DE") is None


def test_a_neighbourhood_after_the_town():
    found = parse_one_line("Avenida Central 5\nHeredia, Barrio Fátima\n40101", "CR")
    assert (found.city, found.postal_code) == ("Heredia", "40101")
    assert found.address_line1 == "Avenida Central 5, Barrio Fátima"


def test_a_town_ending_in_its_country_name():
    found = parse_one_line("Calle 50 y Calle 53\n0816 Ciudad de Panamá", "PA")
    assert (found.city, found.postal_code) == ("Ciudad de Panamá", "0816")


def test_the_street_below_the_town_line_under_a_name_line():
    found = parse_one_line("Nurly Tau Centre\n050000 Almaty\nAl-Farabi Avenue, 17", "KZ")
    assert (found.city, found.postal_code) == ("Almaty", "050000")
    assert found.address_line1 == "Nurly Tau Centre, Al-Farabi Avenue, 17"


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("北京市东城区王府井大街138号", "CN", ("东城区王府井大街138号", "北京市", "CN-11", None)),
        (
            "215021 江苏省苏州市工业园区星湖街328号",
            None,
            ("工业园区星湖街328号", "苏州市", "CN-32", "215021"),
        ),
        ("東京都千代田区丸の内1-9-1", "JP", ("丸の内1-9-1", "千代田区", "JP-13", None)),
    ],
)
def test_chinese_and_japanese_written_without_spaces(text, hint, expected):
    found = parse_one_line(text, hint)
    assert (found.address_line1, found.city, found.region, found.postal_code) == expected


def test_a_unit_or_the_town_centre_is_not_a_town():
    assert parse_one_line("Rua Augusta 100, Apto 12, Centro", "BR") is None
    assert parse_one_line("Rua Augusta 100, Centro, Belo Horizonte - MG", "BR").city == "Belo Horizonte"


def test_which_values_are_worth_parsing():
    assert looks_like_one_line("99988 Heyerode") and looks_like_one_line("Hilton PE28 9QA")
    assert looks_like_one_line("Gontardstraße 7\n10178 Berlin")
    assert not looks_like_one_line("Hauptstraße 12") and not looks_like_one_line("12 High St")


def test_a_town_and_a_code_with_letters_on_one_line():
    found = parse_one_line("Hilton PE28 9QA", "GB")
    assert (found.address_line1, found.city, found.postal_code) == (None, "Hilton", "PE28 9QA")
