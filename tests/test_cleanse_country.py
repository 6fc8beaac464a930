import unicodedata

import pandas as pd
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate.cleanse import country
from crmmigrate.cleanse.country import country_index, normalise_name, resolve_country, standardise_countries

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


#: Everyday short names in many languages (CLDR), not only official names.
SHORT_NAMES = [
    ("Rússland", "RU"),  # Icelandic
    ("Ujerumani", "DE"),  # Swahili
    ("Yr Almaen", "DE"),  # Welsh
    ("Føroyar", "FO"),  # Faroese
    ("Alemanya", "DE"),  # Catalan
    ("Holandsko", "NL"),  # Slovak, short form
    ("Reino Unido", "GB"),
    ("Estados Unidos", "US"),
    ("Vereinigte Staaten", "US"),
    ("Südafrika", "ZA"),
    ("Tanzanie", "TZ"),
    ("EUA", "US"),
    ("VAE", "AE"),
    ("RDC", "CD"),
    ("Congo (DRC)", "CD"),
]


@pytest.mark.parametrize(("text", "code"), SHORT_NAMES)
def test_everyday_names_in_many_languages(text, code):
    assert resolve_country(text) == code


#: What people's writing does to a name: case, accents, "&", "St.", hyphens, "The", qualifiers.
WRITINGS = [
    ("COTE D IVOIRE", "CI"),
    ("Cote dIvoire", "CI"),
    ("REPUBLIQUE DEMOCRATIQUE DU CONGO", "CD"),
    ("Sao Tome and Principe", "ST"),
    ("Foroyar", "FO"),  # ø written o
    ("TÜRKİYE", "TR"),
    ("Trinidad & Tobago", "TT"),
    ("Saint Kitts & Nevis", "KN"),
    ("St Vincent and the Grenadines", "VC"),
    ("Bosnia-Herzegovina", "BA"),
    ("The Bahamas", "BS"),
    ("Germany (Federal Republic)", "DE"),
    ("Russia (Federation)", "RU"),
    ("Iran (Islamic Republic of)", "IR"),
    ("Korea, South", "KR"),
    ("Korea (South)", "KR"),
    ("Korea, North", "KP"),
    ("Virgin Islands (British)", "VG"),
    ("Deutschland, Bundesrepublik", "DE"),
]


@pytest.mark.parametrize(("text", "code"), WRITINGS)
def test_everyday_writings(text, code):
    assert resolve_country(text) == code


#: Names with a qualifier after a comma or in brackets, as the UN and the World Bank write them:
#: the qualifier may be the very thing that tells two countries apart.
QUALIFIED = [
    ("Congo, Dem. Rep.", "CD"),
    ("Congo, Rep.", "CG"),
    ("Korea, Dem. People's Rep.", "KP"),
    ("Korea, Rep.", "KR"),
    ("Egypt, Arab Rep.", "EG"),
    ("Venezuela, RB", "VE"),
    ("Gambia, The", "GM"),
    ("Lao PDR", "LA"),
    ("Hong Kong SAR, China", "HK"),
    ("China, Macao Special Administrative Region", "MO"),
    ("Congo (Democratic Republic of the)", "CD"),
    ("Bolivia (Plurinational State of)", "BO"),
    ("Myanmar (Burma)", "MM"),
    ("Spain (Canary Islands)", "ES"),
]


@pytest.mark.parametrize(("text", "code"), QUALIFIED)
def test_qualified_names(text, code):
    assert resolve_country(text) == code


@pytest.mark.parametrize("text", ["Paris, France", "USA (Texas)", "Congo (Kinshasa, Brazzaville)"])
def test_a_qualifier_that_says_something_else_leaves_it_unknown(text):
    assert resolve_country(text) is None


