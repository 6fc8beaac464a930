"""Delimited text files (CSV, TSV, TXT): a fast streaming path and a tolerant one.

The fast path is pyarrow's streaming CSV reader (every column as text, nothing turned into
numbers or NaN, quoted newlines inside values). It stops at the first record it cannot read
(wrong field count, undecodable bytes); the tolerant path (Python's csv module) then takes over
from the first record not yet handed out, so that every bad record becomes a reject with its
record number and physical line number, and every good one still goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError
from ..schema import Reason
from .binary import check_text_file
from .chunk import RawChunk, raw_record
from .encoding import detect_encoding, python_codec, with_byte_order
from .sniff import sniff_delimiter
from .text import arrow_types_mapper, dedupe_names, text_dtype

BLOCK = 8 << 20  # bytes parsed at a time: memory stays bounded on any file size
SMALL_BLOCK = 64 << 10  # a failing block is halved down to this size, then read tolerantly
MAX_RECORD = 64 << 20  # a "record" longer than this is an unclosed quote: cut it at a line end
SURROGATES = re.compile("[\udc80-\udcff]")
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str


@dataclass(frozen=True)
class ByteSpan:
    """A run of whole data records of a file: bytes `start` to `end`, the first on physical line
    `first_line`; `last`: the span ends the file (where a cut-off last record can be). Spans let
    several workers read one file: each reads its span, its records numbered from 1."""

    start: int
    end: int
    first_line: int
    last: bool


def splittable(path: Path, fmt: CsvFormat) -> bool:
    """Whether the file's records can be found by bytes (not UTF-16/32, not lone-CR line ends)."""
    return not codecs.lookup(fmt.encoding).name.startswith(("utf-16", "utf-32")) and not _mac_line_ends(path)


def record_spans(path: Path, size: int, skip_lines: int = 0) -> list[ByteSpan]:
    """The file's data records (after the header) in spans of about `size` bytes, each cut where
    `_record_blocks` cuts (a line end outside quotes), so that reading the spans one after another
    gives the records reading the whole file gives. For a file `splittable` says can be cut."""
    spans: list[ByteSpan] = []
    start: tuple[int, int] | None = None  # the open span's first byte and line
    end = 0
    for block, first_line, last, offset in _record_blocks(path, skip_lines):
        start = start or (offset, first_line)
        end = offset + len(block)
        if end - start[0] >= size or last:
            spans.append(ByteSpan(start[0], end, start[1], last))
            start = None
    if start is not None:  # only blank lines after the last block
        spans.append(ByteSpan(start[0], end, start[1], False))
    return spans


def csv_format(
    path: Path, *, encoding: str | None, delimiter: str | None, suffix: str, skip_lines: int = 0
) -> CsvFormat:
    """The encoding and delimiter to read with: the config's, else detected."""
    try:
        enc = with_byte_order(path, python_codec(encoding)) if encoding else detect_encoding(path)
    except LookupError:
        raise InputError(
            f"unknown text encoding {encoding!r}", file=str(path), hint="e.g. utf-8, cp1252, latin-1"
        ) from None
    except ValueError as exc:
        raise InputError(
            f"encoding {encoding!r}: {exc}",
            file=str(path),
            hint="leave `encoding:` out to detect it, or name the byte order (utf-16-le, utf-16-be)",
        ) from None
    check_text_file(path, enc)
    if delimiter:
        delim = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delim) != 1:
            raise InputError(f"the delimiter must be one character, not {delimiter!r}", file=str(path))
    elif suffix == ".tsv":
        delim = "\t"
    else:
        with path.open(encoding=enc, errors="replace", newline="") as fh:
            _skip_text_lines(fh, skip_lines)
            delim = sniff_delimiter(fh.read(1 << 16))
    return CsvFormat(encoding=enc, delimiter=delim)


def _open_text(path: Path, fmt: CsvFormat, errors: str = "surrogateescape") -> io.TextIOWrapper:
    return path.open(encoding=fmt.encoding, errors=errors, newline="")


