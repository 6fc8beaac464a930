"""Extract: legacy exports in, staged rows (canonical columns with lineage) and rejects out.

`check_sources(config)` checks every source before any work; `iter_extract` streams one source
in chunks (memory stays bounded on a large file) and `extract_source` gathers them. Every record
read ends up either staged or rejected with a reason: `read == len(staged) + len(rejects)`.

A source's `path:` may be a glob or a directory (`files.py`): its files are read one after
another, numbered on as one source, and counted per file (`ExtractResult.files`). One large CSV
file (or a Parquet file's row groups) can be read in spans (`file_spans`), each by another
worker (a Spark task), and put together again (`combine_spans`) into what reading it whole gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import MappingError
from ..mappings import resolve_mapping
from ..mappings.spec import MappingSpec
from ..progress import Steps, tell
from ..schema import REJECT_COLUMNS, STAGED_COLUMNS, Reason
from .checks import check_sources, column_problems
from .csvfile import ByteSpan, record_spans, splittable
from .files import FileCounts, count_files, file_label, is_many, row_place, source_files
from .mapper import MappingPlan, apply_mapping, spec_problems
from .parquetfile import ParquetReader, RowGroups, row_group_spans
from .readers import CsvReader, open_reader, source_format

if TYPE_CHECKING:
    from ..config import RunConfig, SourceConfig

__all__ = [
    "ExtractResult",
    "FileCounts",
    "check_sources",
    "combine_files",
    "combine_spans",
    "file_spans",
    "extract_file",
    "extract_one_file",
    "extract_one_span",
    "extract_source",
    "iter_location",
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
    #: The files of a glob or directory source (empty for a single file or a database table).
    files: tuple[FileCounts, ...] = ()

    def reasons(self) -> dict[str, int]:
        """Rejected rows by reason."""
        if self.rejects.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().sort_index().items()}


def iter_extract(
    source: SourceConfig, config: RunConfig, chunk_rows: int = CHUNK_ROWS
) -> Iterator[ExtractResult]:
    """The source's records, chunk by chunk, mapped to canonical columns. The chunks of a glob or
    directory source come file by file, numbered on (`files.py`); each names its file."""
    location = config.source_path(source)
    if not is_many(location):
        yield from iter_location(source, config, location, chunk_rows)
        return
    offset = 0
    for path in source_files(location, source.format):
        label = file_label(path, config.base_dir)
        read = 0
        for part in iter_location(source, config, str(path), chunk_rows, file=label):
            read += part.read
            yield replace(_shifted(part, offset), files=(FileCounts(label, offset + 1, part.read),))
        offset += read


def iter_location(
    source: SourceConfig,
    config: RunConfig,
    location: str,
    chunk_rows: int,
    *,
    file: str | None = None,
    span: Span | None = None,
) -> Iterator[ExtractResult]:
    """The records of one file (or table) at `location`, numbered from 1; `file` names it in errors.
    `span`: only that run of the file's records (`file_spans`), numbered from 1."""
    reader = open_reader(source, location)
    if span is not None:
        if not isinstance(reader, CsvReader | ParquetReader):
            raise TypeError(f"spans apply to CSV and Parquet files, not to {type(reader).__name__}")
        reader.span = span  # type: ignore[assignment]
    spec = resolve_mapping(source, config)
    problems = [f"source {source.name!r}: mapping: {p}" for p in spec_problems(spec)]
    problems += column_problems(source.name, spec, reader, file=file)
    if problems:
        raise MappingError("\n  - ".join(problems), hint="fix the mapping; the file was not read")
    plan = MappingPlan(spec, tuple(reader.columns()))
    for chunk in reader.chunks(chunk_rows):
        staged, rejects = apply_mapping(chunk, plan, source.name)
        yield ExtractResult(source.name, staged, rejects, chunk.read, plan.unmapped)


def _shifted(part: ExtractResult, offset: int) -> ExtractResult:
    """`part` with its rows numbered on after the `offset` rows of the source's earlier files."""
    if not offset:
        return part
    staged = part.staged.assign(source_row=part.staged["source_row"].astype("int64") + offset)
    rejects = part.rejects
    if len(rejects):
        rejects = rejects.assign(source_row=pd.to_numeric(rejects["source_row"]).astype("int64") + offset)
    return replace(part, staged=staged, rejects=rejects)


def extract_one_file(
    source: SourceConfig, config: RunConfig, path: str | Path, chunk_rows: int = CHUNK_ROWS
) -> ExtractResult:
    """One file of a glob or directory source, its rows numbered from 1 (`combine_files` numbers
    them on): what a Spark task does for the file it is given."""
    label = file_label(Path(path), config.base_dir)
    parts = list(iter_location(source, config, str(path), chunk_rows, file=label))
    return _one_result(source.name, parts, (FileCounts(label, 1, sum(p.read for p in parts)),))


#: A share of one file a worker reads: a CSV file's bytes of whole records, or Parquet row groups.
Span = ByteSpan | RowGroups


def file_spans(source: SourceConfig, config: RunConfig, size: int) -> list[Span] | None:
    """A single-file CSV or Parquet source's records in spans of about `size` bytes (CSV: whole
    records; Parquet: whole row groups), for workers to read one span each; None when the source
    is not one such file, is smaller than two spans, or a CSV file cannot be cut by bytes
    (UTF-16/32, lone-CR line ends)."""
    location = config.source_path(source)
    if is_many(location) or source_format(location, source.format) not in ("csv", "parquet"):
        return None
    reader = open_reader(source, location)
    if isinstance(reader, ParquetReader):
        reader.columns()  # an unreadable file is the reader's error
        spans: list[Span] = list(row_group_spans(reader.path, size))
        return spans if len(spans) > 1 else None
    assert isinstance(reader, CsvReader)
    if reader.path.stat().st_size < 2 * size or not splittable(reader.path, reader.format):
        return None
    return list(record_spans(reader.path, size, reader.skip_lines))


