"""The out/ folder's contract: a run writes exactly the files `outputs.STAGE_OUTPUTS` names, and a
command that needs an earlier stage's file says which stage to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmmigrate import outputs
from crmmigrate.config import load_config
from crmmigrate.errors import InputError
from crmmigrate.pipeline import run

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