def _skip_text_lines(fh: Any, lines: int) -> None:
    """Read past the first `lines` lines of a text file (a title or notes above the header)."""
    for _ in range(lines):
        if not fh.readline():
            return


#: How far down a file a header below a title is looked for.
HEADER_SEARCH = 30


def first_records(path: Path, fmt: CsvFormat, within: int = HEADER_SEARCH) -> list[tuple[int, list[str]]]:
    """(line, fields) of the records that start within the file's first `within` lines."""
    out = []
    with _open_text(path, fmt, errors="replace") as fh:
        reader = csv.reader(fh, delimiter=fmt.delimiter)
        end = 0
        for record in reader:
            start, end = end + 1, reader.line_num
            if start > within:
                break
            out.append((start, record))
    return out


def header_line(records: list[tuple[int, list[str]]], names: set[str]) -> int | None:
    """The line of the first record that has a field for every one of `names`: where the header is
    when a title or notes stand above it."""
    wanted = {n.strip() for n in names}
    return next((line for line, fields in records if wanted <= {f.strip() for f in fields}), None)


def guess_header_line(records: list[tuple[int, list[str]]]) -> int | None:
    """The line a header below a title most likely stands on, when the first line is not it: the
    first line as wide as most of the lines that follow it (in filled fields), when line 1 is
    at most half as wide (a title, a date, a note in one cell). None when line 1 looks like the
    header."""
    widths = [(line, sum(bool(str(f).strip()) for f in fields)) for line, fields in records]
    widths = [(line, n) for line, n in widths if n]
    if len(widths) < 3:
        return None
    common = max(set(n for _, n in widths[1:]), key=lambda n: sum(1 for _, m in widths[1:] if m == n))
    if common < 2 or widths[0][1] > common // 2:
        return None
    return next(line for line, n in widths if n >= common)


def read_csv_header(path: Path, fmt: CsvFormat, skip_lines: int = 0) -> list[str]:
    with _open_text(path, fmt, errors="replace") as fh:
        _skip_text_lines(fh, skip_lines)
        for record in csv.reader(fh, delimiter=fmt.delimiter):
            if record:
                return dedupe_names(record)
    where = f" at or below line {skip_lines + 1}" if skip_lines else ""
    raise InputError(
        f"the file is empty (no header line{where})", file=str(path), hint="export the data again"
    )


def iter_csv(
    path: Path,
    fmt: CsvFormat,
    header: list[str],
    chunk_rows: int,
    skip_lines: int = 0,
    span: ByteSpan | None = None,
) -> Iterator[RawChunk]:
    """The file's records in chunks, numbered from 1 (from the span's first, given a `span`)."""
    if span is None and not splittable(path, fmt):  # bytes cannot be cut at b"\n"
        yield from _tolerant_chunks(path, fmt, header, chunk_rows, skip=0, skip_lines=skip_lines)
        return
    names = _arrow_names(path, fmt, skip_lines)
    number = 0
    blocks = _record_blocks(path, skip_lines) if span is None else _span_blocks(path, span)
    for block, first_line, last, _ in blocks:
        parsed = _parse_block(block, first_line, number, fmt, header, names)
        open_at = open_quote_at_end(block, fmt.delimiter) if last else None
        if open_at is not None and parsed.read:
            start = first_line + block.count(b"\n", 0, open_at)
            parsed = _reject_last(parsed, start, first_line + block.count(b"\n", 0, len(block.rstrip())))
        for chunk in _split(parsed, chunk_rows):
            number += chunk.read
            yield chunk
    if number == 0:
        yield RawChunk(pd.DataFrame(columns=header, dtype=object), np.zeros(0, dtype=np.int64))


