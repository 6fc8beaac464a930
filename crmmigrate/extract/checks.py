"""Checking every source before any work: the file is there (or the database answers), its
format is known, its mapping resolves, and every mapped column is in its header. All problems
are reported at once, each naming the source, the column and the columns the file has."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from ..errors import CrmMigrateError, InputError, MappingError
from ..mappings import resolve_mapping
from ..mappings.spec import MappingSpec
from .csvfile import header_line
from .files import REMOTE_FILES_HINT, file_label, is_many, is_remote, source_files
from .mapper import missing_columns, spec_problems
from .readers import Reader, open_reader

if TYPE_CHECKING:
    from ..config import RunConfig, SourceConfig

MAX_LISTED = 40


def _listing(columns: list[str]) -> str:
    shown = ", ".join(columns[:MAX_LISTED])
    more = len(columns) - MAX_LISTED
    return shown + (f" … and {more} more" if more > 0 else "")


def column_problems(name: str, spec: MappingSpec, reader: Reader, *, file: str | None = None) -> list[str]:
    """One line per mapped column missing from the source's header (`file`: which file of a glob
    or directory source the header is of)."""
    lines = _column_problems(name, spec, reader)
    if file is None:
        return lines
    head = f"source {name!r}: "
    return [f"{head}file {file}: {line[len(head) :]}" if line.startswith(head) else line for line in lines]


def _column_problems(name: str, spec: MappingSpec, reader: Reader) -> list[str]:
    columns = reader.columns()
    missing = missing_columns(spec, columns)
    if missing and hasattr(reader, "all_columns"):  # NDJSON: the header was a sample
        columns = reader.all_columns()
        missing = missing_columns(spec, columns)
    lines = []
    below = _header_below(reader, {column for _, column in missing_columns(spec, [])}) if missing else None
    if below is not None:
        return [
            f"source {name!r}: the mapped columns are not in the first line but all on line {below}, "
            f"below a title or notes: set `header_row: {below}` for this source"
        ]
    for target, column in missing:
        near = difflib.get_close_matches(column, columns, n=1, cutoff=0.6)
        guess = f" (did you mean {near[0]!r}?)" if near else ""
        lines.append(
            f"source {name!r}: column {column!r} (for {target}) is not in the file{guess}; "
            f"the file has: {_listing(columns)}"
        )
    return lines


def _header_below(reader: Reader, mapped: set[str]) -> int | None:
    """The line (row) further down that holds every mapped column, when the reader can look."""
    look = getattr(reader, "first_records", None)
    if look is None or not mapped or getattr(reader, "header_row", None):
        return None
    line = header_line(look(), mapped)
    return line if line is not None and line > 1 else None


#: One problem: its text, and the hint that goes with it (None when the generic one fits).
Problem = tuple[str, "str | None"]


def source_problems(source: SourceConfig, config: RunConfig) -> tuple[list[str], bool]:
    """(problems, whether any is a mapping problem) of one source."""
    found, mapping_trouble = _source_problems(source, config)
    return [text + (f" ({hint})" if hint else "") for text, hint in found], mapping_trouble


def _source_problems(source: SourceConfig, config: RunConfig) -> tuple[list[Problem], bool]:
    location = config.source_path(source)
    problems: list[Problem] = []
    mapping_trouble = False
    spec = reader = None
    try:
        spec = resolve_mapping(source, config)
        problems += [(f"source {source.name!r}: mapping: {p}", None) for p in spec_problems(spec)]
        mapping_trouble = bool(problems)
    except MappingError as exc:
        problems.append(_describe(source, exc))
        mapping_trouble = True
    if is_remote(location):  # read by Spark tasks, which check each file's columns
        if config.engine != "spark":
            problems.append(
                (
                    f"source {source.name!r}: {location}: on a cluster file system, "
                    "which the pandas engine does not read",
                    REMOTE_FILES_HINT,
                )
            )
        return problems, mapping_trouble
    try:
        files = source_files(location, source.format) if is_many(location) else [None]
    except InputError as exc:
        return [*problems, _describe(source, exc)], mapping_trouble
    for path in files:
        label = file_label(path, config.base_dir) if path is not None else None
        try:
            reader = open_reader(source, location if path is None else str(path))
            if spec is not None:
                found = column_problems(source.name, spec, reader, file=label)
                problems += [(line, None) for line in found]
                mapping_trouble = mapping_trouble or bool(found)
            else:
                reader.columns()
        except InputError as exc:
            problems.append(_describe(source, exc))
    return problems, mapping_trouble


def _describe(source: SourceConfig, exc: CrmMigrateError) -> Problem:
    text = str(exc)
    if not text.startswith(f"source {source.name!r}"):
        text = f"source {source.name!r}: {text}"
    return text, exc.hint


GENERIC_HINT = (
    "fix the mapping or the path (`crmmigrate profile FILE --suggest-mapping draft.yml` drafts one)"
)


def check_sources(config: RunConfig) -> None:
    """Raise one MappingError (or InputError) listing every problem of every source.

    A single problem is raised as it is, with its own hint, so the message stays one line
    (plus the hint) that names the file and what is wrong with it.
    """
    problems: list[Problem] = []
    mapping_trouble = False
    for source in config.sources:
        found, is_mapping = _source_problems(source, config)
        problems += found
        mapping_trouble = mapping_trouble or is_mapping
    if not problems:
        return
    kind = MappingError if mapping_trouble else InputError
    if len(problems) == 1:
        text, hint = problems[0]
        raise kind(text, hint=hint or GENERIC_HINT)
    hints = {hint for _, hint in problems}
    shared = hints.pop() if len(hints) == 1 else None  # one hint for all: said once, as the hint
    lines = [text + (f" ({hint})" if hint and not shared else "") for text, hint in problems]
    listing = "\n  - ".join(lines)
    raise kind(f"{len(problems)} problems with the sources:\n  - {listing}", hint=shared or GENERIC_HINT)
