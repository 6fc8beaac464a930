"""Profiling an unknown export: per column how full it is, how varied, its commonest values and
shapes, and the kind of data it holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..extract.readers import CsvReader, open_reader, source_format
from ..mappings.spec import MappingSpec
from .headers import header_scores
from .kinds import PERSONAL_KINDS, detect_kind
from .patterns import value_pattern

MAX_ROWS = 200_000  # records profiled; enough to judge a column, quick on any file
SAMPLE_VALUES = 3_000  # values a kind and the shapes are judged on
TOP = 5
PERSONAL_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "mobile_phone",
        "address_line1",
        "date_of_birth",
    }
)
DATE_FORMATS = (
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d.%m.%y",
    "%d/%m/%y",
    "%m/%d/%y",
)
TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    filled: int
    fill_rate: float
    distinct: int
    top_values: tuple[tuple[str, int], ...]
    patterns: tuple[tuple[str, int], ...]
    kind: str
    kind_share: float
    date_format: str | None  # a strptime format when the dates are not ISO 8601
    personal: bool  # a person's data: masked when printed

    @property
    def distinct_ratio(self) -> float:
        return self.distinct / self.filled if self.filled else 0.0


@dataclass(frozen=True)
class Profile:
    path: str
    format: str
    rows: int
    rejected: int
    truncated: bool  # more records than MAX_ROWS: the profile is of the first ones
    columns: tuple[ColumnProfile, ...]
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None  # the header's line when it is not the first (a title above it)
    files: int = 0  # the files of a glob or directory, profiled as one source (0: one file)

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)


def date_format(values: pd.Series) -> str | None:
    """The strptime format all sampled dates fit, when they are not ISO (which needs none).

    Day-first comes before month-first, so a column whose days never pass 12 reads day-first,
    as most of the seven languages' countries write dates.
    """
    text = values.str.strip()
    if text.str.match(r"^\d{4}-\d{2}-\d{2}").mean() >= 0.9:
        return None
    for base in DATE_FORMATS:
        for suffix in TIME_SUFFIXES:
            fmt = base + suffix
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
            if parsed.notna().mean() >= 0.95:
                return fmt
    return None


def profile_column(name: str, series: pd.Series, seed: int = 0) -> ColumnProfile:
    values = series.dropna()
    values = values[values.astype(str).str.strip() != ""].astype(str)
    counts = values.value_counts()
    filled, total = len(values), len(series)
    sample = values.sample(min(SAMPLE_VALUES, filled), random_state=seed) if filled else values
    shapes = sample.map(value_pattern).value_counts().head(TOP) if filled else pd.Series(dtype=int)
    hints = header_scores(name)
    kind = detect_kind(sample, len(counts) / filled if filled else 0.0, hints)
    fmt = date_format(sample) if kind.kind in ("date", "datetime") else None
    best_field = max(hints, key=lambda f: hints[f]) if hints else None
    personal = kind.kind in PERSONAL_KINDS or (best_field in PERSONAL_FIELDS and hints[best_field] >= 0.6)
    return ColumnProfile(
        name=name,
        filled=filled,
        fill_rate=filled / total if total else 0.0,
        distinct=len(counts),
        top_values=tuple((str(v), int(n)) for v, n in counts.head(TOP).items()),
        patterns=tuple((str(p), int(n)) for p, n in shapes.items()),
        kind=kind.kind,
        kind_share=round(kind.share, 3),
        date_format=fmt,
        personal=personal,
    )


def profile_frame(
    df: pd.DataFrame, *, path: str = "", fmt: str = "", rejected: int = 0, truncated: bool = False
) -> Profile:
    columns = tuple(profile_column(str(c), df[c]) for c in df.columns)
    return Profile(
        path=path, format=fmt, rows=len(df), rejected=rejected, truncated=truncated, columns=columns
    )


def profile_file(
    path: str | Path,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
    max_rows: int = MAX_ROWS,
    header_row: int | None = None,
) -> Profile:
    """Profile an export (any format `extract` reads, or a SQL URL with `table`/`query`; a glob or a
    directory of files profiled as one source, as `extract` reads it). A CSV or Excel file whose
    first line is a title (narrower than the lines below it) is read from the line its header
    stands on, unless `header_row` says where that is."""
    from ..config import SourceConfig
    from ..extract.files import is_many, source_files

    location = str(path)
    files = [str(f) for f in source_files(location)] if is_many(location) else [location]
    name = re.sub(r"\W+", "_", Path(location).stem) or "source"
    source = SourceConfig(
        name=name,
        path=location,
        mapping=MappingSpec(),
        delimiter=delimiter,
        encoding=encoding,
        sheet=sheet,
        table=table,
        query=query,
        header_row=header_row,
    )
    reader = open_reader(source, files[0])
    if header_row is None and hasattr(reader, "first_records"):
        from ..extract.csvfile import guess_header_line

        header_row = guess_header_line(reader.first_records())
        if header_row is not None:
            source = source.model_copy(update={"header_row": header_row})
            reader = open_reader(source, files[0])
    first_reader = reader
    frames, rejected, read, truncated = [], 0, 0, False
    for n, file in enumerate(files):
        if truncated:
            break
        reader = first_reader if n == 0 else open_reader(source, file)
        for chunk in reader.chunks(min(max_rows, 50_000)):
            frames.append(chunk.frame)
            rejected += len(chunk.rejects)
            read += len(chunk.frame)
            if read >= max_rows:
                truncated = True
                break
    reader = first_reader
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df = df.reindex(columns=reader.columns()) if not len(df.columns) else df
    shown = location
    if "://" in location:  # a database URL: never its password
        from ..store.engine import mask_url

        shown = mask_url(location)
    profile = profile_frame(
        df.head(max_rows),
        path=shown,
        fmt=source_format(files[0], None),
        rejected=rejected,
        truncated=truncated,
    )
    if isinstance(reader, CsvReader):
        profile = Profile(
            **{**profile.__dict__, "encoding": reader.format.encoding, "delimiter": reader.format.delimiter}
        )
    if header_row is not None and header_row > 1:
        profile = Profile(**{**profile.__dict__, "header_row": header_row})
    if len(files) > 1 or files[0] != location:
        profile = Profile(**{**profile.__dict__, "files": len(files)})
    return profile