def open_quote_at_end(data: bytes, delimiter: str) -> int | None:
    """Where the quoted field that `data` ends inside starts (None when every quote is closed).

    Only the last block of a file can end inside quotes (blocks are cut at record ends): the
    export was cut off, and the last record's last value is incomplete.
    """
    if not data.count(b'"') or len(delimiter.encode()) != 1:
        return None
    sep = re.escape(delimiter.encode())
    field = re.compile(rb"(?:^|(?<=[\n\r" + sep + rb']))"[^"]*(?:""[^"]*)*("?)')
    last = None
    for last in field.finditer(data):  # noqa: B007 - only the last quoted field matters
        pass
    if last is None or last.group(1) or last.end() != len(data):
        return None
    return last.start()


def _reject_last(chunk: RawChunk, line: int, end_line: int) -> RawChunk:
    """The chunk with its last record turned into a reject: its last value was cut off."""
    span = f" (it runs on over lines {line}-{end_line})" if end_line > line else ""
    detail = f"line {line}: the file ends inside a quoted value{span}: cut off, or a quote left open"
    last = int(max([*chunk.rows.tolist(), *(int(r["source_row"]) for r in chunk.rejects)]))
    rejects = [r for r in chunk.rejects if int(r["source_row"]) != last]
    keep = chunk.rows != last
    values = chunk.frame.loc[~keep].iloc[0].tolist() if (~keep).any() else []
    raw = raw_record(list(chunk.frame.columns), values) if values else {}
    rejects.append({"source_row": last, "reason": Reason.PARSE_ERROR.value, "detail": detail, **raw})
    if not values:
        old = next((r for r in chunk.rejects if int(r["source_row"]) == last), {})
        rejects[-1].update({k: v for k, v in old.items() if k not in ("source_row", "reason", "detail")})
    frame = chunk.frame.loc[keep].reset_index(drop=True)
    return RawChunk(frame, chunk.rows[keep], rejects)


def _mac_line_ends(path: Path) -> bool:
    """Lines ended by a lone CR (old Mac exports): the byte blocks below cut at LF only."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    return b"\r" in head and b"\n" not in head


def _split(chunk: RawChunk, chunk_rows: int) -> Iterator[RawChunk]:
    if chunk.read <= chunk_rows:
        yield chunk
        return
    order = sorted(
        [(int(r), "row", i) for i, r in enumerate(chunk.rows)]
        + [(int(rec["source_row"]), "reject", i) for i, rec in enumerate(chunk.rejects)]
    )
    for start in range(0, len(order), chunk_rows):
        part = order[start : start + chunk_rows]
        rows = [i for _, what, i in part if what == "row"]
        frame = chunk.frame.iloc[rows].reset_index(drop=True)
        yield RawChunk(frame, chunk.rows[rows], [chunk.rejects[i] for _, what, i in part if what == "reject"])


def _record_blocks(path: Path, skip_lines: int = 0) -> Iterator[tuple[bytes, int, bool, int]]:
    """The data records (after the header) in blocks of about BLOCK bytes, each cut after a line end
    that is outside quotes (an even number of quote bytes before it), with the physical line
    number the block starts on, whether it is the last block of the file and its byte offset
    in the file. Valid for any
    encoding where `"` and a line feed are single bytes that never occur inside another character
    (UTF-8, cp1252, the latin code pages)."""
    with path.open("rb") as fh:
        head = fh.read(BLOCK)
        rest, line = _skip_header(head, skip_lines), 0
        line = head[: len(head) - len(rest)].count(b"\n") + 1
        pending, offset = rest, len(head) - len(rest)
        while True:
            more = fh.read(BLOCK)
            data = pending + more
            if not more:
                if data.strip(b"\r\n"):  # a line of spaces is a record, as mid-file
                    yield data, line, True, offset
                return
            cut = _last_record_end(data)
            if cut is None:
                pending = data  # one record longer than a block (or an unclosed quote): read on
                if len(pending) < MAX_RECORD:
                    continue
                cut = data.rfind(b"\n") + 1 or len(data)
            block, pending = data[:cut], data[cut:]
            yield block, line, False, offset
            line += block.count(b"\n")
            offset += len(block)


def _span_blocks(path: Path, span: ByteSpan) -> Iterator[tuple[bytes, int, bool, int]]:
    """`_record_blocks` within a span (its bytes read once more, cut where the scan cut them)."""
    with path.open("rb") as fh:
        fh.seek(span.start)
        data = fh.read(span.end - span.start)
    line, offset = span.first_line, 0
    while offset < len(data):
        cut = _last_record_end(data[offset : offset + BLOCK]) if len(data) - offset > BLOCK else None
        end = len(data) if not cut else offset + cut
        block = data[offset:end]
        yield block, line, span.last and end == len(data), span.start + offset
        line += block.count(b"\n")
        offset = end


def _skip_header(head: bytes, skip_lines: int = 0) -> bytes:
    """`head` after the header record (quotes respected), blank lines before it included, and the
    `skip_lines` lines above it (`header_row`)."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    start = 0
    for _ in range(skip_lines):
        end = head.find(b"\n", start)
        if end < 0:
            return b""
        start = end + 1
    while True:
        end = head.find(b"\n", start)
        if end < 0:
            return b""
        if head[:end].count(b'"') % 2 == 0 and head[:end].strip():
            return head[end + 1 :]
        start = end + 1


