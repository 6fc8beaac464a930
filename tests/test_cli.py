"""The command line as a user meets it: help with examples, exit codes, readable errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.store import open_store

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


TINY = """\
sources:
  - {name: shop, path: shop.csv, mapping: {columns: {first_name: first, last_name: last, email: email}}}
rules: [strict.yml]
store: sqlite:///{tmp}/crm.db
out: {tmp}/out
"""


def _tiny_run(tmp_path: Path, *, rule: str) -> Path:
    (tmp_path / "crmmigrate.yml").write_text(TINY.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    (tmp_path / "shop.csv").write_text(
        "first,last,email\nAnna,Berg,anna@example.org\nDora,Fox,\n", encoding="utf-8"
    )
    (tmp_path / "strict.yml").write_text(f"rules:\n  - {rule}\n", encoding="utf-8")
    return tmp_path / "crmmigrate.yml"


def test_a_run_written_to_a_file_gives_one_timestamped_line_per_stage_a_log_and_a_json_summary(
    tmp_path: Path,
) -> None:
    config = _tiny_run(tmp_path, rule="{name: has rows, check: row_count_between, min: 1}")
    args = ["run", str(config), "--log-file", str(tmp_path / "run.log"), "--json", str(tmp_path / "run.json")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if " ✓ " in line]
    assert [line.split()[2] for line in lines] == [
        "extract",
        "standardise",
        "dedupe",
        "validate",
        "load",
        "reconcile",
    ]
    assert all(line[:4].isdigit() and line[19] == "Z" for line in lines)  # 2026-11-30T08:20:26Z ✓ ...
    assert (tmp_path / "run.log").read_text(encoding="utf-8").count(" ✓ ") == 6
    summary = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert (summary["status"], summary["exit_code"], summary["golden"]["records"]) == ("ok", 0, 2)
    assert summary["sources"]["shop"]["read"] == 2 and summary["load"]["tables"]["customers"]["inserts"] == 2
    assert [s["stage"] for s in summary["stages"]][-1] == "reconcile"

    quiet = runner.invoke(app, ["run", str(config), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output.startswith("OK run ") and "✓" not in quiet.output


def test_a_blocked_run_marks_its_stages_with_a_cross_and_says_why_it_failed(tmp_path: Path) -> None:
    config = _tiny_run(tmp_path, rule="{name: every email, column: email, check: not_null}")
    result = runner.invoke(app, ["run", str(config), "--json", str(tmp_path / "run.json")])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "✗ validate" in output and "✗ load blocked: validation errors, nothing loaded" in output
    assert "gate failed: validation found errors" in output
    assert json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))["status"] == "gate_failed"


def test_a_run_that_cannot_start_still_writes_its_json_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yml"), "--json", str(tmp_path / "run.json")])
    assert result.exit_code == 2
    summary = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert summary["status"] == "error" and "config file not found" in summary["error"]


def test_a_night_with_only_a_header_in_the_file_is_nothing_to_do_and_succeeds(tmp_path: Path) -> None:
    config = _tiny_run(tmp_path, rule="{name: has rows, check: row_count_between, min: 1}")
    assert runner.invoke(app, ["run", str(config)]).exit_code == 0
    (tmp_path / "shop.csv").write_text("first,last,email\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(config), "--json", str(tmp_path / "run.json")])
    assert result.exit_code == 0, result.output
    assert "nothing to do: the sources hold no rows" in " ".join(result.output.split())
    assert not (
        tmp_path / "out" / "golden.parquet"
    ).exists()  # no earlier golden set passed off as this one's
    summary = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert summary["balanced"] and summary["load"] is None
    with open_store(f"sqlite:///{tmp_path / 'crm.db'}") as store:
        assert store.count_customers() == 2


def test_more_rejected_rows_than_max_rejects_allows_stops_the_run_before_loading(tmp_path: Path) -> None:
    config = _tiny_run(tmp_path, rule="{name: has rows, check: row_count_between, min: 1}")
    text = config.read_text(encoding="utf-8").replace("{columns: {", "{key: id, columns: {")
    config.write_text(text.replace("rules:", "max_rejects: 0\nrules:"), encoding="utf-8")
    (tmp_path / "shop.csv").write_text(
        "id,first,last,email\n1,Anna,Berg,anna@example.org\n2,Dora,Fox,\n2,Ed,Gomez,\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "✗ extract" in output and "gate failed: 1 of 3 rows rejected, more than max_rejects (0)" in output
    with open_store(f"sqlite:///{tmp_path / 'crm.db'}") as store:
        assert store.count_customers() == 0

    config.write_text(text.replace("rules:", "max_rejects: 34%\nrules:"), encoding="utf-8")
    assert runner.invoke(app, ["run", str(config)]).exit_code == 0  # 1 of 3 is 33.3 %


def test_an_interrupted_run_says_what_it_left_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmmigrate import pipeline

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    config = _tiny_run(tmp_path, rule="{name: has rows, check: row_count_between, min: 1}")
    monkeypatch.setattr(pipeline, "dedupe_stage", ctrl_c)
    log = tmp_path / "run.log"
    result = runner.invoke(
        app, ["run", str(config), "--json", str(tmp_path / "run.json"), "--log-file", str(log)]
    )
    assert result.exit_code == 130
    output = " ".join(result.output.split())
    assert (
        "✓ extract" in output and "✓ standardise" in output and "dedupe" not in output.split("interrupted")[0]
    )
    assert "interrupted during dedupe: the store is unchanged;" in output
    assert "clean.parquet from this run" in output
    assert "hint: rerun `crmmigrate run CONFIG`, or go on" in output
    assert "Traceback" not in result.output
    summary = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert (summary["status"], summary["exit_code"]) == ("interrupted", 130)
    assert summary["error"].startswith("interrupted during dedupe")
    last = log.read_text(encoding="utf-8").splitlines()[-1]
    assert last[:4].isdigit() and " ✗ interrupted during dedupe: the store is unchanged;" in last


def test_a_spark_master_without_the_spark_engine_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "crmmigrate.yml"
    path.write_text("sources: []\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--spark-master", "local[2]"])
    assert result.exit_code == 2
    assert "--spark-master needs --engine spark" in result.output
    result = runner.invoke(app, ["run", str(path), "--engine", "dask"])
    assert result.exit_code == 2
    assert "choose one of pandas, spark" in result.output
