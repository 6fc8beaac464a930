"""What the extract, standardise and dedupe stages hand on: the frames the orchestrator passes to
the next stage and `outputs` writes into, and reads back from, `out/`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

    from .reconcile.model import CleanFacts


@dataclass(frozen=True)
class Extracted:
    staged: pd.DataFrame
    rejects: pd.DataFrame
    counts: dict[str, Any]  # source name -> reconcile.SourceCounts


class HeldRows(Protocol):
    """Rows an engine holds outside this process (the Spark engine's clean rows), brought here a
    slice at a time to be written."""

    def schema(self) -> pa.Schema:
        """The Arrow schema pandas gives the whole rows (`pa.Schema.from_pandas`)."""
        ...

    def slices(self) -> Iterator[pa.Table]:
        """The rows in their order, a slice at a time, each a table of `schema()`."""
        ...

    def release(self) -> None:
        """Let go of the rows (after the last write)."""
        ...


@dataclass(frozen=True)
class Standardised:
    """What the standardise stage hands on. `clean`: the clean rows as the later stages read them
    (the pandas engine: every column; the Spark engine leaves the columns only `clean.parquet`
    and the report need, the `_raw` twins and the phone's zone and extension, in Spark, and
    sends each keyless row's `dedupe.ids.CONTENT_DIGEST` instead); `facts`: what the report needs
    of every column; `rows`: the whole clean rows, for `outputs.write_clean`."""

    clean: pd.DataFrame
    facts: CleanFacts
    rows: pd.DataFrame | HeldRows

    @property
    def held(self) -> HeldRows | None:
        """The rows when the engine holds them elsewhere, None when they are here."""
        return None if isinstance(self.rows, pd.DataFrame) else self.rows

    def release(self) -> None:
        if self.held is not None:
            self.held.release()


@dataclass(frozen=True)
class Golden:
    golden: pd.DataFrame
    xref: pd.DataFrame
    lineage: pd.DataFrame | None