def extract_one_span(
    source: SourceConfig, config: RunConfig, span: Span, chunk_rows: int = CHUNK_ROWS
) -> ExtractResult:
    """One span of a source's file, its rows numbered from 1 (`combine_spans` numbers them on)."""
    location = config.source_path(source)
    return _one_result(source.name, list(iter_location(source, config, location, chunk_rows, span=span)))


def combine_spans(source: str, parts: list[ExtractResult]) -> ExtractResult:
    """The spans of one file (each from `extract_one_span`, in order) as `extract_source` gives
    the file: rows numbered on, legacy keys checked over all spans."""
    offset, shifted = 0, []
    for part in parts:
        shifted.append(replace(_shifted(part, offset), files=()))
        offset += part.read
    return _gathered(source, shifted)


def _one_result(source: str, parts: list[ExtractResult], files: tuple[FileCounts, ...] = ()) -> ExtractResult:
    read = sum(p.read for p in parts)
    return ExtractResult(
        source=source,
        staged=_concat([p.staged for p in parts], STAGED_COLUMNS),
        rejects=_concat([p.rejects for p in parts], REJECT_COLUMNS),
        read=read,
        unmapped_columns=parts[0].unmapped_columns if parts else (),
        files=files,
    )


def combine_files(source: str, parts: list[ExtractResult]) -> ExtractResult:
    """The files of one source (each from `extract_one_file`, in the order of their paths) as one
    source, as `extract_source` gives it: rows numbered on, legacy keys checked over all files."""
    offset, shifted = 0, []
    for part in parts:
        shifted.append(replace(_shifted(part, offset), files=(replace(part.files[0], first_row=offset + 1),)))
        offset += part.read
    return _gathered(source, shifted)


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
    return _gathered(source.name, parts)


def _gathered(source: str, parts: list[ExtractResult]) -> ExtractResult:
    """The chunks of a source in one result; legacy keys given twice are rejected here."""
    unmapped = tuple(dict.fromkeys(c for p in parts for c in p.unmapped_columns)) if parts else ()
    files = _files_of(parts)
    staged, rejects = reject_duplicate_keys(
        _concat([p.staged for p in parts], STAGED_COLUMNS),
        _concat([p.rejects for p in parts], REJECT_COLUMNS),
        where=(lambda row: row_place(files, row)) if files else _row,
    )
    if files:
        staged_rows = staged["source_row"].to_numpy(dtype="int64")
        rejected_rows = pd.to_numeric(rejects["source_row"]).to_numpy(dtype="int64")
        files = count_files(files, staged_rows, rejected_rows)
    return ExtractResult(
        source=source,
        staged=staged,
        rejects=rejects,
        read=sum(p.read for p in parts),
        unmapped_columns=unmapped,
        files=files,
    )


def _files_of(parts: list[ExtractResult]) -> tuple[FileCounts, ...]:
    """The files the chunks came from, each once with its rows read (chunks of a file are adjacent)."""
    files: dict[str, FileCounts] = {}
    for part in parts:
        for f in part.files:
            seen = files.get(f.file)
            files[f.file] = f if seen is None else replace(seen, read=seen.read + f.read)
    return tuple(files.values())


def _row(row: int) -> str:
    return f"row {row}"


def reject_duplicate_keys(
    staged: pd.DataFrame, rejects: pd.DataFrame, *, where: Callable[[int], str] = _row
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose legacy key an earlier row of the source already has, with other values, move to
    the rejects (their values kept) with reason `duplicate_key`: the key is how the store knows a
    row, so two different rows cannot share it. A row repeated exactly stays (dedupe merges it).
    A key equal to the identity a keyless row of the source is known by (`dedupe.ids.row_ids`) is
    rejected the same way. `where` says where a row is (`row 12`; the file too, for a source of
    many files)."""
    if "source_key" not in staged.columns or len(staged) < 2:
        return staged, rejects
    key = staged["source_key"].astype(object).where(staged["source_key"].notna(), None)
    key = key.map(lambda v: str(v).strip() or None if v is not None else None)
    staged, rejects, key = _reject_keys_of_keyless_rows(staged, rejects, key, where)
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
            f"legacy key {k!r} is already on {where(int(r))} with other values"
            for k, r in zip(by_key[differs], first_row[differs], strict=True)
        ],
    )
    kept = staged.drop(index=index).reset_index(drop=True)
    parts = [p for p in (rejects, moved) if len(p)]
    return kept, pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _reject_keys_of_keyless_rows(
    staged: pd.DataFrame, rejects: pd.DataFrame, key: pd.Series, where: Callable[[int], str]
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
            f"legacy key {k!r} is the identity crmmigrate gives {where(taken[k])}, which has no key"
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
    """Standalone extract of one file (or a glob or directory of them): staged rows to `out`,
    rejects beside it (or `rejects_out`)."""
    from .. import outputs
    from ..config import RunConfig, SourceConfig

    path = Path(path)
    name = path.stem
    if is_many(str(path)):  # a directory, or a glob: named after the folder the files are in
        name = path.name if path.is_dir() else path.parent.name or path.stem
    spec = SourceConfig(
        name=source or name,
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
    outputs.write_staged(
        result.staged,
        result.rejects,
        {result.source: result.files},  # a glob: each reject names its file
        staged_path=out,
        rejects_path=rejects_out or out.with_name("rejects" + out.suffix),
    )
    return result
