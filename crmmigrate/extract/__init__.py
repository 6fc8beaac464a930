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
from ..progress import Steps, tell
from ..schema import REJECT_COLUMNS, STAGED_COLUMNS, Reason
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


def extract_source(
    source: SourceConfig, config: RunConfig, chunk_rows: int = CHUNK_ROWS, *, steps: Steps | None = None
) -> ExtractResult:
    """The whole source in one result (built on `iter_extract`); a legacy key given twice with
    other values is rejected the second time (`duplicate_key`). `steps` hears the rows read so
    far after each chunk (the total is not known before the end)."""
    parts, read = [], 0
    for part in iter_extract(source, config, chunk_rows):
        parts.append(part)
        read += part.read
        tell(steps, read, None, source.name)
    unmapped = parts[0].unmapped_columns if parts else ()
    staged, rejects = reject_duplicate_keys(
        _concat([p.staged for p in parts], STAGED_COLUMNS),
        _concat([p.rejects for p in parts], REJECT_COLUMNS),
    )
    return ExtractResult(
        source=source.name,
        staged=staged,
        rejects=rejects,
        read=sum(p.read for p in parts),
        unmapped_columns=unmapped,
    )


def reject_duplicate_keys(staged: pd.DataFrame, rejects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose legacy key an earlier row of the source already has, with other values, move to
    the rejects (their values kept) with reason `duplicate_key`: the key is how the store knows a
    row, so two different rows cannot share it. A row repeated exactly stays (dedupe merges it).
    A key equal to the identity a keyless row of the source is known by (`dedupe.ids.row_ids`) is
    rejected the same way."""
    if "source_key" not in staged.columns or len(staged) < 2:
        return staged, rejects
    key = staged["source_key"].astype(object).where(staged["source_key"].notna(), None)
    key = key.map(lambda v: str(v).strip() or None if v is not None else None)
    staged, rejects, key = _reject_keys_of_keyless_rows(staged, rejects, key)
    repeated = key.notna() & key.duplicated(keep=False)
    if not repeated.any():
        return staged, rejects
    values = staged.loc[repeated].drop(columns=["source_row"]).astype(object)
    digest = pd.util.hash_pandas_object(values.where(values.notna(), None), index=False)
    by_key = key[repeated]
    first_digest = digest.groupby(by_key.to_numpy()).transform("first")
    first_row = staged.loc[repeated, "source_row"].groupby(by_key.to_numpy()).transform("first")
    differs = (digest != first_digest).to_numpy()
    if not differs.any():
        return staged, rejects
    index = values.index[differs]
    moved = staged.loc[index].reset_index(drop=True)
    moved.insert(2, "reason", Reason.DUPLICATE_KEY.value)
    moved.insert(
        3,
        "detail",
        [
            f"legacy key {k!r} is already on row {int(r)} with other values"
            for k, r in zip(by_key[differs], first_row[differs], strict=True)
        ],
    )
    kept = staged.drop(index=index).reset_index(drop=True)
    parts = [p for p in (rejects, moved) if len(p)]
    return kept, pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _reject_keys_of_keyless_rows(
    staged: pd.DataFrame, rejects: pd.DataFrame, key: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    from ..dedupe.ids import row_ids

    keyless = key.isna()
    if not keyless.any() or keyless.all():
        return staged, rejects, key
    ids = row_ids(staged.loc[keyless].drop(columns="source_key"))
    taken = dict(zip(ids, staged.loc[keyless, "source_row"].astype(int), strict=True))
    clash = key.map(lambda k: k in taken if k is not None else False).astype(bool)
    if not clash.any():
        return staged, rejects, key
    moved = staged.loc[clash].reset_index(drop=True)
    moved.insert(2, "reason", Reason.DUPLICATE_KEY.value)
    moved.insert(
        3,
        "detail",
        [
            f"legacy key {k!r} is the identity crmmigrate gives row {taken[k]}, which has no key"
            for k in key[clash]
        ],
    )
    parts = [p for p in (rejects, moved) if len(p)]
    kept = staged.loc[~clash].reset_index(drop=True)
    return kept, pd.concat(parts, ignore_index=True), key.loc[~clash].reset_index(drop=True)


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
