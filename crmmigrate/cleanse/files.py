"""The standalone file-to-file form of the stage, for `crmmigrate standardise --in --out`."""

from __future__ import annotations

from pathlib import Path

from ..tables import read_table, write_table
from . import standardise
from .options import StandardiseOptions


def standardise_file(
    input_path: str | Path, output_path: str | Path, default_country: str | None = None
) -> int:
    """Read staged rows, standardise them, write the clean rows; returns the number of rows."""
    staged = read_table(input_path)
    clean = standardise(staged, StandardiseOptions(default_country=default_country))
    write_table(clean, output_path)
    return len(clean)
