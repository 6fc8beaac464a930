"""Sources of many files: a glob (`exports/*.csv`) or a directory of CSV / Parquet files.

The files are read one after another in the order of their paths, as one source. A row's
`source_row` is its number within the source (the first file's rows 1..n, the next file's rows
n+1.., …), so `(source, source_row)` still names one row, as every later stage expects. Which file
and which record of it a row comes from is kept beside the counts: `FileCounts` per file (its path,
its first `source_row`, its rows read, rejected and staged), written into extract_counts.json and
the reconciliation; rejects.csv names the file and record of each rejected row of such a source
(`source_file`, `file_row`).
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

#: Lineage of a rejected row of a many-file source: its file, and its record number in that file.
FILE_LINEAGE = ("source_file", "file_row")
#: URL schemes of file systems a Spark cluster reads (`path: s3a://bucket/exports/*.csv`): the
#: Spark engine reads such files through Spark itself; the pandas engine reads local files only.
REMOTE_SCHEMES = frozenset(
    ("s3", "s3a", "hdfs", "viewfs", "gs", "wasb", "wasbs", "dbfs", "file", "oss", "adl", "abfs", "abfss")
)
REMOTE_FILES_HINT = (
    "the Spark engine reads such paths: run with `--engine spark` or set `engine: spark`; "
    "to profile a file, copy it here"
)
GLOB_CHARS = frozenset("*?[")
#: File formats a directory source may hold (by extension).
DIRECTORY_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".tab": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


@dataclass(frozen=True)
class FileCounts:
    """One file of a many-file source: `first_row` is the `source_row` of its first record, so its
    records are rows first_row .. first_row + read - 1 of the source; read = rejected + staged."""

    file: str
    first_row: int
    read: int
    rejected: int = 0
    staged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "first_row": int(self.first_row),
            "read": int(self.read),
            "rejected": int(self.rejected),
            "staged": int(self.staged),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileCounts:
        return cls(
            file=str(data["file"]),
            first_row=int(data["first_row"]),
            read=int(data["read"]),
            rejected=int(data.get("rejected", 0)),
            staged=int(data.get("staged", 0)),
        )


def is_remote(location: str) -> bool:
    """Whether a source's path is a file-system URL (`s3a://…`, `hdfs://…`, `file:///…`), not a
    local path nor a database URL."""
    scheme, sep, _ = location.partition("://")
    if not sep:
        scheme, sep, _ = location.partition(":/")  # file:/tmp/x, dbfs:/mnt/x
    return bool(sep) and scheme.lower() in REMOTE_SCHEMES


def is_many(location: str) -> bool:
    """Whether a source's resolved path names several files: a directory, or a glob pattern
    (a file that exists under a name with `*`, `?` or `[` in it is that file)."""
    if "://" in location:
        return False
    path = Path(location)
    if path.is_dir():
        return True
    return not path.exists() and any(ch in location for ch in GLOB_CHARS)


def source_files(location: str, declared: str | None = None) -> list[Path]:
    """The files of a directory or glob source, sorted by path; an InputError naming the pattern
    or the directory when there is none. A directory gives its data files (not its subfolders,
    nor hidden or `_` files such as Spark's `_SUCCESS`), all of one format."""
    path = Path(location)
    if path.is_dir():
        return _directory_files(path, declared)
    found = sorted(Path(p) for p in glob.glob(location, recursive=True) if Path(p).is_file())
    if not found:
        raise InputError(
            "the pattern matches no file",
            file=location,
            hint="check `path:` (relative to the config file; `*` matches in a folder, `**/` across folders)",
        )
    return found


def _directory_files(path: Path, declared: str | None) -> list[Path]:
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
    formats = {p: DIRECTORY_FORMATS.get(p.suffix.lower()) for p in files}
    if declared is not None:
        data = [p for p in files if formats[p] in (declared, None)]
    else:
        data = [p for p in files if formats[p] is not None]
        kinds = sorted({str(formats[p]) for p in data})
        if len(kinds) > 1:
            raise InputError(
                f"the directory holds files of several formats ({', '.join(kinds)})",
                file=str(path),
                hint="point `path:` at a glob of one kind (e.g. folder/*.csv), or set `format:`",
            )
    if not data:
        raise InputError(
            "the directory holds no data file (.csv, .tsv, .txt, .parquet, .json, .ndjson)",
            file=str(path),
            hint="point `path:` at the folder of the exported files, or at a glob of them",
        )
    return data


def file_label(path: Path, base_dir: Path | None) -> str:
    """How reports name a file: relative to the config's folder when it is inside it."""
    if base_dir is not None and path.is_relative_to(base_dir):
        return path.relative_to(base_dir).as_posix()
    return str(path)


def count_files(
    files: Sequence[FileCounts], staged_rows: np.ndarray, rejected_rows: np.ndarray
) -> tuple[FileCounts, ...]:
    """`files` with their rows staged and rejected counted from the source's rows."""
    starts = np.array([f.first_row for f in files], dtype=np.int64)

    def per_file(rows: np.ndarray) -> np.ndarray:
        at = np.searchsorted(starts, np.asarray(rows, dtype=np.int64), side="right") - 1
        return np.bincount(at[at >= 0], minlength=len(files))

    staged, rejected = per_file(staged_rows), per_file(rejected_rows)
    return tuple(
        replace(f, staged=int(s), rejected=int(r)) for f, s, r in zip(files, staged, rejected, strict=True)
    )


def set_aside_rows(files: Sequence[FileCounts], rows: np.ndarray) -> tuple[FileCounts, ...]:
    """`files` after the staged rows `rows` (source_row values) moved to the rejects."""
    if not files:
        return tuple(files)
    moved = count_files(files, np.asarray(rows, dtype=np.int64), np.zeros(0, dtype=np.int64))
    return tuple(
        replace(f, staged=f.staged - m.staged, rejected=f.rejected + m.staged)
        for f, m in zip(files, moved, strict=True)
    )


def locate(files: Sequence[FileCounts], source_rows: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(file, record number in that file) of each `source_row` of a many-file source."""
    starts = np.array([f.first_row for f in files], dtype=np.int64)
    names = np.array([f.file for f in files], dtype=object)
    rows = pd.to_numeric(source_rows, errors="coerce").to_numpy(dtype=np.float64)
    known = ~np.isnan(rows)
    at = np.searchsorted(starts, np.where(known, rows, 0).astype(np.int64), side="right") - 1
    known &= at >= 0
    file = np.full(len(rows), None, dtype=object)
    line = np.full(len(rows), None, dtype=object)
    file[known] = names[at[known]]
    line[known] = (rows[known] - starts[at[known]] + 1).astype(np.int64)
    return (
        pd.Series(file, index=source_rows.index, dtype=object),
        pd.Series(line, index=source_rows.index, dtype=object),
    )


def row_place(files: Sequence[FileCounts], row: int) -> str:
    """`row 12 (exports/b.csv, record 2)`: a row of a many-file source, for a message."""
    file, line = locate(files, pd.Series([row]))
    return f"row {row}" if file[0] is None else f"row {row} ({file[0]}, record {line[0]})"


def with_file_lineage(
    rejects: pd.DataFrame, files_by_source: Mapping[str, Sequence[FileCounts]]
) -> pd.DataFrame:
    """`rejects` with `source_file` and `file_row` (after `detail`) for the rows of many-file
    sources; unchanged when no source has several files. A raw column of the same name is kept
    as `<name> (raw)`."""
    many = {name: files for name, files in files_by_source.items() if files}
    if not many or not len(rejects):
        return rejects
    if all(c in rejects.columns for c in FILE_LINEAGE):  # written once already: fill in what is missing
        out = rejects.copy()
    else:
        out = rejects.rename(columns={c: f"{c} (raw)" for c in FILE_LINEAGE if c in rejects.columns})
        place = list(out.columns).index("detail") + 1 if "detail" in out.columns else len(out.columns)
        for offset, column in enumerate(FILE_LINEAGE):
            out.insert(place + offset, column, pd.Series(None, index=out.index, dtype=object))
    source = out["source"].astype(object)
    for name, files in many.items():
        mine = (source == name).to_numpy()
        if mine.any():
            file, line = locate(files, out.loc[mine, "source_row"])
            out.loc[mine, "source_file"] = file.to_numpy(dtype=object)
            out.loc[mine, "file_row"] = line.to_numpy(dtype=object)
    return out
