"""Pilot runs (`run --sample`): a stratified, repeatable sample that still reconciles."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import load_config
from crmmigrate.errors import ConfigError
from crmmigrate.pilot import SampleSize, parse_sample, sample_mask
from crmmigrate.pipeline import run
from crmmigrate.store import open_store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
runner = CliRunner()


def sample_config(tmp: Path):
    config = load_config(SAMPLES / "crmmigrate.yml")
    config.out = str(tmp / "out")
    config.store = f"sqlite:///{tmp / 'pilot.db'}"
    return config


def pairs(frame: pd.DataFrame) -> set[tuple[str, int]]:
    return set(zip(frame["source"].astype(str), frame["source_row"].astype(int), strict=True))


def staged_rows(out: Path) -> set[tuple[str, int]]:
    return pairs(pd.read_parquet(out / "staged.parquet"))


def test_sample_sizes_are_counts_or_shares() -> None:
    assert parse_sample("500") == SampleSize(rows=500)
    assert parse_sample(" 5% ") == SampleSize(share=0.05)
    assert parse_sample("0.5%") == SampleSize(share=0.005)
    assert parse_sample(20) == SampleSize(rows=20)


@pytest.mark.parametrize("bad", ["", "abc", "5 rows", "-3", "0", "2.5", "0%", "150%", "5%%"])
def test_bad_sample_sizes_say_what_is_expected(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sample(bad)
    assert "--sample takes a row count like 500 or a share like 5%" in (caught.value.hint or "")


def test_the_sample_is_stratified_by_source_and_country() -> None:
    staged = pd.DataFrame(
        {
            "source": ["crm"] * 800 + ["shop"] * 200,
            "source_row": list(range(1, 801)) + list(range(1, 201)),
            "country": ["DE"] * 600 + ["fr"] * 200 + [None] * 200,
        }
    )
    kept = staged[sample_mask(staged, parse_sample("10%"))]
    assert len(kept) == 100
    assert kept.groupby(["source", kept["country"].fillna("-")]).size().to_dict() == {
        ("crm", "DE"): 60,
        ("crm", "fr"): 20,
        ("shop", "-"): 20,
    }
    shuffled = staged.sample(frac=1, random_state=3)  # row order does not change which rows are picked
    assert pairs(shuffled[sample_mask(shuffled, parse_sample("10%"))]) == pairs(kept)


def test_a_sample_keeps_every_row_of_a_person_it_picks() -> None:
    people = [(f"p{i}@example.org", f"+49 30 {1000000 + i}") for i in range(200)]
    rows = [
        {"source": source, "source_row": i + 1, "email": email if source == "crm" else None, "phone": phone}
        for source in ("crm", "shop")
        for i, (email, phone) in enumerate(people)
    ]
    staged = pd.DataFrame(rows).assign(country="DE")
    staged.loc[staged["source"] == "shop", "phone"] = staged.loc[
        staged["source"] == "shop", "phone"
    ].str.replace(" ", "-")  # written differently, the same number
    kept = staged[sample_mask(staged, parse_sample("10%"))]
    assert 30 <= len(kept) <= 50
    per_person = kept.groupby(kept["phone"].str.replace(r"\D", "", regex=True)).size()
    assert (per_person == 2).all()  # both rows of each sampled person, never one of them


def test_a_tiny_sample_still_holds_every_source() -> None:
    staged = pd.DataFrame({"source": ["a"] * 98 + ["b", "c"], "source_row": range(100), "country": "DE"})
    kept = staged[sample_mask(staged, SampleSize(rows=3))]
    assert sorted(kept["source"]) == ["a", "b", "c"]


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`crmmigrate run --sample 5%` on the shipped samples, into a pilot store."""
    tmp = tmp_path_factory.mktemp("pilot")
    args = ["run", str(SAMPLES / "crmmigrate.yml"), "--sample", "5%"]
    result = runner.invoke(
        app, [*args, "--store", f"sqlite:///{tmp / 'pilot.db'}", "--out", str(tmp / "out")]
    )
    assert result.exit_code == 0, result.output
    return tmp / "out"


def test_a_5_percent_pilot_is_balanced_and_holds_every_source(pilot: Path) -> None:
    report = json.loads((pilot / "reconciliation.json").read_text(encoding="utf-8"))
    assert report["balanced"] is True
    staged = sum(c["staged"] for c in report["sources"].values())
    left_out = sum(c["rejected_by_reason"]["not_sampled"] for c in report["sources"].values())
    target = round(0.05 * (staged + left_out))
    assert abs(staged - target) <= 0.25 * target  # whole groups of duplicates: about the size asked
    assert report["golden"]["merged_clusters"] >= 1  # the pilot merges, as the full load will
    for name, counts in report["sources"].items():
        assert counts["staged"] >= 1, name
        assert counts["rejected_by_reason"]["not_sampled"] >= 1, name
        assert counts["read"] == counts["rejected"] + counts["staged"]
    rejects = pd.read_csv(pilot / "rejects.csv", dtype=str)
    assert (rejects["reason"] == "not_sampled").sum() == left_out
    assert "PILOT, a sample of 5%" in (pilot / "reconciliation.html").read_text(encoding="utf-8")
    assert "(PILOT: a sample of 5%)" in (pilot / "reconciliation.md").read_text(encoding="utf-8")
    with open_store(f"sqlite:///{pilot.parent / 'pilot.db'}") as store:
        assert store.runs()["detail"].iloc[-1] == f"PILOT: a sample of 5% ({staged} rows)"


def test_a_rerun_picks_the_same_rows(pilot: Path, tmp_path: Path) -> None:
    result = run(sample_config(tmp_path), sample="5%")
    assert result.exit_code == 0 and result.balanced
    assert staged_rows(result.out_dir) == staged_rows(pilot)


def test_a_row_count_sample(tmp_path: Path) -> None:
    result = run(sample_config(tmp_path), sample=20)
    assert result.exit_code == 0 and result.balanced
    rows = staged_rows(result.out_dir)
    assert 15 <= len(rows) <= 25
    assert {source for source, _ in rows} == {"salesforce", "webshop", "erp"}


def test_a_bad_sample_is_a_usage_error(tmp_path: Path) -> None:
    args = ["run", str(SAMPLES / "crmmigrate.yml"), "--sample", "lots", "--out", str(tmp_path / "out")]
    result = runner.invoke(app, [*args, "--store", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2
    assert "--sample takes a row count like 500 or a share like 5%" in result.output


def test_the_config_can_ask_for_a_pilot_sample(tmp_path: Path) -> None:
    from crmmigrate.config import load_config
    from crmmigrate.pipeline import run

    config = load_config(SAMPLES / "crmmigrate.yml")
    config.out, config.store, config.sample = str(tmp_path / "out"), f"sqlite:///{tmp_path / 'crm.db'}", "10%"
    result = run(config)
    assert result.exit_code == 0 and result.balanced
    assert result.reconciliation.extra["sample"] == "10%"
