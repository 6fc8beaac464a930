"""Extract: legacy exports in, staged rows (canonical columns with lineage) and rejects out.

`check_sources(config)` checks every source before any work; `iter_extract` streams one source
in chunks (memory stays bounded on a large file) and `extract_source` gathers them. Every record
read ends up either staged or rejected with a reason: `read == len(staged) + len(rejects)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import MappingError
from ..mappings import resolve_mapping
from ..mappings.spec import MappingSpec
from ..schema import REJECT_COLUMNS, STAGED_COLUMNS
from .checks import check_sources, column_problems
from .mapper import MappingPlan, apply_mapping, spec_problems
from .readers import open_reader, source_format

if TYPE_CHECKING:
    from ..config import RunConfig, SourceConfig

__all__ = [
    "ExtractResult",
    "check_sources",
    "extract_file",
    "extract_source",
    "iter_extract",
    "source_format",
]

CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class ExtractResult:
    """One source (or one chunk of it) extracted."""

    source: str
    staged: pd.DataFrame
    rejects: pd.DataFrame
    read: int
    unmapped_columns: tuple[str, ...]

    def reasons(self) -> dict[str, int]:
        """Rejected rows by reason."""
        if self.rejects.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().sort_index().items()}


def iter_extract(
    source: SourceConfig, config: RunConfig, chunk_rows: int = CHUNK_ROWS
) -> Iterator[ExtractResult]:
    """The source's records, chunk by chunk, mapped to canonical columns."""
    reader = open_reader(source, config.source_path(source))
    spec = resolve_mapping(source, config)
    problems = [f"source {source.name!r}: mapping: {p}" for p in spec_problems(spec)]
    problems += column_problems(source.name, spec, reader)
    if problems:
        raise MappingError("\n  - ".join(problems), hint="fix the mapping; the file was not read")
    plan = MappingPlan(spec, tuple(reader.columns()))
    for chunk in reader.chunks(chunk_rows):
        staged, rejects = apply_mapping(chunk, plan, source.name)
        yield ExtractResult(source.name, staged, rejects, chunk.read, plan.unmapped)


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def extract_source(source: SourceConfig, config: RunConfig, chunk_rows: int = CHUNK_ROWS) -> ExtractResult:
    """The whole source in one result (built on `iter_extract`)."""
    parts = list(iter_extract(source, config, chunk_rows))
    unmapped = parts[0].unmapped_columns if parts else ()
    return ExtractResult(
        source=source.name,
        staged=_concat([p.staged for p in parts], STAGED_COLUMNS),
        rejects=_concat([p.rejects for p in parts], REJECT_COLUMNS),
        read=sum(p.read for p in parts),
        unmapped_columns=unmapped,
    )


def extract_file(
    path: str | Path,
    mapping: str | MappingSpec,
    out: str | Path,
    *,
    source: str | None = None,
    rejects_out: str | Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> ExtractResult:
    """Standalone extract of one file: staged rows to `out`, rejects beside it (or `rejects_out`)."""
    from ..config import RunConfig, SourceConfig
    from ..tables import write_table

    path = Path(path)
    spec = SourceConfig(
        name=source or path.stem,
        path=str(path),
        mapping=mapping,
        delimiter=delimiter,
        encoding=encoding,
        sheet=sheet,
    )
    config = RunConfig(sources=[spec])
    check_sources(config)
    result = extract_source(spec, config)
    out = Path(out)
    write_table(result.staged, out)
    write_table(result.rejects, Path(rejects_out) if rejects_out else out.with_name("rejects" + out.suffix))
    return result
