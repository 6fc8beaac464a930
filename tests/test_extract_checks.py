"""Every source is checked before any work; all problems are listed at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmmigrate.config import parse_config
from crmmigrate.errors import InputError, MappingError
from crmmigrate.extract import check_sources

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def config(*sources: dict, base_dir: Path = FIXTURES):
    return parse_config({"sources": list(sources)}, base_dir=base_dir)


def test_good_sources_pass(tmp_path: Path) -> None:
    mapping = tmp_path / "kunden.yml"
    mapping.write_text("mapping:\n  key: KundenNr\n  columns: {first_name: Vorname, last_name: Nachname}\n")
    check_sources(
        config(
            {"name": "a", "path": "kunden_bom.csv", "mapping": str(mapping)},
            {"name": "b", "path": "multiline.csv", "mapping": {"columns": {"full_name": "Name"}}},
        )
    )


def test_unknown_template_names_the_source_and_nearest_templates() -> None:
    with pytest.raises(MappingError) as info:
        check_sources(config({"name": "crm", "path": "multiline.csv", "mapping": "salesforce-contacts"}))
    message = f"{info.value} ({info.value.hint})"  # a single problem keeps its own hint
    assert "crm" in message and "salesforce-contacts" in message and "salesforce-contact," in message


def test_missing_columns_name_the_source_the_column_and_the_file_columns() -> None:
    with pytest.raises(MappingError) as info:
        check_sources(
            config(
                {
                    "name": "shop",
                    "path": "kunden_pipe.csv",
                    "mapping": {"key": "KundenNr", "columns": {"email": "EMail", "last_name": "Name"}},
                },
                {"name": "gone", "path": "missing.csv", "mapping": "hubspot-contacts"},
            )
        )
    message = str(info.value)
    assert "3 problems" in message
    assert "source 'shop': column 'EMail' (for email)" in message and "did you mean 'E-Mail'" in message
    assert "the file has: KundenNr, Vorname, Nachname, E-Mail" in message
    assert "source 'gone'" in message and "file not found" in message


def test_optional_template_columns_may_be_absent(tmp_path: Path) -> None:
    path = tmp_path / "sf.csv"
    path.write_text("Id,FirstName,LastName\n003,Ann,Lee\n")
    check_sources(config({"name": "sf", "path": str(path), "mapping": "salesforce-contact"}))


def test_input_problems_alone_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown file format"):
        check_sources(
            config(
                {"name": "x", "path": "data.bin", "mapping": {"columns": {"email": "e"}}}, base_dir=tmp_path
            )
        )


def test_extract_command_exits_2_with_the_columns_the_file_has(tmp_path: Path) -> None:
    from crmmigrate.cli.app import app

    result = CliRunner().invoke(
        app,
        [
            "extract",
            "--in",
            str(FIXTURES / "kunden_pipe.csv"),
            "--out",
            str(tmp_path / "staged.csv"),
            "--mapping",
            "salesforce-contact",
        ],
    )
    assert result.exit_code == 2
    assert "FirstName" in result.output and "KundenNr" in result.output


def test_extract_command_writes_staged_and_rejects(tmp_path: Path) -> None:
    from crmmigrate.cli.app import app

    mapping = tmp_path / "m.yml"
    mapping.write_text("key: id\ncolumns: {first_name: first_name, last_name: last_name, email: email}\n")
    out = tmp_path / "staged.csv"
    result = CliRunner().invoke(
        app, ["extract", "--in", str(FIXTURES / "ragged.csv"), "--out", str(out), "--mapping", str(mapping)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and (tmp_path / "rejects.csv").exists()
    assert "field_count" in result.output
