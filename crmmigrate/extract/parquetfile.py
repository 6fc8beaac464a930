"""Parquet files, read batch by batch; struct columns become dotted names like JSON."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import InputError
from .chunk import RawChunk
from .text import frame_text


def _flat(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


@dataclass(frozen=True)
class RowGroups:
    """Row groups `start` to `end` (exclusive) of a Parquet file: a share of it one worker reads."""

    start: int
    end: int


def row_group_spans(path: Path, size: int) -> list[RowGroups]:
    """The file's row groups in runs of about `size` bytes (uncompressed), in order."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    spans, start, total = [], 0, 0
    for group in range(meta.num_row_groups):
        total += meta.row_group(group).total_byte_size
        if total >= size or group == meta.num_row_groups - 1:
            spans.append(RowGroups(start, group + 1))
            start, total = group + 1, 0
    return spans


@dataclass
class ParquetReader:
    path: Path
    span: RowGroups | None = None  # only these row groups, numbered from 1

    def _file(self):  # noqa: ANN202 - pyarrow.parquet.ParquetFile
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises many kinds
            raise InputError(f"not a readable Parquet file ({exc})", file=str(self.path)) from None

    def columns(self) -> list[str]:
        schema = self._file().schema_arrow
        return _flat(schema.empty_table()).column_names

    def chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        number = 0
        groups = None if self.span is None else range(self.span.start, self.span.end)
        for batch in self._file().iter_batches(batch_size=chunk_rows, row_groups=groups):
            frame = frame_text(_flat(pa.Table.from_batches([batch])).to_pandas())
            yield RawChunk(frame, np.arange(number + 1, number + 1 + len(frame), dtype=np.int64))
            number += len(frame)
        if number == 0:
            yield RawChunk(
                frame_text(_flat(self._file().schema_arrow.empty_table()).to_pandas()),
                np.zeros(0, dtype=np.int64),
            )
