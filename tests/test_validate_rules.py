"""The rule format: built-in sets, the documented example, and config errors reported all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmmigrate.errors import ConfigError
from crmmigrate.validate import KINDS, load_rules

FIXTURES = Path(__file__).parent / "fixtures" / "validate"


@pytest.mark.parametrize("name", ["staged", "clean", "golden"])
def test_built_in_sets_load_by_name(name: str) -> None:
    rules = load_rules([name])
    assert rules and all(r.rule_set == name for r in rules)
    assert all(r.check in KINDS for r in rules)


def test_the_golden_set_covers_what_the_product_promises() -> None:
    checks = {(r.check, r.columns, r.severity) for r in load_rules(["golden"])}
    assert {
        ("not_null", ("customer_id",), "error"),
        ("unique", ("customer_id",), "error"),
        ("any_not_null", ("last_name", "company"), "error"),
        ("email", ("email",), "error"),
        ("unique", ("email",), "warning"),
        ("e164", ("phone",), "error"),
        ("iso_country", ("country",), "error"),
        ("not_older_than", ("updated_at",), "warning"),
    } <= checks


def test_the_documented_example_parses(tmp_path: Path) -> None:
    rules = load_rules(["custom_rules.yml"], base_dir=FIXTURES)
    by_name = {r.name: r for r in rules}
    assert by_name["one record per email"].columns == ("email",)
    assert by_name["postal code fits country"].options == {"country_column": "country"}
    assert by_name["not stale"].severity == "warning" and by_name["rows"].options == {"min": 1}
    assert by_name["email valid when present"].line == 6


def test_every_problem_is_reported_at_once_with_lines_and_nearest_names() -> None:
    with pytest.raises(ConfigError) as info:
        load_rules([FIXTURES / "typos.yml"])
    message = str(info.value)
    assert (
        "typos.yml, line 2" in message
        and "unknown key 'colum'" in message
        and "did you mean 'column'" in message
    )
    assert "unknown check 'emial'" in message and "did you mean 'email'" in message
    assert "'mostly' must be a share between 0 and 1" in message
    assert "'severity' must be one of error, warning" in message
    assert "needs 'values'" in message


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("rules:\n  - name: a\n    check: [not_null\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+: YAML syntax error"):
        load_rules([path])


def test_unknown_rule_file_or_set_suggests_the_nearest_set() -> None:
    with pytest.raises(ConfigError, match="did you mean 'golden'"):
        load_rules(["goldn"])


def test_a_name_shared_by_two_files_is_qualified_by_its_set() -> None:
    names = {r.name for r in load_rules(["golden", FIXTURES / "custom_rules.yml"])}
    assert {"golden: not stale", "custom_rules: not stale", "customer id unique"} <= names


def test_duplicate_names_in_one_file_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dup.yml"
    path.write_text(
        "rules:\n  - {name: a, column: x, check: not_null}\n  - {name: a, column: y, check: not_null}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="'a' is already used"):
        load_rules([path])


def test_bad_regex_and_missing_options_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(
        "rules:\n  - {name: a, column: x, check: regex, pattern: '[a-'}\n"
        "  - {name: b, column: x, check: between}\n  - {name: c, check: any_not_null}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_rules([path])
    assert "not a valid regular expression" in str(info.value)
    assert "needs at least one of 'min', 'max'" in str(info.value)
    assert "needs 'columns' (a list)" in str(info.value)
