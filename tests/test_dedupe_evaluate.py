"""Evaluate: precision and recall by threshold from labelled pairs, a threshold recommended."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.dedupe.evaluate import read_labels
from crmmigrate.dedupe.evaluation_html import to_html
from crmmigrate.dedupe.files import dedupe_files, evaluate_from_dir
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.errors import InputError


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("out")
    frame = clean_frame(150, seed=11)
    frame.to_parquet(out / "clean.parquet")
    dedupe_files(out / "clean.parquet", out)
    return out, frame


def labels_of(frame: pd.DataFrame, pairs: list[tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for a, b in pairs:
        rows.append(
            {
                "left_source": frame["source"].iloc[a],
                "left_key": frame["source_key"].iloc[a],
                "right_source": frame["source"].iloc[b],
                "right_key": frame["source_key"].iloc[b],
                "match": int(frame["person_id"].iloc[a] == frame["person_id"].iloc[b]),
            }
        )
    return pd.DataFrame(rows)


def some_pairs(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """Every true pair, and as many pairs of different people at one surname."""
    same, other = [], []
    for _, group in frame.reset_index().groupby("last_name")["index"]:
        rows = list(group)
        for k, a in enumerate(rows):
            for b in rows[k + 1 :]:
                (same if frame["person_id"].iloc[a] == frame["person_id"].iloc[b] else other).append((a, b))
    return same + other[: len(same)]


def test_labelled_pairs_give_precision_and_recall_by_threshold(run, tmp_path: Path) -> None:
    out, frame = run
    labels = labels_of(frame, some_pairs(frame))
    labels.to_csv(tmp_path / "labels.csv", index=False)
    found = evaluate_from_dir(out, tmp_path / "labels.csv")
    assert found.labelled == len(labels) and found.not_found == 0
    assert found.matches == labels["match"].sum()
    assert found.curve["threshold"].is_monotonic_increasing
    assert (found.curve["recall"].diff().dropna() <= 1e-12).all()  # a higher threshold recalls less
    assert found.at(found.recommended)["f1"] == found.curve["f1"].max()
    assert found.at(found.recommended)["f1"] > 0.9
    assert found.clusters is not None and found.clusters["precision"] > 0.9


def test_a_column_of_true_ids_serves_as_labels(run) -> None:
    out, _ = run
    found = evaluate_from_dir(out, truth_column="person_id")
    assert found.matches > 0 and found.labelled > found.matches
    assert found.at(found.recommended)["f1"] > 0.8  # every true pair counts, even far-fetched ones


def test_the_report_shows_the_chart_and_masks_personal_values(run, tmp_path: Path) -> None:
    out, frame = run
    labels = labels_of(frame, some_pairs(frame))
    labels["match"] = 1 - labels["match"]  # deliberately wrong labels: every pair is a mistake
    labels.to_csv(tmp_path / "wrong.csv", index=False)
    found = evaluate_from_dir(out, tmp_path / "wrong.csv")
    page = to_html(found)
    assert "<svg" in page and "<polyline" in page and "<script" not in page
    assert "Worst false positives" in page and "Worst false negatives" in page
    rows = found.worst_false_positives[0].rows
    surname = rows.loc[rows["comparison"] == "last_name", "left"].iloc[0]
    assert surname not in page  # masked
    assert surname in to_html(found, show_pii=True)


def test_splink_and_decision_shaped_labels_are_read(tmp_path: Path) -> None:
    (tmp_path / "splink.csv").write_text(
        "unique_id_l,source_dataset_l,unique_id_r,source_dataset_r,clerical_match_score\n0,x,1,x,1.0\n0,x,2,x,0\n"
    )
    splink = read_labels(tmp_path / "splink.csv")
    assert splink["match"].tolist() == [True, False] and splink["left_key"].tolist() == ["0", "0"]
    (tmp_path / "decisions.csv").write_text(
        "left_source,left_key,right_source,right_key,decision\ncrm,1,shop,7,cannot_link\n"
    )
    assert read_labels(tmp_path / "decisions.csv")["match"].tolist() == [False]


def test_a_label_that_is_neither_names_its_row(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("left_key,right_key,match\n1,2,1\n1,3,maybe\n")
    with pytest.raises(InputError, match="neither a match") as caught:
        read_labels(tmp_path / "bad.csv")
    assert caught.value.row == 3


def test_the_command(run, tmp_path: Path) -> None:
    out, frame = run
    labels_of(frame, some_pairs(frame)).to_csv(tmp_path / "labels.csv", index=False)
    result = CliRunner().invoke(
        app, ["evaluate", str(tmp_path / "labels.csv"), "--out", str(out), "--html", str(tmp_path / "e.html")]
    )
    assert result.exit_code == 0, result.output
    assert "recommended threshold" in result.output
    assert (tmp_path / "e.html").read_text().startswith("<!doctype html>")
