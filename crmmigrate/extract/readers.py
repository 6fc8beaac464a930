"""One reader per kind of export. Each gives the column names (reading headers only) and the
records in chunks of text, so memory stays bounded on large files.

| format  | file                      | notes                                                 |
|---------|---------------------------|-------------------------------------------------------|
| csv     | .csv .tsv .txt            | delimiter and encoding detected unless configured     |
| xlsx    | .xlsx .xlsm               | `sheet:` by name or 0-based index, the first otherwise |
| json    | .json                     | an array of records, or an object holding one (`table:` names it) |
| ndjson  | .ndjson .jsonl            | one record per line                                   |
| parquet | .parquet .pq              | struct columns flattened to dotted names              |
| sql     | a SQLAlchemy URL          | `table:` (quoted safely) or `query:`                  |
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import InputError
from .chunk import RawChunk
from .csvfile import HEADER_SEARCH, ByteSpan, CsvFormat, csv_format, first_records, iter_csv, read_csv_header
from .files import REMOTE_FILES_HINT, is_remote

if TYPE_CHECKING:
    from ..config import SourceConfig

SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".tab": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
}
FORMAT_ALIASES = {"tsv": "csv", "txt": "csv"}


class Reader(Protocol):
    def columns(self) -> list[str]: ...

    def chunks(self, chunk_rows: int) -> Iterator[RawChunk]: ...


def source_format(location: str, declared: str | None) -> str:
    """The reader a source needs: the configured `format:`, else from the URL or extension."""
    if declared:
        return FORMAT_ALIASES.get(declared, declared)
    if "://" in location and not is_remote(location):
        return "sql"
    suffix = Path(location.partition("?")[0]).suffix.lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix]
    hint = "set `format:` (csv, xlsx, json, ndjson, parquet, sql) or rename the file"
    if suffix == ".xls":
        hint = "save it as .xlsx (Excel: File > Save As > Excel Workbook) and point the config at that"
    raise InputError(f"unknown file format {suffix or '(no extension)'!r}", file=location, hint=hint)


@dataclass
class CsvReader:
    path: Path
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None  # the header's line; the lines above it (a title, notes) are skipped
    span: ByteSpan | None = None  # only these records (`csvfile.record_spans`), numbered from 1
    _format: CsvFormat | None = field(default=None, init=False)
    _columns: list[str] | None = field(default=None, init=False)

    @property
    def format(self) -> CsvFormat:
        if self._format is None:
            suffix = self.path.suffix.lower()
            self._format = csv_format(
                self.path,
                encoding=self.encoding,
                delimiter=self.delimiter,
                suffix=suffix,
                skip_lines=self.skip_lines,
            )
        return self._format

    @property
    def skip_lines(self) -> int:
        return (self.header_row or 1) - 1

    def columns(self) -> list[str]:
        if self._columns is None:
            self._columns = read_csv_header(self.path, self.format, skip_lines=self.skip_lines)
        return self._columns

    def chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        return iter_csv(
            self.path, self.format, self.columns(), chunk_rows, skip_lines=self.skip_lines, span=self.span
        )

    def first_records(self, within: int = HEADER_SEARCH) -> list[tuple[int, list[str]]]:
        """(line, fields) of the records in the file's first `within` lines."""
        return first_records(self.path, self.format, within)


def open_reader(source: SourceConfig, location: str) -> Reader:
    """The reader for a source at `location` (a resolved path or a SQLAlchemy URL)."""
    if is_remote(location):
        raise InputError("a file-system URL, not a local file", file=location, hint=REMOTE_FILES_HINT)
    fmt = source_format(location, source.format)
    if fmt == "sql":
        from .sqlsource import SqlReader

        return SqlReader(location, table=source.table, query=source.query)
    path = Path(location)
    if not path.exists():
        raise InputError("file not found", file=location, hint="check `path:` (relative to the config file)")
    if path.is_dir():
        raise InputError("is a directory, not a file", file=location)
    if not path.is_file():  # a device or a pipe (/dev/zero, /dev/stdin) may never end
        raise InputError("is not a regular file", file=location, hint="point `path:` at the exported file")
    if not os.access(path, os.R_OK):
        raise InputError(
            "cannot be read: permission denied", file=location, hint="check the file's permissions"
        )
    if source.header_row is not None and fmt not in ("csv", "xlsx"):
        raise InputError(
            f"`header_row:` applies to CSV and Excel files, not to {fmt}", file=location, hint="remove it"
        )
    if fmt == "csv":
        return CsvReader(
            path, encoding=source.encoding, delimiter=source.delimiter, header_row=source.header_row
        )
    if fmt == "xlsx":
        from .excel import ExcelReader

        return ExcelReader(path, sheet=source.sheet, header_row=source.header_row)
    if fmt in ("json", "ndjson"):
        from .jsonfile import JsonReader

        return JsonReader(path, lines=fmt == "ndjson", records_key=source.table)
    if fmt == "parquet":
        from .parquetfile import ParquetReader

        return ParquetReader(path)
    raise InputError(f"unknown format {fmt!r}", file=location)
