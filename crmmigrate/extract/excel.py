"""Excel workbooks (.xlsx), read row by row in openpyxl's read-only mode."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import Reason
from .chunk import RawChunk, raw_record
from .text import cell_text, dedupe_names


def _blank(row: tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


@dataclass
class ExcelReader:
    path: Path
    sheet: str | int | None = None
    header_row: int | None = None  # the header's row; the rows above it (a title, notes) are skipped

    def _open(self) -> Any:
        import openpyxl

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile, xml and openpyxl errors alike
            raise InputError(f"not a readable .xlsx workbook ({exc})", file=str(self.path)) from None
        names = book.sheetnames
        chosen: str | None = None
        if self.sheet is None:
            chosen = names[0]
        elif isinstance(self.sheet, int) or str(self.sheet).isdigit():
            index = int(self.sheet)
            chosen = names[index] if 0 <= index < len(names) else None
        elif self.sheet in names:
            chosen = str(self.sheet)
        if chosen is not None:
            sheet = book[chosen]
            # The sheet's stated size is a claim of the file, not a fact: a small file stating
            # A1:XFD1048576 would have every row padded to 16,384 cells and a million rows made up.
            # Without it, rows are read as they are written.
            sheet.reset_dimensions()
            return book, sheet
        book.close()
        raise InputError(
            f"no sheet {self.sheet!r} in the workbook",
            file=str(self.path),
            hint=f"sheets: {', '.join(names)} (`sheet:` takes a name or a 0-based index)",
        )

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        book, sheet = self._open()
        try:
            yield from sheet.iter_rows(values_only=True)
        finally:
            book.close()

    def _header(self, rows: Iterator[tuple[Any, ...]]) -> list[str]:
        for _ in range((self.header_row or 1) - 1):
            if next(rows, None) is None:
                break
        for row in rows:
            if not _blank(row):
                cells = list(row)
                while cells and (cells[-1] is None or str(cells[-1]).strip() == ""):
                    cells.pop()
                return dedupe_names(cells)
        where = f" at or below row {self.header_row}" if self.header_row else ""
        raise InputError(f"the sheet is empty (no header row{where})", file=str(self.path))

    def columns(self) -> list[str]:
        return self._header(self._rows())

    def first_records(self, within: int = 30) -> list[tuple[int, list[str]]]:
        """(row, cells as text) of the sheet's first `within` rows."""
        out = []
        for number, row in enumerate(self._rows(), start=1):
            if number > within:
                break
            out.append((number, ["" if v is None else str(v) for v in row]))
        return out

    def chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        rows = self._rows()
        header = self._header(rows)
        width = len(header)
        good: list[list[str | None]] = []
        numbers: list[int] = []
        rejects: list[dict[str, Any]] = []
        number = 0
        for row in rows:
            if _blank(row):
                continue
            number += 1
            values = [cell_text(v) for v in row]
            extra = [v for v in values[width:] if v not in (None, "")]
            if extra:
                detail = f"{len(values)} cells with a value beyond the {width} headed columns"
                rejects.append(
                    {
                        "source_row": number,
                        "reason": Reason.FIELD_COUNT.value,
                        "detail": detail,
                        **raw_record(header, values),
                    }
                )
            else:
                good.append((values + [None] * width)[:width])
                numbers.append(number)
            if len(good) + len(rejects) >= chunk_rows:
                yield _chunk(header, good, numbers, rejects)
                good, numbers, rejects = [], [], []
        if good or rejects or number == 0:
            yield _chunk(header, good, numbers, rejects)


def _chunk(header: list[str], good: list, numbers: list[int], rejects: list[dict]) -> RawChunk:
    frame = (
        pd.DataFrame(good, columns=header, dtype=object)
        if good
        else pd.DataFrame(columns=header, dtype=object)
    )
    return RawChunk(frame, np.asarray(numbers, dtype=np.int64), rejects)