#: Better unknown than wrong: names that mean different countries in different languages or
#: writings, codes that are also names, near-misses between two countries, tiny strings, words
#: that are not countries.
UNKNOWN = [
    "Virgin Islands",  # British or U.S.
    "Islas Vírgenes",
    "Koreya",  # North or South
    "Nigeri",  # one letter from Niger and from Nigeria
    "Indai",  # too short to guess
    "Manama",  # a capital one letter from Panama
    "European Union",  # CLDR names it, but it is not a country
    "Eurozone",
    "United Nations",
    "Outlying Oceania",
    "Atlantis",
]


@pytest.mark.parametrize("text", UNKNOWN)
def test_unknown_rather_than_wrong(text):
    assert resolve_country(text) is None


def test_a_code_in_capitals_is_a_code_and_a_mixed_case_word_may_be_a_name():
    assert resolve_country("NGA") == "NG"  # Nigeria's alpha-3
    assert resolve_country("nga") is None  # also Vietnamese for Russia
    assert resolve_country("deu") == "DE"


def test_territories_outside_iso_are_named_as_the_country_they_belong_to():
    assert resolve_country("Canary Islands") == "ES"
    assert resolve_country("Ascension Island") == "SH"
    assert resolve_country("Kosovo") == "XK"


def test_one_typo_is_fixed_when_only_one_country_is_that_near():
    assert resolve_country("Tysklandd") == "DE"
    assert resolve_country("Sveriges") == "SE"


def test_ambiguous_name_is_invalid_and_kept_raw():
    out = standardise_countries(pd.Series(["Virgin Islands"]))
    assert out["value"].tolist() == [None]
    assert out["status"].tolist() == ["invalid"]


def test_exact_index_for_other_modules():
    assert country_index().get(normalise_name("Deutschland")) == "DE"
    assert country_index().get(normalise_name("Virgin Islands")) is None


def test_statuses():
    out = standardise_countries(pd.Series(["DE", "Deutschland", "Atlantis", None]))
    assert out["value"].fillna("").tolist() == ["DE", "DE", "", ""]
    assert out["status"].tolist() == ["valid", "fixed", "invalid", "missing"]


@settings(deadline=None)  # the first example may load the index
@given(st.text(max_size=40))
def test_idempotent_and_never_raises(text):
    first = standardise_countries(pd.Series([text]))
    value = first["value"].iloc[0]
    if value is not None:
        again = standardise_countries(pd.Series([value]))
        assert again["value"].iloc[0] == value and again["status"].iloc[0] == "valid"


@pytest.fixture
def small_sources(monkeypatch):
    """The index built from ISO's English names and one CLDR name (quick), then the real one again."""
    monkeypatch.setattr(country, "_cldr", lambda: [("Niemcy", "DE", country.CLDR)])
    monkeypatch.setattr(country, "_translated", lambda: [])
    _forget_the_index()
    yield
    _forget_the_index()


def _forget_the_index():
    for cached in (country.index, country._fuzzy_keys, country._resolve):
        cached.cache_clear()


def test_the_index_is_built_once_and_then_read_from_the_cache(tmp_path, monkeypatch, small_sources):
    monkeypatch.setenv("CRMMIGRATE_CACHE_DIR", str(tmp_path))
    path = country._cache_path()
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2", encoding="utf-8")  # a broken file is built again, not an error
    built = country.index()
    assert built.lookup("Niemcy") == ("DE",)
    country.index.cache_clear()
    monkeypatch.setattr(country, "_cldr", lambda: pytest.fail("built again"))
    assert country.index() == built


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch, small_sources):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CRMMIGRATE_CACHE_DIR", str(blocker))
    assert country.index().lookup("Niemcy") == ("DE",)


def _plain(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


ISO_NAMES = sorted({c.name for c in pycountry.countries})


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ISO_NAMES))
def test_case_and_accents_do_not_change_the_answer(name):
    code = resolve_country(name)
    assert resolve_country(name.upper()) == code
    assert resolve_country(name.lower()) == code
    assert resolve_country(_plain(name)) == code
