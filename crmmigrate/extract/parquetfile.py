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


@dataclass
class ParquetReader:
    path: Path

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
        for batch in self._file().iter_batches(batch_size=chunk_rows):
            frame = frame_text(_flat(pa.Table.from_batches([batch])).to_pandas())
            yield RawChunk(frame, np.arange(number + 1, number + 1 + len(frame), dtype=np.int64))
            number += len(frame)
        if number == 0:
            yield RawChunk(
                frame_text(_flat(self._file().schema_arrow.empty_table()).to_pandas()),
                np.zeros(0, dtype=np.int64),
            )
