"""Extract of a glob or directory source as a Spark job: one task per file, each running the
pandas engine's reader and mapping on its file (`extract.extract_one_file`'s steps: encoding and
delimiter detection, mapping templates, value maps, date formats, reject reasons), so a file's
rows are the ones the pandas engine stages and rejects. The driver then numbers the rows on from
file to file and checks legacy keys over the whole source (`extract.combine_files`), as the
pandas engine does. One large CSV or Parquet file is read the same way in spans
(`extract.file_spans`, about SPAN_BYTES each: whole records of a CSV file, whole row groups of a
Parquet file), a span per task, put together by `extract.combine_spans`. Spark's own CSV reader
is not used: it knows neither the mappings nor the reasons a record is rejected, and would give
other rows.

Every executor must see the files at the same path as the driver (a shared or cluster file
system; on `local[*]` they do).
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CrmMigrateError, InputError
from ..extract import ExtractResult, Span, combine_files, combine_spans, file_spans, iter_location
from ..extract.files import DIRECTORY_FORMATS, FileCounts, file_label, is_remote, source_files
from ..extract.mapper import MappingPlan
from ..extract.readers import source_format
from ..extract.text import text_dtype
from ..mappings import resolve_mapping
from ..schema import REJECT_COLUMNS, STAGED_COLUMNS
from .frames import as_text

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from ..config import RunConfig, SourceConfig

#: Rows a task maps at once (one pandas chunk of its file).
TASK_CHUNK_ROWS = 50_000
#: Bytes of one large file a task reads (a span of whole records or row groups).
SPAN_BYTES = 32 << 20
SHARED_FILES_HINT = (
    "every Spark executor must see the files of a glob or directory source at the driver's path "
    "(a shared or cluster file system); or run with --engine pandas"
)
#: What a row of a task's output is: a staged row, a chunk's rejects, the file's totals, an error.
STAGED, REJECTS, TOTALS, ERROR = "staged", "rejects", "totals", "error"


def spark_spans(source: SourceConfig, config: RunConfig) -> list[Span] | None:
    """The spans a single large CSV or Parquet source is read in by Spark tasks (None: not such
    a source)."""
    return file_spans(source, config, SPAN_BYTES)


def spark_extract_source(
    spark: SparkSession, source: SourceConfig, config: RunConfig, spans: list[Span] | None = None
) -> ExtractResult:
    """`extract.extract_source(source, config)` for a glob or directory source, its files read
    by Spark tasks: the same staged rows, rejects, counts and per-file counts. A source on a
    cluster file system (`s3a://…`) is listed and read by Spark, a file per task. With `spans`
    (`spark_spans`), the source's one local file is read a span per task."""
    location = config.source_path(source)
    if is_remote(location):  # files Spark reads from the cluster's file system, a file per task
        files, count = _remote_files(spark, location, source.format)
    else:
        if spans is None:  # a file per task
            paths = source_files(location, source.format)
            work = [(n, str(p), file_label(p, config.base_dir), None) for n, p in enumerate(paths)]
        else:  # a span of the one file per task (errors name the file as the pandas engine does)
            work = [(n, location, None, pickle.dumps(span)) for n, span in enumerate(spans)]
        count = len(work)
        files = spark.createDataFrame(  # one file (or span) per partition, so one per task
            spark.sparkContext.parallelize([(*w, None) for w in work], max(1, count)),
            "number long, path string, label string, span binary, content binary",
        )
    columns = [*STAGED_COLUMNS, *MappingPlan(resolve_mapping(source, config), ()).custom]
    names = [f"c{i}" for i in range(len(columns))]

    def task(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:  # one file or span per task
        for batch in batches:
            for number, path, label, span, content in batch.itertuples(index=False):
                share = None if span is None else pickle.loads(span)
                if content is None:
                    yield from _file_rows(source, config, int(number), path, label, columns, names, share)
                    continue
                with tempfile.TemporaryDirectory() as folder:  # the reader takes a local file
                    local = Path(folder) / PurePosixPath(path).name
                    local.write_bytes(content)
                    del content
                    yield from _file_rows(source, config, int(number), str(local), path, columns, names)

    schema = ", ".join(
        [
            "number long",
            "kind string",
            "payload binary",
            *(
                f"{n} {'long' if c == 'source_row' else 'string'}"
                for n, c in zip(names, columns, strict=True)
            ),
        ]
    )
    table = files.mapInPandas(task, schema).toArrow()  # text stays Arrow text, not Python strings
    kind = table.column("kind")
    markers = table.filter(pc.not_equal(kind, STAGED)).select(["number", "kind", "payload"]).to_pandas()
    staged = table.filter(pc.equal(kind, STAGED)).drop_columns(["kind", "payload"])
    del table
    staged = staged.sort_by([("number", "ascending"), (names[columns.index("source_row")], "ascending")])
    numbers = staged.column("number").to_numpy()
    frame = staged.drop_columns(["number"]).to_pandas(types_mapper=_text_as_staged)
    del staged
    frame.columns = columns
    frame["source_row"] = frame["source_row"].astype("int64")
    bounds = np.searchsorted(numbers, np.arange(count + 1), side="left")
    of_file = markers.groupby("number", sort=False).indices
    parts = [
        _file_result(
            source.name,
            frame.iloc[bounds[i] : bounds[i + 1]].reset_index(drop=True),
            markers.iloc[of_file.get(i, [])],
        )
        for i in range(count)
    ]
    return combine_files(source.name, parts) if spans is None else combine_spans(source.name, parts)


def _remote_files(spark: SparkSession, location: str, declared: str | None) -> tuple[DataFrame, int]:
    """The files at a file-system URL (a file, a folder's files, or a glob), numbered in the order
    of their paths, with their bytes, a file per task: (the frame, how many files)."""
    folder = not PurePosixPath(location.partition("?")[0]).suffix
    reader = spark.read.format("binaryFile")
    if declared and folder:  # a folder's files of the declared format
        fmt = source_format(location, declared)
        suffixes = sorted(s.lstrip(".") for s, f in DIRECTORY_FORMATS.items() if f == fmt)
        reader = reader.option("pathGlobFilter", "*.{" + ",".join(suffixes) + "}")
    try:
        listing = reader.load(location)
        paths = sorted(row.path for row in listing.select("path").collect())
    except Exception as exc:  # pyspark's AnalysisException: the path does not exist, no access
        if type(exc).__name__ not in ("AnalysisException", "Py4JJavaError", "IllegalArgumentException"):
            raise
        raise InputError(
            f"cannot be listed ({str(exc).splitlines()[0][:200]})",
            file=location,
            hint="check `path:` and that the cluster can read it",
        ) from None
    if folder and not declared:  # a folder's data files, all of one format (as a local folder's)
        kinds = {p: DIRECTORY_FORMATS.get(PurePosixPath(p).suffix.lower()) for p in paths}
        paths = [p for p in paths if kinds[p] is not None]
        found = sorted({str(kinds[p]) for p in paths})
        if len(found) > 1:
            raise InputError(
                f"the folder holds files of several formats ({', '.join(found)})",
                file=location,
                hint="point `path:` at a glob of one kind (e.g. folder/*.csv), or set `format:`",
            )
    if not paths:
        raise InputError("the path matches no data file", file=location, hint="check `path:`")
    numbers = spark.createDataFrame(list(enumerate(paths)), "number long, path string")
    files = (
        numbers.join(listing.select("path", "content"), "path")
        .repartitionByRange(len(paths), "number")
        .selectExpr("number", "path", "path AS label", "CAST(NULL AS BINARY) AS span", "content")
    )
    return files, len(paths)


def _text_as_staged(kind: pa.DataType) -> Any:
    """Arrow text as the staged rows' text dtype (what the pandas engine's extract gives)."""
    return text_dtype() if pa.types.is_string(kind) or pa.types.is_large_string(kind) else None


def _file_rows(
    source: SourceConfig,
    config: RunConfig,
    number: int,
    path: str,
    label: str | None,
    columns: list[str],
    names: list[str],
    span: Span | None = None,
) -> Iterator[pd.DataFrame]:
    """A task's output for one file at `path` (or one `span` of the source's file): its staged rows,
    then a row per chunk's rejects (pickled: their raw columns differ from file to file), then
    its totals; a CrmMigrateError as a row the driver raises again (with its file, row and hint)
    instead of a Spark stack trace. `label` names the file in reports (None: a span, named as
    the pandas engine names a single file)."""
    read, unmapped = 0, ()
    try:
        for part in iter_location(source, config, path, TASK_CHUNK_ROWS, file=label, span=span):
            read += part.read
            unmapped = part.unmapped_columns
            if len(part.staged):
                staged = part.staged
                out = {
                    name: staged[c].to_numpy(dtype=np.int64)
                    if c == "source_row"
                    else as_text(staged[c]).to_numpy()
                    for name, c in zip(names, columns, strict=True)
                }
                yield pd.DataFrame({"number": number, "kind": STAGED, "payload": None, **out})
            if len(part.rejects):
                yield _marker(number, REJECTS, part.rejects, names)
    except CrmMigrateError as exc:
        if isinstance(exc, InputError) and exc.message == "file not found":
            exc.hint = SHARED_FILES_HINT
        if label is not None and exc.file == path:  # a cluster file's local copy: name the file
            exc.file = label
        yield _marker(number, ERROR, exc, names)
        return
    except OSError as exc:  # a read that failed on the executor
        yield _marker(
            number, ERROR, InputError(f"cannot be read ({exc})", file=path, hint=SHARED_FILES_HINT), names
        )
        return
    yield _marker(number, TOTALS, (label, read, tuple(unmapped)), names)


def _marker(number: int, kind: str, value: Any, names: list[str]) -> pd.DataFrame:
    row: dict[str, Any] = {"number": [number], "kind": [kind], "payload": [pickle.dumps(value)]}
    row.update({name: [None] for name in names})
    return pd.DataFrame(row)


def _file_result(source: str, staged: pd.DataFrame, markers: pd.DataFrame) -> ExtractResult:
    """One file's extract (rows numbered from 1) from its task's output, as `extract_one_file`
    gives it: its staged rows (in order), and its rejects and totals (`markers`)."""
    kinds = markers["kind"].to_numpy()
    for payload in markers.loc[kinds == ERROR, "payload"]:
        raise pickle.loads(payload)
    [totals] = markers.loc[kinds == TOTALS, "payload"].tolist()
    label, read, unmapped = pickle.loads(totals)
    rejects = [pickle.loads(p) for p in markers.loc[kinds == REJECTS, "payload"]]
    rejects.sort(key=lambda part: int(part["source_row"].min()))  # chunks are runs of rows, in order
    return ExtractResult(
        source=source,
        staged=staged,
        rejects=_rejects(rejects),
        read=int(read),
        unmapped_columns=tuple(unmapped),
        files=(FileCounts(label, 1, int(read)),),
    )


def _rejects(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=list(REJECT_COLUMNS))
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
