"""Profiling unknown exports and drafting their mapping, on files like those people really get."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from crmmigrate.mappings import parse_mapping
from crmmigrate.mappings.spec import MappingSpec
from crmmigrate.profile import draft_yaml, profile_file, profile_table, suggest, suggest_mapping
from crmmigrate.profile.patterns import mask, value_pattern

PEOPLE = {
    "DE": (
        ["Jürgen", "Anna", "Lukas", "Sophie", "Matthias", "Lea"],
        ["Müller", "Schmidt", "Weiß", "Becker"],
        ["Hauptstraße", "Lindenallee", "Am Markt", "Goethestr."],
        ["Berlin", "München", "Köln", "Hamburg"],
    ),
    "FR": (
        ["Renée", "Louis", "Camille", "Hugo"],
        ["Dubois", "Martin", "Lefèvre", "Moreau"],
        ["rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire"],
        ["Paris", "Lyon", "Marseille"],
    ),
    "US": (
        ["John", "Mary", "Robert", "Linda"],
        ["Smith", "Johnson", "Brown", "Davis"],
        ["Main Street", "Oak Avenue", "Pine Road"],
        ["Boston", "Denver", "Austin"],
    ),
    "ES": (
        ["Lucía", "Javier", "Carmen"],
        ["García López", "Fernández", "Martínez Ruiz"],
        ["Calle Mayor", "Avenida de América"],
        ["Madrid", "Sevilla"],
    ),
}


def people(country: str, n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    firsts, lasts, streets, cities = PEOPLE[country]
    rows = []
    for i in range(n):
        first, last = rng.choice(firsts), rng.choice(lasts)
        rows.append(
            {
                "id": f"{10000 + i}",
                "first": first,
                "last": last,
                "street": rng.choice(streets),
                "no": str(rng.randint(1, 120)),
                "zip": f"{rng.randint(1000, 99999):05d}",
                "city": rng.choice(cities),
                "email": f"{first[0].lower()}.{last.split()[0].lower()}{i}@example.com".replace("ü", "ue"),
                "phone": f"+49 30 {rng.randint(1000000, 9999999)}" if rng.random() > 0.2 else "",
                "mobile": f"0170 {rng.randint(1000000, 9999999)}",
                "dob": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1940, 2004)}",
                "created": f"{rng.randint(2019, 2023)}-0{rng.randint(1, 9)}-{rng.randint(10, 28)} 10:11:07",
                "company": rng.choice(["", "", "Müller GmbH", "Acme Ltd", "Dupont SARL"]),
            }
        )
    return rows


def german_webshop(tmp: Path) -> tuple[Path, dict[str, object]]:
    rows = people("DE", 40, 1)
    frame = pd.DataFrame(
        {
            "Kundennummer": [r["id"] for r in rows],
            "Anrede": ["Herr", "Frau"] * 20,
            "Vorname": [r["first"] for r in rows],
            "Nachname": [r["last"] for r in rows],
            "Firma": [r["company"] for r in rows],
            "Straße": [r["street"] for r in rows],
            "Hausnr.": [r["no"] for r in rows],
            "PLZ": [r["zip"] for r in rows],
            "Ort": [r["city"] for r in rows],
            "Land": ["Deutschland"] * 40,
            "Telefon": [r["phone"] for r in rows],
            "Mobil": [r["mobile"] for r in rows],
            "E-Mail": [r["email"] for r in rows],
            "Geburtsdatum": [r["dob"] for r in rows],
            "Registriert am": [r["created"] for r in rows],
            "Newsletter": ["ja", "nein"] * 20,
        }
    )
    path = tmp / "kunden_export.csv"
    path.write_bytes(frame.to_csv(sep=";", index=False).encode("cp1252"))
    expected = {
        "source_key": "Kundennummer",
        "first_name": "Vorname",
        "last_name": "Nachname",
        "company": "Firma",
        "address_line1": ["Straße", "Hausnr."],
        "postal_code": "PLZ",
        "city": "Ort",
        "country": "Land",
        "phone": "Telefon",
        "mobile_phone": "Mobil",
        "email": "E-Mail",
        "date_of_birth": "Geburtsdatum",
        "created_at": "Registriert am",
    }
    return path, expected


def salesforce(tmp: Path) -> tuple[Path, dict[str, object]]:
    rows = people("US", 30, 2)
    frame = pd.DataFrame(
        {
            "Id": [f"0035g00000{i:05d}AAA" for i in range(30)],
            "Salutation": ["Mr.", "Ms."] * 15,
            "FirstName": [r["first"] for r in rows],
            "LastName": [r["last"] for r in rows],
            "Email": [r["email"] for r in rows],
            "Phone": [r["phone"] for r in rows],
            "MobilePhone": [r["mobile"] for r in rows],
            "MailingStreet": [f"{r['no']} {r['street']}" for r in rows],
            "MailingCity": [r["city"] for r in rows],
            "MailingState": ["MA", "CO", "TX"] * 10,
            "MailingPostalCode": [r["zip"] for r in rows],
            "MailingCountry": ["United States"] * 30,
            "Birthdate": ["1980-04-02"] * 30,
            "CreatedDate": ["2020-01-01T10:00:00.000Z"] * 30,
            "LastModifiedDate": ["2023-05-06T11:12:13.000Z"] * 30,
        }
    )
    path = tmp / "Contact.csv"
    frame.to_csv(path, index=False)
    expected = {
        "source_key": "Id",
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "Email",
        "phone": "Phone",
        "mobile_phone": "MobilePhone",
        "address_line1": "MailingStreet",
        "city": "MailingCity",
        "region": "MailingState",
        "postal_code": "MailingPostalCode",
        "country": "MailingCountry",
        "date_of_birth": "Birthdate",
        "created_at": "CreatedDate",
        "updated_at": "LastModifiedDate",
    }
    return path, expected


def hubspot(tmp: Path) -> tuple[Path, dict[str, object]]:
    rows = people("US", 30, 3)
    frame = pd.DataFrame(
        {
            "Record ID": [str(5100 + 7 * i) for i in range(30)],
            "First Name": [r["first"] for r in rows],
            "Last Name": [r["last"] for r in rows],
            "Email": [r["email"] for r in rows],
            "Phone Number": [r["phone"] for r in rows],
            "Street Address": [f"{r['no']} {r['street']}" for r in rows],
            "City": [r["city"] for r in rows],
            "State/Region": ["Massachusetts", "Colorado", "Texas"] * 10,
            "Postal Code": [r["zip"] for r in rows],
            "Country/Region": ["United States"] * 30,
            "Company Name": [r["company"] or "Initech Inc." for r in rows],
            "Create Date": ["2022-03-04 10:11"] * 30,
            "Last Modified Date": ["2024-01-02 09:08"] * 30,
            "Lifecycle Stage": ["lead", "customer", "subscriber"] * 10,
            "Contact owner": ["Jane Roe"] * 30,
        }
    )
    path = tmp / "hubspot-crm-exports-all-contacts-2024-01-02.csv"
    frame.to_csv(path, index=False)
    expected = {
        "source_key": "Record ID",
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "Email",
        "phone": "Phone Number",
        "address_line1": "Street Address",
        "city": "City",
        "region": "State/Region",
        "postal_code": "Postal Code",
        "country": "Country/Region",
        "company": "Company Name",
        "created_at": "Create Date",
        "updated_at": "Last Modified Date",
    }
    return path, expected


def french_spreadsheet(tmp: Path) -> tuple[Path, dict[str, object]]:
    import openpyxl

    rows = people("FR", 25, 4)
    book = openpyxl.Workbook()
    sheet = book.active
    header = [
        "N° client",
        "Civilité",
        "Prénom",
        "Nom",
        "Société",
        "Adresse",
        "Code postal",
        "Ville",
        "Pays",
        "Téléphone",
        "Portable",
        "Courriel",
        "Date de naissance",
        "Date de création",
    ]
    sheet.append(header)
    for i, r in enumerate(rows):
        sheet.append(
            [
                f"C{i:04d}",
                "M.",
                r["first"],
                r["last"],
                r["company"],
                f"{r['no']} {r['street']}",
                r["zip"],
                r["city"],
                "France",
                f"01 {i:02d} 23 45 67",
                f"06 12 34 {i:02d} 89",
                r["email"],
                r["dob"].replace(".", "/"),
                r["created"][:10],
            ]
        )
    path = tmp / "clients.xlsx"
    book.save(path)
    expected = {
        "source_key": "N° client",
        "first_name": "Prénom",
        "last_name": "Nom",
        "company": "Société",
        "address_line1": "Adresse",
        "postal_code": "Code postal",
        "city": "Ville",
        "country": "Pays",
        "phone": "Téléphone",
        "mobile_phone": "Portable",
        "email": "Courriel",
        "date_of_birth": "Date de naissance",
        "created_at": "Date de création",
    }
    return path, expected


def api_dump(tmp: Path) -> tuple[Path, dict[str, object]]:
    rows = people("ES", 20, 5)
    records = [
        {
            "id": f"5f1c{i:04x}",
            "createdAt": r["created"].replace(" ", "T") + "Z",
            "updatedAt": "2024-02-03T04:05:06Z",
            "properties": {
                "firstname": r["first"],
                "lastname": r["last"],
                "email": r["email"],
                "phone": r["phone"],
                "company": r["company"] or None,
                "address": {
                    "street": f"{r['street']} {r['no']}",
                    "city": r["city"],
                    "zip": r["zip"],
                    "country": "ES",
                },
            },
            "archived": False,
        }
        for i, r in enumerate(rows)
    ]
    path = tmp / "contacts_api.json"
    path.write_text(json.dumps({"results": records, "paging": {"next": {"after": "20"}}}), encoding="utf-8")
    expected = {
        "source_key": "id",
        "first_name": "properties.firstname",
        "last_name": "properties.lastname",
        "email": "properties.email",
        "phone": "properties.phone",
        "company": "properties.company",
        "address_line1": "properties.address.street",
        "city": "properties.address.city",
        "postal_code": "properties.address.zip",
        "country": "properties.address.country",
        "created_at": "createdAt",
        "updated_at": "updatedAt",
    }
    return path, expected


def southern_and_dutch(tmp: Path) -> tuple[Path, dict[str, object]]:
    rows = people("ES", 20, 6)
    frame = pd.DataFrame(
        {
            "Nombre": [r["first"] for r in rows],
            "Apellidos": [r["last"] for r in rows],
            "Correo electrónico": [r["email"] for r in rows],
            "Teléfono": [r["phone"] for r in rows],
            "Dirección": [f"{r['street']} {r['no']}" for r in rows],
            "Código postal": [r["zip"] for r in rows],
            "Ciudad": [r["city"] for r in rows],
            "Provincia": ["Madrid", "Sevilla"] * 10,
            "País": ["España"] * 20,
            "Fecha de nacimiento": [r["dob"].replace(".", "/") for r in rows],
        }
    )
    path = tmp / "clientes.csv"
    frame.to_csv(path, index=False, sep="\t")
    expected = {
        "first_name": "Nombre",
        "last_name": "Apellidos",
        "email": "Correo electrónico",
        "phone": "Teléfono",
        "address_line1": "Dirección",
        "postal_code": "Código postal",
        "city": "Ciudad",
        "region": "Provincia",
        "country": "País",
        "date_of_birth": "Fecha de nacimiento",
    }
    return path, expected


def accuracy(spec: MappingSpec, expected: dict[str, object]) -> float:
    """Share of expected fields the draft maps to the right column(s); a wrong extra field counts too."""
    got: dict[str, object] = {t: (r.join if r.join else r.column) for t, r in spec.columns.items()}
    if spec.key:
        got["source_key"] = spec.key
    right = sum(1 for t, col in expected.items() if got.get(t) == col)
    extra = sum(1 for t in got if t not in expected)
    return right / (len(expected) + extra)


EXPORTS = [german_webshop, salesforce, hubspot, french_spreadsheet, api_dump, southern_and_dutch]


@pytest.mark.parametrize("make", EXPORTS, ids=[m.__name__ for m in EXPORTS])
def test_suggested_mapping_is_right_for_nine_fields_in_ten(make, tmp_path: Path) -> None:
    path, expected = make(tmp_path)
    spec = suggest_mapping(profile_file(path))
    assert accuracy(spec, expected) >= 0.9, spec.model_dump(exclude_defaults=True)


def test_kinds_are_judged_from_values(tmp_path: Path) -> None:
    path, _ = german_webshop(tmp_path)
    profile = profile_file(path)
    kinds = {c.name: c.kind for c in profile.columns}
    assert profile.encoding == "cp1252" and profile.delimiter == ";"
    assert kinds["E-Mail"] == "email" and kinds["PLZ"] == "postal_code" and kinds["Land"] == "country"
    assert kinds["Geburtsdatum"] == "date" and kinds["Registriert am"] == "datetime"
    assert kinds["Straße"] == "person_name" or kinds["Straße"] == "full_name"  # no house number in it
    assert kinds["Kundennummer"] == "id" and kinds["Newsletter"] == "boolean"
    assert profile.column("Geburtsdatum").date_format == "%d.%m.%Y"
    assert profile.column("Telefon").fill_rate < 1.0


def test_draft_yaml_is_a_valid_mapping_with_reasons(tmp_path: Path) -> None:
    path, _ = german_webshop(tmp_path)
    suggestion = suggest(profile_file(path))
    text = draft_yaml(suggestion)
    assert parse_mapping(yaml.safe_load(text)) == suggestion.spec
    assert "address_line1: {join: [Straße, Hausnr.]}" in text
    assert "date_of_birth: {column: Geburtsdatum, format: '%d.%m.%Y'}" in text
    assert "# Not mapped" in text and "Newsletter" in text


def test_personal_values_are_masked_unless_asked(tmp_path: Path) -> None:
    path, _ = german_webshop(tmp_path)
    profile = profile_file(path)
    console = Console(width=250, record=True)
    console.print(profile_table(profile))
    masked = console.export_text()
    console.print(profile_table(profile, show_values=True))
    shown = console.export_text()
    email = profile.column("E-Mail").top_values[0][0]
    assert email not in masked and email in shown
    assert "Deutschland" in masked  # a country is not a person's data


def test_patterns_and_mask() -> None:
    assert value_pattern("Berlin 10115") == "Aa+ 99999"
    assert value_pattern("+49 170 1234567") == "+99 999 9{7}"
    assert value_pattern("anna@example.com") == "a+@a+.a+"
    assert mask("anna@example.com") == "a•••@example.com"
    assert mask("Müller") == "M•••••"


def test_profile_command_writes_the_draft(tmp_path: Path) -> None:
    from crmmigrate.cli.app import app

    path, _ = hubspot(tmp_path)
    out = tmp_path / "draft.yml"
    result = CliRunner().invoke(
        app, ["profile", str(path), "--suggest-mapping", str(out)], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert parse_mapping(yaml.safe_load(out.read_text())).key == "Record ID"
    assert "State/Region" in result.output


def test_a_title_above_the_header_is_found_and_skipped(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Kundenliste Vertrieb Nord"])
    sheet.append(["Stand: 30.11.2026"])
    sheet.append(["Vorname", "Nachname", "E-Mail"])
    for i in range(20):
        sheet.append([f"Anna{i}", f"Berg{i}", f"anna{i}@example.org"])
    book.save(tmp_path / "titled.xlsx")
    (tmp_path / "titled.csv").write_text(
        "Export vom 30.11.2026\n\nVorname,Nachname,E-Mail\n"
        + "".join(f"Dora{i},Fox{i},dora{i}@example.org\n" for i in range(20)),
        encoding="utf-8",
    )
    for name, line in (("titled.xlsx", 3), ("titled.csv", 3)):
        result = profile_file(tmp_path / name)
        assert (result.rows, result.rejected, result.header_row) == (20, 0, line)
        assert [c.name for c in result.columns] == ["Vorname", "Nachname", "E-Mail"]
    plain = profile_file(tmp_path / "titled.csv", header_row=1)  # told: the title is the header
    assert plain.header_row is None and plain.rejected == 21


def test_a_file_whose_first_line_is_its_header_is_read_from_there(tmp_path: Path) -> None:
    (tmp_path / "plain.csv").write_text(
        "id,first,last,note\n1,Anna,Berg,\n2,Dora,Fox,\n3,Ed,,\n", encoding="utf-8"
    )
    result = profile_file(tmp_path / "plain.csv")
    assert result.header_row is None and result.rows == 3


def test_a_glob_or_a_directory_is_profiled_as_one_source(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "kunden_1.csv").write_text("Kundennr;Name\n1;Anna Weber\n2;Jan Berg\n", encoding="utf-8")
    (exports / "kunden_2.csv").write_text("Kundennr;Name\n3;Ida Holm\n", encoding="utf-8")
    for location in (exports / "kunden_*.csv", exports):
        profile = profile_file(location)
        assert (profile.rows, profile.files, profile.delimiter) == (3, 2, ";")
        assert profile.column("Kundennr").distinct == 3
    assert "2 files" in str(profile_table(profile).title)


def test_a_glob_that_matches_nothing_is_named(tmp_path: Path) -> None:
    from crmmigrate.cli.app import app

    result = CliRunner().invoke(app, ["profile", str(tmp_path / "nope_*.csv")], terminal_width=200)
    assert result.exit_code == 2
    assert "the pattern matches no file" in result.output
