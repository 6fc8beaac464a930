"""JSON exports: an array of records, an object holding one (API dumps: `{"results": [...]}`),
or NDJSON (one record per line). Nested objects become dotted column names
(`properties.email`), lists of plain values are joined with "; ".

A JSON array is parsed whole (the format cannot be split safely); NDJSON is streamed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import Reason
from .binary import check_text_file
from .chunk import RawChunk
from .encoding import detect_encoding
from .text import cell_text

HEADER_SAMPLE = 1000


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"a.b": 1}`, to any depth."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _records_in(data: Any, key: str | None, path: Path) -> list[Any]:
    if key:
        node = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, list):
            raise InputError(f"no array of records under {key!r}", file=str(path))
        return node
    if isinstance(data, list):
        if not any(isinstance(r, dict) for r in data):
            first = json.dumps(data[0])[:40] if data else ""
            what = f"holds no objects of fields (the first item is {first})" if data else "is empty"
            raise InputError(
                f"the JSON array {what}: there are no records to read",
                file=str(path),
                hint='export the records as an array of objects, e.g. [{"id": 1, "email": "…"}]',
            )
        return data
    if isinstance(data, dict):
        arrays = {
            k: v for k, v in data.items() if isinstance(v, list) and any(isinstance(r, dict) for r in v)
        }
        if len(arrays) == 1:
            return next(iter(arrays.values()))
        if not arrays and data:
            return [data]  # a single record
        raise InputError(
            f"the JSON object holds {len(arrays)} arrays of records: {', '.join(arrays) or '(none)'}",
            file=str(path),
            hint="name the one to read with `table:` in the source config",
        )
    raise InputError("the JSON file holds neither an array nor an object of records", file=str(path))


def _columns_of(records: Iterable[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            for name in flatten(record):
                seen.setdefault(name, None)
    return list(seen)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_unicode(row: dict[str, str | None]) -> str | None:
    """The first field whose name or value holds a lone surrogate (JSON allows `"\\ud800"`, UTF-8
    cannot store it), or None."""
    for key, value in row.items():
        if not _is_unicode(key) or (value is not None and not _is_unicode(value)):
            return key
    return None


def _shown(text: str | None) -> str | None:
    """`text` with any lone surrogate written as its escape, so a reject can be written."""
    return None if text is None else text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class JsonReader:
    path: Path
    lines: bool = False
    records_key: str | None = None

    def _text_lines(self) -> Iterator[tuple[int, str]]:
        encoding = detect_encoding(self.path)
        check_text_file(self.path, encoding)
        with self.path.open(encoding=encoding, errors="replace") as fh:
            for line_no, line in enumerate(fh, start=1):
                if line.strip():
                    yield line_no, line

    def _ndjson(self) -> Iterator[tuple[int, Any, str | None]]:
        """(line number, record or None, error)."""
        for line_no, line in self._text_lines():
            try:
                yield line_no, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield line_no, None, f"line {line_no}: not valid JSON ({exc.msg})"
            except RecursionError:
                yield line_no, None, f"line {line_no}: JSON nested too deeply to read"

    def _array(self) -> list[Any]:
        encoding = detect_encoding(self.path)
        check_text_file(self.path, encoding)
        try:
            text = self.path.read_text(encoding=encoding, errors="replace")
            data = json.loads(text)
        except RecursionError:
            raise InputError("the JSON is nested too deeply to read", file=str(self.path)) from None
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":  # one object per line in a .json file
                self.lines = True
                return []
            raise InputError(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", file=str(self.path)
            ) from None
        return _records_in(data, self.records_key, self.path)

    def columns(self) -> list[str]:
        if not self.lines:
            records = self._array()
            if not self.lines:
                return _columns_of(records)
        sample = [rec for _, rec, _ in islice(self._ndjson(), HEADER_SAMPLE)]
        return _columns_of(sample)

    def all_columns(self) -> list[str]:
        """Every column of an NDJSON file (a full scan; used only when the sample lacks one)."""
        if not self.lines:
            return self.columns()
        return _columns_of(rec for _, rec, _ in self._ndjson())

    def chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        if not self.lines:
            records = self._array()
            if not self.lines:
                items = ((None, rec, None) for rec in records)
                return self._chunked(items, chunk_rows)
        return self._chunked(self._ndjson(), chunk_rows)

    def _chunked(
        self, items: Iterator[tuple[int | None, Any, str | None]], chunk_rows: int
    ) -> Iterator[RawChunk]:
        number = 0
        while True:
            block = list(islice(items, chunk_rows))
            if not block and number > 0:
                return
            good: list[dict[str, str | None]] = []
            numbers: list[int] = []
            rejects: list[dict[str, Any]] = []
            for line_no, record, error in block:
                number += 1
                if error is None and not isinstance(record, dict):
                    where = f"line {line_no}: " if line_no else ""
                    error = f"{where}a {type(record).__name__}, not an object of fields"
                if error is not None:
                    raw = {"value": cell_text(record)} if record is not None else {}
                    rejects.append(
                        {"source_row": number, "reason": Reason.PARSE_ERROR.value, "detail": error, **raw}
                    )
                    continue
                row = {k: cell_text(v) for k, v in flatten(record).items()}
                broken = _not_unicode(row)
                if broken is not None:
                    where = f"line {line_no}, " if line_no else ""
                    rejects.append(
                        {
                            "source_row": number,
                            "reason": Reason.ENCODING.value,
                            "detail": f"{where}field {_shown(broken)!r}: holds a lone surrogate "
                            "(an escape such as \\ud800 that is no character), not text",
                            **{_shown(k): _shown(v) for k, v in row.items()},
                        }
                    )
                    continue
                good.append(row)
                numbers.append(number)
            frame = pd.DataFrame.from_records(good) if good else pd.DataFrame()
            yield RawChunk(frame.astype(object), np.asarray(numbers, dtype=np.int64), rejects)
            if len(block) < chunk_rows:
                return
