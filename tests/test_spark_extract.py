"""Glob and directory sources on the Spark engine: a task per file runs the pandas engine's reader
and mapping, so the staged rows, rejects (with their files), per-file counts and the whole run's
outputs are the pandas engine's. Runs on local[2] (skipped without PySpark or Java)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crmmigrate.config import load_config, parse_config
from crmmigrate.errors import InputError, MappingError
from crmmigrate.pipeline import extract_all
from crmmigrate.spark.settings import SparkSettings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OUTPUTS = ("rejects.csv", "golden.csv", "xref.csv", "review.csv", "golden_lineage.csv")


def _split(sample: Path, folder: Path, rows: int, suffix: str = ".csv") -> None:
    """The sample cut into files of `rows` records, each with the header, bytes as they are
    (the ERP export stays cp1252 with `;`)."""
    folder.mkdir(parents=True)
    lines = sample.read_bytes().splitlines(keepends=True)
    for i, start in enumerate(range(1, len(lines), rows)):
        (folder / f"part-{i:03d}{suffix}").write_bytes(lines[0] + b"".join(lines[start : start + rows]))


def _config_of_parts(tmp_path: Path) -> Path:
    """The samples' config, the web shop export as a glob of 4 files and the ERP export as a
    folder of 3 (one with a broken record and an empty one), Salesforce as one file."""
    _split(SAMPLES / "webshop_customers.csv", tmp_path / "shop", 30)
    _split(SAMPLES / "erp_kunden.csv", tmp_path / "erp", 40)
    with (tmp_path / "erp" / "part-001.csv").open("ab") as handle:
        handle.write(b';;;;;;;;;;;;\n99999;\xc4rger;"unterminated\n')
    (tmp_path / "erp" / "_SUCCESS").write_bytes(b"")
    shutil.copy(SAMPLES / "salesforce_contacts.csv", tmp_path)
    config = yaml.safe_load((SAMPLES / "crmmigrate.yml").read_text(encoding="utf-8"))
    config["sources"][1]["path"] = "shop/part-*.csv"
    config["sources"][2]["path"] = "erp"
    path = tmp_path / "crmmigrate.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_files_read_by_spark_tasks_are_staged_as_the_pandas_engine_stages_them(
    tmp_path: Path, spark_settings: SparkSettings
) -> None:
    config = load_config(_config_of_parts(tmp_path))
    config.store = f"sqlite:///{tmp_path / 'crm.db'}"
    on_pandas = extract_all(config, None)
    config.engine, config.spark = "spark", spark_settings  # type: ignore[assignment]
    on_spark = extract_all(config, None)
    pd.testing.assert_frame_equal(on_spark.staged, on_pandas.staged)
    pd.testing.assert_frame_equal(on_spark.rejects, on_pandas.rejects)
    assert on_spark.counts == on_pandas.counts
    erp = on_spark.counts["erp"]
    assert [f.file for f in erp.files] == ["erp/part-000.csv", "erp/part-001.csv", "erp/part-002.csv"]
    assert erp.rejected >= 2 and len(on_spark.counts["webshop"].files) == 4


def test_a_run_on_spark_over_globs_and_folders_gives_the_pandas_engines_outputs(
    tmp_path: Path, run_on_engine: Callable[[Path, str], Path]
) -> None:
    config = _config_of_parts(tmp_path)
    pandas_out = run_on_engine(config, "pandas")
    spark_out = run_on_engine(config, "spark")
    for name in OUTPUTS:
        assert (spark_out / name).read_bytes() == (pandas_out / name).read_bytes(), name
    rejects = pd.read_csv(spark_out / "rejects.csv")
    assert set(rejects.loc[rejects["source"] == "erp", "source_file"]) == {"erp/part-001.csv"}


def test_a_file_a_task_cannot_map_is_the_error_the_pandas_engine_gives(
    tmp_path: Path, spark_settings: SparkSettings
) -> None:
    from crmmigrate.spark.extract import spark_extract_source
    from crmmigrate.spark.session import spark_session

    folder = tmp_path / "nightly"
    folder.mkdir()
    (folder / "a.csv").write_text("id,email\n1,a@example.com\n")
    (folder / "b.csv").write_text("id,mail\n2,b@example.com\n")  # changed since the check
    mapping = {"key": "id", "columns": {"email": "email"}}
    config = parse_config(
        {"sources": [{"name": "web", "path": "nightly", "mapping": mapping}]}, base_dir=tmp_path
    )
    with pytest.raises(MappingError, match="file nightly/b.csv: column 'email'"):
        spark_extract_source(spark_session(spark_settings), config.sources[0], config)


def test_a_directory_of_parquet_parts_is_read_by_tasks_as_by_pandas(
    tmp_path: Path, spark_settings: SparkSettings
) -> None:
    from crmmigrate.extract import extract_source
    from crmmigrate.spark.extract import spark_extract_source
    from crmmigrate.spark.session import spark_session

    rows = pd.read_csv(SAMPLES / "salesforce_contacts.csv", dtype=str, keep_default_na=False)
    (tmp_path / "lake").mkdir()
    for i, start in enumerate(range(0, len(rows), 25)):
        rows.iloc[start : start + 25].to_parquet(tmp_path / "lake" / f"part-{i:05d}.parquet", index=False)
    (tmp_path / "lake" / "_SUCCESS").write_bytes(b"")
    config = parse_config(
        {"sources": [{"name": "sf", "path": "lake", "mapping": "salesforce-contact"}]}, base_dir=tmp_path
    )
    expected = extract_source(config.sources[0], config)
    found = spark_extract_source(spark_session(spark_settings), config.sources[0], config)
    pd.testing.assert_frame_equal(found.staged, expected.staged)
    assert found.files == expected.files and len(found.files) == -(-len(rows) // 25)
    assert found.read == expected.read == len(rows)


def test_a_file_no_executor_finds_says_the_files_must_be_shared(
    tmp_path: Path, spark_settings: SparkSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmmigrate.spark.extract as on_spark
    from crmmigrate.spark.session import spark_session

    (tmp_path / "nightly").mkdir()
    (tmp_path / "nightly" / "a.csv").write_text("id,email\n1,a@example.com\n")
    listed = on_spark.source_files(str(tmp_path / "nightly"))
    monkeypatch.setattr(on_spark, "source_files", lambda *_: [*listed, tmp_path / "nightly" / "gone.csv"])
    mapping = {"key": "id", "columns": {"email": "email"}}
    config = parse_config(
        {"sources": [{"name": "web", "path": "nightly", "mapping": mapping}]}, base_dir=tmp_path
    )
    with pytest.raises(InputError, match="gone.csv: file not found") as caught:
        on_spark.spark_extract_source(spark_session(spark_settings), config.sources[0], config)
    assert "every Spark executor must see the files" in str(caught.value.hint)


def test_one_large_file_is_read_a_span_of_records_or_row_groups_per_task_as_the_pandas_engine_reads_it(
    tmp_path: Path, spark_settings: SparkSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmmigrate.extract import csvfile
    from crmmigrate.spark import extract as spark_extract

    monkeypatch.setattr(csvfile, "BLOCK", 512)  # the samples' files in several spans
    monkeypatch.setattr(spark_extract, "SPAN_BYTES", 2048)
    erp = tmp_path / "erp_kunden.csv"
    erp.write_bytes((SAMPLES / "erp_kunden.csv").read_bytes() + b'99999;\xc4rger;"unterminated\n')
    shutil.copy(SAMPLES / "webshop_customers.csv", tmp_path)
    contacts = pd.read_csv(SAMPLES / "salesforce_contacts.csv", dtype=str, keep_default_na=False)
    contacts.to_parquet(tmp_path / "salesforce_contacts.parquet", row_group_size=20)  # Parquet row groups
    raw = yaml.safe_load((SAMPLES / "crmmigrate.yml").read_text(encoding="utf-8"))
    [salesforce] = [s for s in raw["sources"] if s["path"] == "salesforce_contacts.csv"]
    salesforce["path"] = "salesforce_contacts.parquet"
    (tmp_path / "crmmigrate.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    config = load_config(tmp_path / "crmmigrate.yml")
    spans = [spark_extract.spark_spans(s, config) for s in config.sources]
    assert all(s is not None and len(s) > 2 for s in spans)

    on_pandas = extract_all(config, None)
    config.engine, config.spark = "spark", spark_settings  # type: ignore[assignment]
    calls = []
    monkeypatch.setattr(
        spark_extract, "spark_extract_source", _spy(spark_extract.spark_extract_source, calls)
    )
    on_spark = extract_all(config, None)
    assert len(calls) == 3  # every source went to Spark tasks
    pd.testing.assert_frame_equal(on_spark.staged, on_pandas.staged)
    pd.testing.assert_frame_equal(on_spark.rejects, on_pandas.rejects)
    assert on_spark.counts == on_pandas.counts
    assert "parse_error" in set(on_spark.rejects["reason"])


def _spy(func: Callable, calls: list) -> Callable:
    def spy(*args, **kwargs):
        calls.append(args)
        return func(*args, **kwargs)

    return spy


def test_files_at_a_file_system_url_are_read_through_spark_as_the_local_files_are_read(
    tmp_path: Path, spark_settings: SparkSettings
) -> None:
    """`file://` goes the way `s3a://`, `hdfs://` or `abfss://` go: Spark lists and reads the
    files (the driver never opens them), and each task maps its file's bytes."""
    local = load_config(_config_of_parts(tmp_path))
    on_pandas = extract_all(local, None)
    raw = yaml.safe_load((tmp_path / "crmmigrate.yml").read_text(encoding="utf-8"))
    raw["sources"][1]["path"] = f"file://{tmp_path}/shop/part-*.csv"  # a glob
    raw["sources"][2]["path"] = f"file://{tmp_path}/erp"  # a folder (its _SUCCESS skipped)
    raw["engine"] = "spark"
    (tmp_path / "remote.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    remote = load_config(tmp_path / "remote.yml")
    remote.spark = spark_settings

    on_spark = extract_all(remote, None)
    pd.testing.assert_frame_equal(on_spark.staged, on_pandas.staged)
    pd.testing.assert_frame_equal(on_spark.rejects, on_pandas.rejects)
    for name in ("webshop", "erp"):
        spark_files, pandas_files = on_spark.counts[name].files, on_pandas.counts[name].files
        assert [(f.first_row, f.read, f.rejected) for f in spark_files] == [
            (f.first_row, f.read, f.rejected) for f in pandas_files
        ]
    assert on_spark.counts["erp"].files[1].file.endswith("erp/part-001.csv")  # named by its URL


def test_a_file_system_url_matching_nothing_is_an_input_error_naming_it(
    tmp_path: Path, spark_settings: SparkSettings
) -> None:
    config = parse_config(
        {
            "sources": [
                {
                    "name": "shop",
                    "path": f"file://{tmp_path}/none/*.csv",
                    "mapping": {"columns": {"email": "mail"}},
                }
            ],
            "engine": "spark",
        },
        base_dir=tmp_path,
    )
    config.spark = spark_settings
    with pytest.raises(InputError) as caught:
        extract_all(config, None)
    assert f"{tmp_path}/none/*.csv" in str(caught.value)
