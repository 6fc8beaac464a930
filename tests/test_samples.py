"""Sample legacy exports: realistic files, reproducible, with a ground truth for every row."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import OSA, Levenshtein
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import load_config
from crmmigrate.samples import FILES, GROUND_TRUTH, generate
from crmmigrate.samples.generate import salesforce_id
from crmmigrate.samples.locales import reference
from crmmigrate.samples.phones import PhoneBook, is_valid
from crmmigrate.samples.population import Population
from crmmigrate.samples.text import cp1252_safe, german_fold, has_accents, strip_accents, typo

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "samples"
SHIPPED = {"customers": 220, "seed": 42}  # how samples/ was made; see test_the_shipped_samples_...
SALESFORCE_HEADER = (
    "Id,Salutation,FirstName,LastName,Email,Phone,MobilePhone,MailingStreet,MailingCity,MailingState,"
    "MailingPostalCode,MailingCountry,Birthdate,CreatedDate,LastModifiedDate"
)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):
    return generate(2000, tmp_path_factory.mktemp("samples"), seed=7)


def read(made, source: str) -> pd.DataFrame:
    if source == "erp":
        return pd.read_csv(made.files["erp"], sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    return pd.read_csv(made.files[source], dtype=str, keep_default_na=False)


def truth(made) -> pd.DataFrame:
    return pd.read_csv(made.files["ground_truth"], dtype={"source_key": str})


# --- reproducible, complete -----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_files_and_another_seed_others(tmp_path: Path) -> None:
    a = generate(300, tmp_path / "a", seed=1)
    b = generate(300, tmp_path / "b", seed=1)
    c = generate(300, tmp_path / "c", seed=2)
    for name in [*FILES.values(), GROUND_TRUTH]:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes()
    assert (a.out_dir / GROUND_TRUTH).read_bytes() != (c.out_dir / GROUND_TRUTH).read_bytes()


def test_the_counts_add_up(made) -> None:
    gt = truth(made)
    assert made.customers == 2000 == gt["person_id"].nunique()
    for source in FILES:
        assert len(read(made, source)) == made.rows[source] == (gt["source"] == source).sum()
    assert made.total_rows == len(gt)
    assert 1.2 < made.total_rows / made.customers < 1.5


def test_every_row_has_its_ground_truth(made) -> None:
    gt = truth(made)
    keys = {"salesforce": "Id", "webshop": "customer_id", "erp": "KUNDENNR"}
    for source, key in keys.items():
        rows = gt[gt["source"] == source]
        assert list(rows["source_row"]) == list(range(1, made.rows[source] + 1))
        assert list(rows["source_key"]) == list(read(made, source)[key])
        assert read(made, source)[key].is_unique


def test_a_quoted_newline_is_still_one_record(made) -> None:
    sf = read(made, "salesforce")
    assert sf["MailingStreet"].str.contains("\n").any()
    assert len(sf) == made.rows["salesforce"]


# --- duplicates and households -----------------------------------------------------------------


def test_about_a_third_of_customers_have_duplicates_within_and_across_sources(made) -> None:
    gt = truth(made)
    per_person = gt.groupby("person_id")["source"].agg(list)
    assert 0.25 <= (per_person.str.len() > 1).mean() <= 0.35
    assert made.duplicated == (per_person.str.len() > 1).sum()
    across = per_person.map(lambda s: len(set(s)) > 1).sum()
    within = per_person.map(lambda s: len(set(s)) < len(s)).sum()
    assert across > 300 and within > 50
    assert per_person.map(lambda s: len(set(s)) == 3).sum() > 30  # in the CRM, the shop and the ERP


def test_duplicates_differ_the_way_real_ones_do(made) -> None:
    """A duplicate in Salesforce keeps the person recognisable but rarely identical."""
    sf = read(made, "salesforce").assign(
        person=truth(made).query("source == 'salesforce'")["person_id"].values
    )
    twice = sf[sf["person"].duplicated(keep=False)].groupby("person")
    changed = Counter()
    for _, rows in twice:
        a, b = rows.iloc[0], rows.iloc[1]
        for field in ("FirstName", "LastName", "Email", "MailingStreet"):
            changed[field] += a[field] != b[field]
        if a["FirstName"] != b["FirstName"] and a["FirstName"].lower() != b["FirstName"].lower():
            changed["first name edits"] += Levenshtein.distance(a["FirstName"], b["FirstName"]) == 1
    assert len(twice) > 20
    assert all(changed[f] > 0 for f in ("FirstName", "LastName", "Email", "MailingStreet"))


def test_nicknames_accent_folding_and_swapped_names_occur(made) -> None:
    gt = truth(made)
    sf = read(made, "salesforce").assign(person=gt.query("source == 'salesforce'")["person_id"].values)
    shop = read(made, "webshop").assign(person=gt.query("source == 'webshop'")["person_id"].values)
    nick = reference().nicknames
    pairs = sf.merge(shop, on="person")
    names = list(zip(pairs["FirstName"], pairs["LastName"], pairs["name"], strict=True))
    assert any(any(n in shop_name.split() for n in nick.get(first, ())) for first, _, shop_name in names)
    accented = [(last.lower(), shop_name.lower()) for _, last, shop_name in names if has_accents(last)]
    assert any(
        last not in shop_name and (strip_accents(last) in shop_name or german_fold(last) in shop_name)
        for last, shop_name in accented
    )
    assert any(shop_name.startswith(f"{last}, ") for first, last, shop_name in names)


def test_households_share_an_address_and_phone_but_are_different_people() -> None:
    people = Population(reference()).draw(random.Random(3), 1, 3000)
    homes: dict[str, list[dict]] = {}
    for p in people:
        if p["household"]:
            homes.setdefault(p["household"], []).append(p)
    assert 0.08 < sum(len(h) for h in homes.values()) / len(people) < 0.35
    twins = 0
    for members in homes.values():
        assert len({m["pid"] for m in members}) == len(members) >= 2
        assert len({(m["street"], m["number"], m["postcode"]) for m in members}) == 1
        family = [m for m in members if m["last"] == members[0]["last"]]
        if len(family) == len(members):
            assert len({m["first"] for m in members}) == len(members)  # nobody is named like a sibling
            twins += len({m["dob"] for m in members}) < len(members)
    assert twins >= 3


def test_households_show_in_the_exports_as_shared_landlines_of_different_people(made) -> None:
    gt = truth(made)
    sf = read(made, "salesforce").assign(person=gt.query("source == 'salesforce'")["person_id"].values)
    sf = sf[sf["Phone"] != ""]
    digits = sf["Phone"].str.replace(r"\D", "", regex=True).str[-8:]
    shared = sf.groupby(digits)["person"].nunique()
    assert (shared > 1).sum() >= 5


def test_companies_are_erp_only_with_the_names_left_empty(made) -> None:
    erp = read(made, "erp")
    companies = erp[(erp["FIRMA"] != "") & (erp["NAME1"] == "")]
    assert len(companies) > 20
    assert (companies["VORNAME"] == "").all() and (companies["GEBURTSDATUM"] == "").all()
    assert ((erp["FIRMA"] != "") & (erp["NAME1"] != "")).any()  # and some people with their employer


# --- what each system's file looks like -----------------------------------------------------------


def test_salesforce_is_a_data_loader_export(made) -> None:
    text = made.files["salesforce"].read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(f'"{h}"' for h in SALESFORCE_HEADER.split(","))
    sf = read(made, "salesforce")
    assert sf["Id"].str.fullmatch(r"0035g00000[0-9A-Za-z]{5}[A-Z0-5]{3}").all()
    assert sf["CreatedDate"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z").all()
    assert (sf["LastModifiedDate"] >= sf["CreatedDate"]).all()
    births = sf["Birthdate"][sf["Birthdate"] != ""]
    assert births.str.fullmatch(r"\d{4}-\d\d-\d\d").all() and len(births) > 300
    assert {"Germany", "United States", "USA", "UK", "France"} <= set(sf["MailingCountry"])
    for record in csv.reader(io.StringIO(text)):
        assert len(record) == 15


def test_salesforce_ids_carry_the_case_safe_checksum() -> None:
    assert salesforce_id(0) == "0035g0000000000AAA"
    ids = {salesforce_id(n) for n in range(3_000_000, 3_001_000)}
    assert len({i.lower() for i in ids}) == len(ids)  # case-insensitive systems still tell them apart


def test_the_webshop_has_one_name_and_one_address_line(made) -> None:
    shop = read(made, "webshop")
    assert list(shop.columns) == [
        "customer_id", "name", "email", "phone", "address", "country_code", "registered_at", "last_login",
    ]  # fmt: skip
    assert shop["email"].is_unique  # one login per account
    assert (shop["name"].str.split().str.len() >= 2).all()
    assert shop["name"].str.match(r"(Dr|Prof)\.? ").any() and (shop["name"] == shop["name"].str.lower()).any()
    assert (
        shop["address"].str.fullmatch(r".+ \d+\w?, \d{5} [A-ZÄÖÜ][\w .-]+").any()
    )  # Hauptstraße 12, 10115 Berlin
    assert (
        shop["address"].str.fullmatch(r"\d+\w? .+, [A-Za-z ]+, [A-Z]{2} \d{5}").any()
    )  # ..., New York, NY 10118
    assert shop["address"].str.contains(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$").any()  # ..., London NW1 6XE
    codes = shop["country_code"]
    assert (codes == "").any() and codes[codes != ""].str.fullmatch("[A-Za-z]{2}").all()
    assert len(set(codes.str.upper()) - {""}) >= 10


def test_phones_parse_as_valid_numbers_of_the_customers_country(made) -> None:
    shop = read(made, "webshop")
    shop = shop[(shop["phone"] != "") & (shop["country_code"] != "")]
    assert len(shop) > 500
    for phone, country in zip(shop["phone"], shop["country_code"].str.upper(), strict=True):
        number = phonenumbers.parse(phone, country)
        assert phonenumbers.is_valid_number(number), (phone, country)
    assert shop["phone"].str.startswith("+").any() and shop["phone"].str.startswith("00").any()
    assert shop["phone"].str.contains("/").any() and shop["phone"].str.contains(r"\(").any()


@pytest.mark.parametrize("code", sorted(reference().locales))
def test_every_drawn_number_is_valid_for_libphonenumber(code: str) -> None:
    locale = reference().locales[code]
    book = PhoneBook(locale)
    rng = random.Random(code)
    numbers = [book.mobile(rng) for _ in range(100)]
    numbers += [book.landline(rng, city.area_code) for city in locale.cities for _ in range(20)]
    assert all(is_valid(locale.phone, code, n.nsn) for n in numbers)


def test_the_erp_export_is_latin1_with_semicolons_and_dd_mm_yyyy(made) -> None:
    raw = made.files["erp"].read_bytes()
    assert "Ü".encode("cp1252") in raw or "Ö".encode("cp1252") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("cp1252").splitlines()[0] == (
        "KUNDENNR;NAME1;VORNAME;FIRMA;STRASSE;PLZ;ORT;LAND;TELEFON;EMAIL;GEBURTSDATUM;ANGELEGT_AM;GEAENDERT_AM"
    )
    erp = read(made, "erp")
    persons = erp[erp["NAME1"] != ""]
    assert (persons["NAME1"] == persons["NAME1"].str.upper()).mean() > 0.8
    assert persons["NAME1"].str.contains("'").any() or persons["NAME1"].str.contains("-").any()
    dates = pd.concat([erp["GEBURTSDATUM"], erp["ANGELEGT_AM"], erp["GEAENDERT_AM"]])
    dates = dates[dates != ""]
    assert dates.str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert (dates.str[:2].astype(int) > 12).any()  # the day comes first, and it shows
    assert {"DEUTSCHLAND", "ÖSTERREICH", "FRANKREICH", "D", "CH"} <= set(erp["LAND"])


def test_customers_come_from_many_countries(made) -> None:
    codes = set(read(made, "webshop")["country_code"].str.upper()) - {""}
    assert {"DE", "FR", "GB", "US", "ES", "IT", "NL", "AT", "CH"} <= codes


# --- the shipped samples ------------------------------------------------------------------------


def test_the_shipped_samples_are_exactly_what_the_generator_makes(tmp_path: Path) -> None:
    fresh = generate(SHIPPED["customers"], tmp_path, seed=SHIPPED["seed"])
    for path in fresh.files.values():
        shipped = SHIPPED_DIR / path.name
        assert shipped.read_bytes() == path.read_bytes(), (
            f"samples/{path.name} drifted from the generator; regenerate with: crmmigrate samples generate "
            f"--customers {SHIPPED['customers']} --seed {SHIPPED['seed']} --out samples"
        )
    assert 150 <= fresh.total_rows <= 500


def test_the_shipped_config_reads_the_three_exports() -> None:
    config = load_config(SHIPPED_DIR / "crmmigrate.yml")
    assert [s.name for s in config.sources] == ["salesforce", "webshop", "erp"]
    assert all(config.resolve(s.path).exists() for s in config.sources)
    erp = config.sources[2]
    assert erp.encoding == "cp1252" and erp.delimiter == ";"
    assert erp.mapping.columns["date_of_birth"].format == "%d/%m/%Y"
    assert config.sources[1].mapping.columns["full_name"].column == "name"
    assert config.standardise.default_country == "DE"


# --- the command ----------------------------------------------------------------------------------


def test_the_command_writes_the_files_and_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["samples", "generate", "--customers", "50", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in [*FILES.values(), GROUND_TRUTH, "crmmigrate.yml"]:
        assert (tmp_path / name).exists()
        assert name in result.output
    assert re.search(r"50 customers in \d+ rows", result.output)


def test_the_command_refuses_zero_customers(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["samples", "generate", "--customers", "0", "--out", str(tmp_path)])
    assert result.exit_code == 2


# --- the text accidents ---------------------------------------------------------------------------

names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=3, max_size=20)


@given(names, st.integers(0, 10_000))
def test_a_typo_is_exactly_one_edit(name: str, seed: int) -> None:
    changed = typo(name, random.Random(seed))
    assert changed[0] == name[0]
    assert OSA.distance(name, changed) == 1  # substitution, deletion, insertion or transposition


@given(st.text(max_size=30))
def test_latin1_systems_can_store_any_text(text: str) -> None:
    cp1252_safe(text).encode("cp1252")


def test_accents_are_dropped_the_german_way_or_plainly() -> None:
    assert german_fold("Müller-Lüdenscheidt") == "Mueller-Luedenscheidt"
    assert strip_accents("Łukasz Wiśniewski") == "Lukasz Wisniewski"
    assert cp1252_safe("Łódź") == "Lódz" and cp1252_safe("MÜLLER") == "MÜLLER"


def test_region_codes_are_text_not_yaml_booleans() -> None:
    """YAML 1.1 reads Ontario's ON (and Norway's NO) as booleans; they must stay codes."""
    from crmmigrate.samples.locales import reference

    regions = {city.region for locale in reference().locales.values() for city in locale.cities}
    assert "ON" in regions
    assert not regions & {"True", "False"}
