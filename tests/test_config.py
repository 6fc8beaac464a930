"""The run config: validated completely up front, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmmigrate.config import STORE_ENV, load_config, parse_config, rejects_exceed
from crmmigrate.errors import ConfigError

MINIMAL = {"sources": [{"name": "crm", "path": "crm.csv", "mapping": "salesforce-contact"}]}


def test_a_minimal_config_gets_good_defaults(tmp_path: Path) -> None:
    config = parse_config(MINIMAL, base_dir=tmp_path)
    assert config.sources[0].mapping == "salesforce-contact"
    assert config.rules == ["golden"]
    assert config.out == "out"
    assert 0 < config.dedupe.threshold < 1


def test_input_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = parse_config(MINIMAL, base_dir=tmp_path)
    assert config.source_path(config.sources[0]) == str(tmp_path / "crm.csv")


def test_sql_urls_are_left_alone(tmp_path: Path) -> None:
    data = {"sources": [{"name": "shop", "path": "postgresql://db/shop", "table": "kunden", "mapping": "x"}]}
    config = parse_config(data, base_dir=tmp_path)
    assert config.source_path(config.sources[0]) == "postgresql://db/shop"


def test_inline_mappings_accept_the_short_form() -> None:
    data = {
        "sources": [
            {
                "name": "webshop",
                "path": "kunden.csv",
                "mapping": {
                    "key": "KundenNr",
                    "columns": {"first_name": "Vorname", "country": {"const": "DE"}},
                },
            }
        ]
    }
    mapping = parse_config(data).sources[0].mapping
    assert mapping.columns["first_name"].column == "Vorname"
    assert mapping.columns["country"].const == "DE"


def test_every_problem_is_reported_at_once_with_the_nearest_key() -> None:
    data = {
        "sources": [{"name": "a", "path": "a.csv", "mapping": "m", "delimter": ";"}],
        "standardize": {},
        "dedupe": {"treshold": 0.8},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    message = str(caught.value)
    assert "sources[0].delimter: unknown key (did you mean 'delimiter'?)" in message
    assert "standardize: unknown key (did you mean 'standardise'?)" in message
    assert "dedupe.treshold: unknown key (did you mean 'threshold'?)" in message


def test_source_names_must_be_unique() -> None:
    source = {"name": "a", "path": "a.csv", "mapping": "m"}
    with pytest.raises(ConfigError, match="used twice"):
        parse_config({"sources": [source, source]})


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "crmmigrate.yml"
    path.write_text("sources:\n  - name: a\n    path: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.row is not None
    assert "YAML syntax error" in str(caught.value)


def test_a_missing_config_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found") as caught:
        load_config(tmp_path / "nope.yml")
    assert caught.value.hint


def test_the_store_url_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STORE_ENV, "postgresql://u:secret@db/crm")
    assert parse_config(MINIMAL).store_url() == "postgresql://u:secret@db/crm"
    monkeypatch.delenv(STORE_ENV)
    assert parse_config(MINIMAL).store_url() == "sqlite:///crm.db"


def test_the_config_hash_identifies_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("sources: []\n", encoding="utf-8")
    first = load_config(path).config_hash
    path.write_text("sources: []\nout: elsewhere\n", encoding="utf-8")
    assert load_config(path).config_hash != first


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghij"):
        previous = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = tmp_path / "bomb.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML aliases"):
        load_config(path)


INLINE = {
    "sources": [
        {
            "name": "shop",
            "path": "shop.csv",
            "mapping": {"columns": {"last_name": "Name", "loyalty_no": "KartenNr"}, "keep": ["Segment"]},
        }
    ]
}


def test_dedupe_settings_name_fields_comparisons_and_levels_that_exist(tmp_path: Path) -> None:
    config = parse_config(
        {
            **INLINE,
            "dedupe": {
                "compare": ["last_name", "date_of_birth", "loyalty_no", "Segment"],
                "blocking": [["last_name", "postal_code"], ["loyalty_no"]],
                "levels": {"last_name": ["exact", {"jaro_winkler": 0.95}], "loyalty_no": ["exact"]},
            },
        },
        base_dir=tmp_path,
    )
    assert config.dedupe.level_overrides()["last_name"][1].threshold == 0.95


def test_unknown_names_in_the_dedupe_settings_are_all_reported_with_the_names_that_exist(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                **INLINE,
                "dedupe": {
                    "compare": ["last_name", "lifecycle"],
                    "blocking": [["postcode"]],
                    "levels": {"surname": ["exact"], "last_name": [{"fuzzy": 0.8}]},
                },
            },
            base_dir=tmp_path,
        )
    text = str(caught.value)
    assert "dedupe.compare: unknown field 'lifecycle'" in text and "loyalty_no" in text and "Segment" in text
    assert "dedupe.blocking: unknown field 'postcode'" in text and "postal_code" in text
    assert "dedupe.levels: unknown comparison 'surname'" in text
    assert "dedupe.levels.last_name: unknown level 'fuzzy'" in text and "jaro_winkler" in text


@pytest.mark.parametrize(
    ("given", "kept"), [(0, 0), (50, 50), ("50", 50), ("2%", "2%"), (" 0.5 % ", "0.5 %")]
)
def test_max_rejects_is_a_count_or_a_percentage(given: object, kept: object) -> None:
    source = {**MINIMAL["sources"][0], "max_rejects": given}
    config = parse_config({"sources": [source], "max_rejects": given})
    assert config.max_rejects == kept == config.sources[0].max_rejects


@pytest.mark.parametrize("given", ["lots", "150%", -1, "-2%", True])
def test_a_max_rejects_that_is_neither_is_a_config_error(given: object) -> None:
    with pytest.raises(ConfigError, match="max_rejects: .*a number of rows"):
        parse_config({**MINIMAL, "max_rejects": given})


def test_rejects_exceed_counts_and_shares() -> None:
    assert not rejects_exceed(None, 1000, 1000)
    assert rejects_exceed(0, 1, 100) and not rejects_exceed(1, 1, 100)
    assert rejects_exceed("1%", 2, 100) and not rejects_exceed("2%", 2, 100)
    assert not rejects_exceed("0%", 0, 0)


def test_the_store_is_a_url_or_a_url_with_a_schema_and_table_prefix(tmp_path: Path) -> None:
    assert parse_config({"store": "sqlite:///crm.db"}).store_config().url == "sqlite:///crm.db"
    store = {"url": "postgresql://crm@db/crm", "schema": "crm", "table_prefix": "crm_"}
    where = parse_config({"store": store}).store_config()
    assert (where.url, where.schema_name, where.table_prefix) == ("postgresql://crm@db/crm", "crm", "crm_")


def test_a_store_without_url_takes_it_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STORE_ENV, "mysql://crm@db/crm")
    where = parse_config({"store": {"table_prefix": "crm_"}}).store_config()
    assert (where.url, where.table_prefix) == ("mysql://crm@db/crm", "crm_")


def test_bad_store_names_are_reported_together_with_the_nearest_key() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"store": {"url": "sqlite:///x.db", "schema": "CRM-Data", "table_prefx": "crm_"}})
    message = str(raised.value)
    assert (
        "store.schema: schema must be lower-case letters, digits and _" in message and "'CRM-Data'" in message
    )
    assert "store.table_prefx: unknown key (did you mean 'table_prefix'?)" in message


def test_command_line_store_names_are_checked_too() -> None:
    where = parse_config({"store": {"url": "sqlite:///x.db", "table_prefix": "crm_"}}).store_config()
    assert where.overridden(table_prefix="night_").table_prefix == "night_"
    with pytest.raises(ConfigError, match="--table-prefix: table_prefix must be lower-case"):
        where.overridden(table_prefix="1st")


def test_survivorship_rules_and_fields_are_checked_when_the_config_loads(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {**INLINE, "survivorship": {"default": ["valid_only", "newest"], "fields": {"city": ["latest"]}}},
            base_dir=tmp_path,
        )
    text = str(caught.value)
    assert "survivorship.default: unknown rule 'newest'; rules: valid_only, most_recent" in text
    assert "survivorship.fields: city: unknown rule 'latest'" in text
    with pytest.raises(
        ConfigError, match="survivorship.fields: unknown field 'postcode'; fields: .*postal_code"
    ):
        parse_config({**INLINE, "survivorship": {"fields": {"postcode": ["longest"]}}}, base_dir=tmp_path)
    config = parse_config(
        {**INLINE, "survivorship": {"fields": {"loyalty_no": ["most_frequent"]}}}, base_dir=tmp_path
    )
    assert config.survivorship.fields == {"loyalty_no": ["most_frequent"]}


def test_the_engine_is_pandas_unless_the_config_says_spark(tmp_path: Path) -> None:
    assert parse_config(MINIMAL, base_dir=tmp_path).engine == "pandas"
    spark = {
        **MINIMAL,
        "engine": "spark",
        "spark": {"master": "spark://head:7077", "conf": {"spark.executor.memory": "8g", "spark.x.on": True}},
    }
    config = parse_config(spark, base_dir=tmp_path)
    assert (config.engine, config.spark.master, config.spark.app_name) == (
        "spark",
        "spark://head:7077",
        "crmmigrate",
    )
    assert config.spark.conf == {"spark.executor.memory": "8g", "spark.x.on": "true"}


def test_engine_and_spark_typos_are_reported_with_the_nearest_name() -> None:
    bad = {**MINIMAL, "engine": "sprak", "spark": {"mastr": "local[2]", "conf": {"executor.memory": "8g"}}}
    with pytest.raises(ConfigError) as err:
        parse_config(bad)
    message = str(err.value)
    assert "did you mean 'spark'?" in message
    assert "spark.mastr: unknown key (did you mean 'master'?)" in message
    assert "'executor.memory' is not a Spark conf key" in message


def test_dedupe_twins_is_weigh_or_apart() -> None:
    source = {"name": "a", "path": "a.csv", "mapping": "m"}
    assert parse_config({"sources": [source], "dedupe": {"twins": "apart"}}).dedupe.twins == "apart"
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": [source], "dedupe": {"twins": "merge"}})
    assert "dedupe.twins" in str(caught.value) and "'weigh' or 'apart'" in str(caught.value)
