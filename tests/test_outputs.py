"""The out/ folder's contract: a run writes exactly the files `outputs.STAGE_OUTPUTS` names, each
stage's result reads back as written (from a run's folder or from files of a standalone command),
and a command that needs an earlier stage's file says which stage to run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crmmigrate import outputs
from crmmigrate.config import load_config
from crmmigrate.errors import InputError, OutputError
from crmmigrate.pipeline import Extracted, run
from crmmigrate.reconcile import SourceCounts

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def test_a_run_writes_every_named_output_and_nothing_else(tmp_path: Path) -> None:
    config = load_config(SAMPLES / "crmmigrate.yml")
    config.store = f"sqlite:///{tmp_path / 'crm.db'}"
    config.out = str(tmp_path / "out")
    assert run(config).exit_code == 0
    written = {p.name for p in (tmp_path / "out").iterdir()}
    named = {name for names in outputs.STAGE_OUTPUTS.values() for name in names}
    assert written == named


def test_reading_an_output_of_a_stage_that_has_not_run_names_the_stage(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match="clean.parquet not found: the standardise stage has not run"
    ) as caught:
        outputs.read_output(tmp_path, outputs.CLEAN, "standardise")
    assert "crmmigrate standardise" in (caught.value.hint or "")


def test_the_outputs_removed_after_an_empty_night_are_outputs_of_later_stages() -> None:
    later = {name for stage, names in outputs.STAGE_OUTPUTS.items() if stage != "extract" for name in names}
    assert set(outputs.DOWNSTREAM_OUTPUTS) <= later
    assert not set(outputs.DOWNSTREAM_OUTPUTS) & outputs.KEPT


def _extracted() -> Extracted:
    staged = pd.DataFrame({"source": ["shop", "shop"], "source_row": [1, 3], "email": ["a@x.org", "b@x.org"]})
    rejects = pd.DataFrame(
        {"source": ["shop"], "source_row": [2], "reason": ["unparseable"], "detail": ["bad"]}
    )
    return Extracted(staged, rejects, {"shop": SourceCounts(read=3, rejected=1, staged=2)})


def test_the_extracted_rows_and_their_counts_read_back_as_written(tmp_path: Path) -> None:
    written = outputs.write_extracted(_extracted(), tmp_path)
    assert [p.name for p in written] == [outputs.STAGED, outputs.REJECTS, outputs.EXTRACT_COUNTS]
    back = outputs.read_extracted(tmp_path)
    pd.testing.assert_frame_equal(back.staged, _extracted().staged)
    assert back.rejects["reason"].tolist() == ["unparseable"]
    assert back.counts["shop"].as_dict() == _extracted().counts["shop"].as_dict()
    pd.testing.assert_frame_equal(outputs.read_staged(tmp_path), back.staged)


def test_a_standalone_extract_names_its_own_files(tmp_path: Path) -> None:
    extracted = _extracted()
    staged, rejects = tmp_path / "rows.csv", tmp_path / "bad.csv"
    outputs.write_staged(extracted.staged, extracted.rejects, {}, staged_path=staged, rejects_path=rejects)
    assert outputs.read_staged(path=staged)["email"].tolist() == ["a@x.org", "b@x.org"]
    assert not (tmp_path / outputs.STAGED).exists() and rejects.exists()


def test_clean_rows_from_a_run_and_from_a_file_of_any_origin(tmp_path: Path) -> None:
    clean = pd.DataFrame({"source": ["shop"], "source_row": [7], "phone": ["+4930123456"]})
    assert outputs.write_clean(clean, tmp_path) == tmp_path / outputs.CLEAN
    pd.testing.assert_frame_equal(outputs.read_clean(tmp_path), clean)
    outputs.write_clean(clean, path=tmp_path / "mine.csv")  # a CSV's text read as a row number
    assert outputs.read_clean(path=tmp_path / "mine.csv")["source_row"].tolist() == [7]


def test_the_golden_set_reads_back_with_numeric_source_rows(tmp_path: Path) -> None:
    from crmmigrate.tables import write_table

    write_table(pd.DataFrame({"customer_id": ["C1"], "member_count": [1]}), tmp_path / outputs.GOLDEN)
    write_table(
        pd.DataFrame({"source": ["shop"], "source_row": [4], "customer_id": ["C1"]}), tmp_path / outputs.XREF
    )
    data = outputs.read_golden(tmp_path)
    assert data.xref["source_row"].dtype == "int64" and data.lineage is None
    with pytest.raises(InputError, match="golden.parquet not found: the dedupe stage"):
        outputs.read_golden(tmp_path / "elsewhere")


def test_validation_files_of_a_run_and_renderings_at_paths_of_their_own(tmp_path: Path) -> None:
    from crmmigrate.validate import validate

    golden = pd.DataFrame({"customer_id": ["C1", "C2"], "email": ["a@x.org", None]})
    report = validate(golden, ["golden"])
    written = outputs.write_validation(report, tmp_path)
    assert [p.name for p in written] == [outputs.VALIDATION, outputs.JUNIT, outputs.FAILURES]
    assert outputs.read_validation_passed(tmp_path) is report.passed
    summary = tmp_path / "elsewhere" / "summary.md"
    assert outputs.write_validation(report, markdown_path=summary) == [summary]
    with pytest.raises(InputError, match="validation.json not found: the validate stage"):
        outputs.read_validation_passed(tmp_path / "elsewhere")


def _reconciliation() -> Any:
    from crmmigrate.reconcile import reconcile

    golden = pd.DataFrame({"customer_id": ["C1"], "member_count": [1]})
    xref = pd.DataFrame({"source": ["shop"], "source_row": [1], "source_key": ["k"], "customer_id": ["C1"]})
    counts = {"shop": SourceCounts(read=1, rejected=0, staged=1)}
    return reconcile(
        run_id="r1",
        sources=counts,
        golden=golden,
        xref=xref,
        load=None,
        store_customers=None,
        store_checksum=None,
    )


def test_the_reconciliation_is_written_in_three_renderings_and_reads_back(tmp_path: Path) -> None:
    rec = _reconciliation()
    written = outputs.write_reconciliation(rec, tmp_path)
    assert [p.name for p in written] == list(outputs.STAGE_OUTPUTS["reconcile"])
    back = outputs.read_reconciliation(tmp_path)
    assert (back.run_id, back.balanced) == ("r1", rec.balanced)


def test_a_report_that_cannot_be_written_after_a_load_says_the_load_committed(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match=r"could not write the reconciliation report") as caught:
        outputs.write_reconciliation(_reconciliation(), blocked, committed_run="r1")
    assert "the load itself committed (run r1)" in str(caught.value)
    with pytest.raises(OutputError) as quiet:
        outputs.write_reconciliation(_reconciliation(), blocked)
    assert "committed" not in str(quiet.value)
