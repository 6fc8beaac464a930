"""`crmmigrate init`: a starting config and draft mappings that run as they are."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import load_config
from crmmigrate.errors import ConfigError
from crmmigrate.pipeline import run
from crmmigrate.profile.starter import source_name, start_config

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
EXPORTS = ("erp_kunden.csv", "salesforce_contacts.csv", "webshop_customers.csv")


def test_source_names_come_from_file_names_and_stay_unique() -> None:
    taken: set[str] = set()
    assert source_name(Path("Kunden Export (2026).csv"), taken) == "kunden_export_2026"
    taken.add("kunden_export_2026")
    assert source_name(Path("kunden-export-2026.xlsx"), taken) == "kunden_export_2026_2"
    assert source_name(Path("!!!.csv"), set()) == "source"


def test_init_writes_a_config_that_runs_the_exports_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    for name in EXPORTS:
        shutil.copy(SAMPLES / name, tmp_path / "exports" / name)
    config = tmp_path / "crmmigrate.yml"
    result = CliRunner().invoke(
        app, ["init", *(str(tmp_path / "exports" / n) for n in EXPORTS), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    erp = next(s for s in written["sources"] if s["name"] == "erp_kunden")
    assert (erp["path"], erp["encoding"], erp["delimiter"]) == ("exports/erp_kunden.csv", "cp1252", ";")
    assert all((tmp_path / s["mapping"]).exists() for s in written["sources"])

    loaded = load_config(config)
    loaded.store, loaded.out = f"sqlite:///{tmp_path / 'crm.db'}", str(tmp_path / "out")
    outcome = run(loaded)
    assert outcome.exit_code == 0 and outcome.balanced
    assert outcome.reconciliation.golden_records < outcome.reconciliation.golden_members  # it merges


def test_init_never_overwrites_unless_forced(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / EXPORTS[0], tmp_path / EXPORTS[0])
    config = tmp_path / "crmmigrate.yml"
    config.write_text("sources: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="would overwrite"):
        start_config([tmp_path / EXPORTS[0]], config)
    assert config.read_text(encoding="utf-8") == "sources: []\n"
    start_config([tmp_path / EXPORTS[0]], config, overwrite=True)
    assert "erp_kunden" in config.read_text(encoding="utf-8")
