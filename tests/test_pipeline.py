"""The whole job on the shipped samples: as a user runs it from the README."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crmmigrate.accuracy import score_xref
from crmmigrate.config import load_config
from crmmigrate.pipeline import run
from crmmigrate.store import open_store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OUTPUTS = (
    "staged.parquet",
    "clean.parquet",
    "golden.parquet",
    "golden.csv",
    "xref.csv",
    "rejects.csv",
    "validation.json",
    "junit.xml",
    "reconciliation.json",
    "reconciliation.html",
)


def sample_config(tmp: Path, store_url: str | None = None):
    config = load_config(SAMPLES / "crmmigrate.yml")
    config.out = str(tmp / "out")
    config.store = store_url or f"sqlite:///{tmp / 'crm.db'}"
    return config


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("samples-run")
    config = sample_config(tmp)
    return config, run(config)


def test_the_samples_migrate_cleanly(first_run) -> None:
    _, result = first_run
    assert result.exit_code == 0, result.messages
    assert result.balanced and result.validation_passed and result.loaded


def test_every_output_file_is_written(first_run) -> None:
    config, _ = first_run
    out = Path(config.out)
    for name in OUTPUTS:
        assert (out / name).exists(), name


def test_the_reconciliation_accounts_for_every_row(first_run) -> None:
    config, _ = first_run
    report = json.loads((Path(config.out) / "reconciliation.json").read_text(encoding="utf-8"))
    assert {"run_id", "sources", "golden", "store", "balanced"} <= set(report)
    assert report["balanced"] is True
    staged = 0
    for counts in report["sources"].values():
        assert counts["read"] == counts["rejected"] + counts["staged"]
        staged += counts["staged"]
    assert report["golden"]["members"] == staged
    assert report["store"]["customers"] == report["golden"]["records"]


def test_duplicates_are_found_with_precision_and_recall_of_at_least_0_9(first_run) -> None:
    config, _ = first_run
    xref = pd.read_csv(Path(config.out) / "xref.csv", dtype={"source_key": str})
    truth = pd.read_csv(SAMPLES / "ground_truth.csv", dtype={"source_key": str})
    scores = score_xref(xref, truth)
    assert scores.precision >= 0.9, scores
    assert scores.recall >= 0.9, scores


def test_a_second_run_changes_nothing(first_run) -> None:
    config, first = first_run
    before = pd.read_csv(Path(config.out) / "xref.csv")
    second = run(config)
    assert second.exit_code == 0
    assert (second.load.inserted, second.load.updated) == (0, 0)
    after = pd.read_csv(Path(config.out) / "xref.csv")
    pd.testing.assert_frame_equal(before, after)
    with open_store(config.store_url()) as store:
        assert store.count_customers() == first.reconciliation.golden_records


def test_a_dry_run_writes_nothing_to_the_store(tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    result = run(config, dry_run=True)
    assert result.exit_code == 0
    assert result.load.inserted > 0
    with open_store(config.store_url()) as store:
        assert store.count_customers() == 0


def test_relative_source_paths_follow_the_config_file(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(SAMPLES, copy)
    config = load_config(copy / "crmmigrate.yml")
    assert Path(config.source_path(config.sources[0])).parent == copy


@pytest.mark.parametrize("kind", ["postgres_url", "mariadb_url"])
def test_the_samples_load_into_real_servers_and_read_back(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(kind)
    config = sample_config(tmp_path, store_url=url)
    result = run(config)
    assert result.exit_code == 0 and result.balanced
    golden = pd.read_parquet(Path(config.out) / "golden.parquet")
    with open_store(url) as store:
        customers = store.read_customers()
        xref = store.read_xref()
    assert sorted(customers["customer_id"]) == sorted(golden["customer_id"])
    assert len(xref) == result.reconciliation.golden_members
    by_id = customers.set_index("customer_id")
    for row in golden.head(20).itertuples():
        assert by_id.loc[row.customer_id, "last_name"] == row.last_name or pd.isna(row.last_name)


def test_stages_run_one_by_one_from_the_config_give_the_same_result(first_run, tmp_path: Path) -> None:
    from crmmigrate import pipeline

    config = sample_config(tmp_path)
    out = pipeline.out_dir(config)
    pipeline.write_extracted(pipeline.extract_all(config), out)
    extracted = pipeline.read_extracted(out)
    clean = pipeline.standardise_stage(config, extracted.staged, out)
    pipeline.dedupe_stage(config, clean, out)
    data = pipeline.read_golden(out)
    report = pipeline.validate_stage(config, data.golden, data.xref, out)
    loaded = pipeline.load_stage(
        config, data, run_id="stagewise", gate_open=report.passed, forced=False, dry_run=False
    )
    rec = pipeline.reconcile_stage(
        run_id="stagewise", extracted=extracted, data=data, loaded=loaded, dry_run=False, out=out
    )
    assert rec.balanced
    first_config, _ = first_run
    expected = pd.read_csv(Path(first_config.out) / "xref.csv")
    pd.testing.assert_frame_equal(pd.read_csv(out / "xref.csv"), expected)
