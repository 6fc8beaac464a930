"""The command line as a user meets it: help with examples, exit codes, readable errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crmmigrate.cli.app import app

runner = CliRunner()


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix + (c.name or c.callback.__name__,) for c in group.registered_commands]
    for sub in group.registered_groups:
        found += _commands(sub.typer_instance, prefix + (sub.name,))
    return found


COMMANDS = _commands(app)


def test_the_pipeline_commands_are_all_there() -> None:
    names = {c[0] for c in COMMANDS}
    assert {"run", "extract", "standardise", "dedupe", "validate", "load", "reconcile"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_a_worked_example(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`crmmigrate {' '.join(command)} --help` shows no example"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "crmmigrate" in result.output


def test_a_missing_config_is_exit_2_with_a_hint(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert "config file not found" in result.output
    assert "Traceback" not in result.output


def test_a_config_typo_is_exit_2_naming_the_nearest_key(tmp_path: Path) -> None:
    path = tmp_path / "crmmigrate.yml"
    path.write_text("sources: []\nstandardize: {default_country: DE}\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert "did you mean 'standardise'" in result.output
