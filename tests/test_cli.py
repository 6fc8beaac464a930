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


def test_an_error_naming_text_like_markup_is_printed_as_it_is(tmp_path: Path) -> None:
    """A column `revenue [/year]` or `[vip]` in a message: shown verbatim, never parsed as markup."""
    (tmp_path / "crmmigrate.yml").write_text(
        "sources:\n  - {name: shop, path: shop.csv, mapping: {columns: {last_name: 'revenue [/year]'}}}\n"
        "  - {name: vip, path: vip.csv, mapping: {columns: {last_name: '[vip]'}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "shop.csv").write_text("Name\nAnna\n", encoding="utf-8")
    (tmp_path / "vip.csv").write_text("Name\nBen\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "crmmigrate.yml")])
    assert result.exit_code == 2
    assert "revenue [/year]" in result.output and "[vip]" in result.output


def test_a_bug_is_an_internal_error_with_its_own_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    import crmmigrate.store.actions as actions

    def broken(url: str) -> tuple:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(actions, "list_runs", broken)
    result = CliRunner().invoke(app, ["runs", "--store", "sqlite://"])
    assert result.exit_code == 70
    assert "internal error" in result.output and "--debug" in result.output