def _last_record_end(data: bytes) -> int | None:
    quotes = data.count(b'"')
    pos = len(data)
    while True:
        nl = data.rfind(b"\n", 0, pos)
        if nl < 0:
            return None
        quotes -= data.count(b'"', nl, pos)
        if quotes % 2 == 0:
            return nl + 1
        pos = nl


def _parse_block(
    block: bytes, first_line: int, number: int, fmt: CsvFormat, header: list[str], names: list[str]
) -> RawChunk:
    """The fast parse of a block; when a record in it is unreadable, the block is halved (at
    record ends) until the part holding it is small, and only that part is read tolerantly."""
    try:
        table = pacsv.read_csv(io.BytesIO(block), **_arrow_options(fmt, names))
    except (pa.ArrowInvalid, UnicodeError, ValueError):
        cut = _last_record_end(block[: len(block) // 2]) if len(block) > SMALL_BLOCK else None
        if not cut:
            return _tolerant_block(block, first_line, number, fmt, header)
        head = _parse_block(block[:cut], first_line, number, fmt, header, names)
        tail_line = first_line + block.count(b"\n", 0, cut)
        tail = _parse_block(block[cut:], tail_line, number + head.read, fmt, header, names)
        return _join_chunks(head, tail)
    frame = table.rename_columns(header).to_pandas(types_mapper=arrow_types_mapper())
    return RawChunk(frame, np.arange(number + 1, number + 1 + len(frame), dtype=np.int64))


def _join_chunks(a: RawChunk, b: RawChunk) -> RawChunk:
    frames = [f for f in (a.frame, b.frame) if len(f)] or [a.frame]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    return RawChunk(frame, np.concatenate([a.rows, b.rows]), a.rejects + b.rejects)


def _arrow_options(fmt: CsvFormat, names: list[str]) -> dict[str, Any]:
    encoding = "utf8" if codecs.lookup(fmt.encoding).name in ("utf-8", "utf-8-sig") else fmt.encoding
    return {
        "read_options": pacsv.ReadOptions(
            column_names=[f"c{i}" for i in range(len(names))],
            encoding=encoding,
            block_size=BLOCK * 2,
            use_threads=False,
        ),
        "parse_options": pacsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types={f"c{i}": pa.string() for i in range(len(names))},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def _arrow_names(path: Path, fmt: CsvFormat, skip_lines: int = 0) -> list[str]:
    """The header's fields as written (their count is what every record must have)."""
    with _open_text(path, fmt, errors="replace") as fh:
        _skip_text_lines(fh, skip_lines)
        for record in csv.reader(fh, delimiter=fmt.delimiter):
            if record:
                return record
    return []


def _tolerant_block(
    block: bytes, first_line: int, number: int, fmt: CsvFormat, header: list[str]
) -> RawChunk:
    text = io.TextIOWrapper(io.BytesIO(block), encoding=fmt.encoding, errors="surrogateescape", newline="")
    chunks = list(
        _tolerant_records(
            text,
            fmt,
            header,
            chunk_rows=len(block) + 1,
            skip=0,
            number=number,
            line_offset=first_line - 1,
            has_header=False,
        )
    )
    return (
        chunks[0] if chunks else RawChunk(pd.DataFrame(columns=header, dtype=object), np.zeros(0, np.int64))
    )


def _bad_bytes(values: list[str], encoding: str) -> str:
    found = SURROGATES.findall("".join(values))
    raw = bytes(ord(ch) - 0xDC00 for ch in found[:8])
    return f"bytes {raw!r} are not valid {encoding}"


def _clean(values: list[str]) -> list[str]:
    return [SURROGATES.sub("\ufffd", v) for v in values]


def _judge(
    record: list[str], width: int, fmt: CsvFormat, line: int
) -> tuple[list[str] | None, dict[str, Any]]:
    """(the values to stage, or None and why not)."""
    if len(record) > width and not any(v.strip() for v in record[width:]):
        record = record[:width]  # trailing delimiters only: nothing is lost
    if SURROGATES.search("\x1f".join(record)):
        return None, {
            "reason": Reason.ENCODING.value,
            "detail": f"line {line}: {_bad_bytes(record, fmt.encoding)}",
        }
    if len(record) != width:
        detail = f"line {line}: {len(record)} fields, the header has {width}"
        return None, {"reason": Reason.FIELD_COUNT.value, "detail": detail}
    return record, {}


def _tolerant_chunks(
    path: Path, fmt: CsvFormat, header: list[str], chunk_rows: int, skip: int, skip_lines: int = 0
) -> Iterator[RawChunk]:
    with _open_text(path, fmt) as fh:
        _skip_text_lines(fh, skip_lines)
        yield from _tolerant_records(
            fh, fmt, header, chunk_rows, skip=skip, number=-1, line_offset=skip_lines, has_header=True
        )


def _tolerant_records(
    fh: Any,
    fmt: CsvFormat,
    header: list[str],
    chunk_rows: int,
    *,
    skip: int,
    number: int,
    line_offset: int,
    has_header: bool,
) -> Iterator[RawChunk]:
    """Python's csv module, record by record: bad records become rejects, good ones a frame.

    `number` is the record number before the first one read (-1 when the header comes first).
    """
    width = len(header)
    good: list[list[str]] = []
    numbers: list[int] = []
    rejects: list[dict[str, Any]] = []
    reader = csv.reader(fh, delimiter=fmt.delimiter)
    last_line = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            if number > skip:
                detail = f"line {line_offset + reader.line_num}: {exc}"
                rejects.append({"source_row": number, "reason": Reason.PARSE_ERROR.value, "detail": detail})
            last_line = reader.line_num
            continue
        first_line, last_line = last_line + 1, reader.line_num
        if not record:
            continue
        number += 1
        if number <= skip or (has_header and number == 0):
            continue
        values, problem = _judge(record, width, fmt, line_offset + first_line)
        if values is None:
            rejects.append({"source_row": number, **problem, **raw_record(header, _clean(record))})
        else:
            good.append(values)
            numbers.append(number)
        if len(good) + len(rejects) >= chunk_rows:
            yield _tolerant_chunk(header, good, numbers, rejects)
            good, numbers, rejects = [], [], []
    if good or rejects:
        yield _tolerant_chunk(header, good, numbers, rejects)


def _tolerant_chunk(
    header: list[str], good: list[list[str]], numbers: list[int], rejects: list[dict]
) -> RawChunk:
    frame = (
        pd.DataFrame(good, columns=header, dtype=object)
        if good
        else pd.DataFrame(columns=header, dtype=object)
    )
    return RawChunk(frame.astype(text_dtype()), np.asarray(numbers, dtype=np.int64), rejects)
