"""Built-in templates load, name real export columns, and resolve from a source config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import parse_config
from crmmigrate.errors import MappingError
from crmmigrate.extract.mapper import spec_problems
from crmmigrate.mappings import list_templates, load_template, mapping_yaml, parse_mapping, resolve_mapping
from crmmigrate.schema import FIELDS

EXPECTED = {
    "salesforce-contact",
    "salesforce-lead",
    "salesforce-account",
    "hubspot-contacts",
    "dynamics365-contacts",
    "zoho-contacts",
    "pipedrive-persons",
    "suitecrm-contacts",
}
SALESFORCE_SAMPLE_HEADER = (
    "Id,Salutation,FirstName,LastName,Email,Phone,MobilePhone,MailingStreet,MailingCity,"
    "MailingState,MailingPostalCode,MailingCountry,Birthdate,CreatedDate,LastModifiedDate"
)


def test_every_template_loads_and_fills_an_identity_field() -> None:
    names = {name for name, _ in list_templates()}
    assert names == EXPECTED
    for name in names:
        spec = load_template(name)
        assert spec.key and spec.description and not spec_problems(spec), name
        assert set(spec.columns) & set(FIELDS)


def test_salesforce_contact_maps_every_column_of_a_data_loader_export() -> None:
    spec = load_template("salesforce-contact")
    used = {spec.key, *(c for rule in spec.columns.values() for c in rule.source_columns())}
    assert used == set(SALESFORCE_SAMPLE_HEADER.split(","))


def test_hubspot_uses_the_export_labels() -> None:
    spec = load_template("hubspot-contacts")
    assert spec.key == "Record ID"
    assert spec.columns["region"].column == "State/Region"
    assert spec.columns["country"].column == "Country/Region"


def test_unknown_template_suggests_the_nearest_names() -> None:
    with pytest.raises(MappingError) as info:
        load_template("hubspot-contact")
    assert "hubspot-contacts" in info.value.hint


def test_resolve_mapping_from_a_path_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "shop.yml").write_text("mapping:\n  key: Nr\n  columns:\n    last_name: Name\n")
    config = parse_config(
        {"sources": [{"name": "shop", "path": "x.csv", "mapping": "maps/shop.yml"}]}, base_dir=tmp_path
    )
    spec = resolve_mapping(config.sources[0], config)
    assert spec.key == "Nr" and spec.columns["last_name"].column == "Name"


def test_mapping_yaml_round_trips() -> None:
    for name in EXPECTED:
        spec = load_template(name)
        assert parse_mapping(yaml.safe_load(mapping_yaml(spec))) == spec


def test_cli_lists_and_shows_templates() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["mappings", "list"])
    assert listed.exit_code == 0 and "pipedrive-persons" in listed.output
    shown = runner.invoke(app, ["mappings", "show", "zoho-contacts"])
    assert shown.exit_code == 0 and "Mailing Zip" in shown.output
    unknown = runner.invoke(app, ["mappings", "show", "zoho"])
    assert unknown.exit_code == 2 and "zoho-contacts" in unknown.output
