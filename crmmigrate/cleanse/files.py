"""The standalone file-to-file form of the stage, for `crmmigrate standardise --in --out`."""

from __future__ import annotations

from pathlib import Path

from .. import outputs
from . import standardise
from .options import StandardiseOptions


def standardise_file(
    input_path: str | Path, output_path: str | Path, default_country: str | None = None
) -> int:
    """Read staged rows, standardise them, write the clean rows; returns the number of rows."""
    staged = outputs.read_staged(path=input_path)
    clean = standardise(staged, StandardiseOptions(default_country=default_country))
    outputs.write_clean(clean, path=output_path)
    return len(clean)
