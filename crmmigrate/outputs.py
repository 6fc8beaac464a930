"""The `out/` folder's contract: every file a stage's result is written to, by name, and the one
reader and writer of each, in one place.

Other tools read these files (a CI job reads `junit.xml`, a sign-off reads `reconciliation.html`,
`crmmigrate load CONFIG` reads the golden set dedupe wrote), so their names are an interface:
stages and commands name them through the constants here, never as literals. Stage functions
write nothing: the orchestrator (`pipeline.run`) and the stage commands write their results
through the writers here, and read an earlier stage's through the readers. A writer or reader
takes a run's folder (`out`), or, for a command's standalone `--in FILE --out FILE` form, the
file's own path (`path=`, or one keyword per file); the files are the same either way.

The CLI imports this module at start-up: pandas, pyarrow and GX are imported where they are used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, OutputError

if TYPE_CHECKING:  # names only: the CLI imports this module at start-up
    import pandas as pd

    from .dedupe.result import DedupeResult
    from .reconcile import Reconciliation
    from .stage_results import Extracted, Golden, HeldRows
    from .validate.report import ValidationReport

# extract
STAGED = "staged.parquet"
REJECTS = "rejects.csv"
EXTRACT_COUNTS = "extract_counts.json"
# standardise
CLEAN = "clean.parquet"
# dedupe
GOLDEN = "golden.parquet"
GOLDEN_CSV = "golden.csv"
XREF = "xref.csv"
REVIEW = "review.csv"
LINEAGE = "golden_lineage.csv"
MODEL = "match_model.json"
# validate
VALIDATION = "validation.json"
JUNIT = "junit.xml"
FAILURES = "validation_failures.csv"
# reconcile
RECONCILIATION_JSON = "reconciliation.json"
RECONCILIATION_HTML = "reconciliation.html"
RECONCILIATION_MD = "reconciliation.md"

#: The files each stage writes into `out/`, in stage order.
STAGE_OUTPUTS: dict[str, tuple[str, ...]] = {
    "extract": (STAGED, REJECTS, EXTRACT_COUNTS),
    "standardise": (CLEAN,),
    "dedupe": (GOLDEN, GOLDEN_CSV, XREF, REVIEW, LINEAGE, MODEL),
    "validate": (VALIDATION, JUNIT, FAILURES),
    "load": (),
    "reconcile": (RECONCILIATION_JSON, RECONCILIATION_HTML, RECONCILIATION_MD),
}
#: Never removed: `dedupe.model` may name it as the model to use.
KEPT = frozenset({MODEL})
#: Outputs of the stages after extract: a run with nothing to do removes them, so that no later
#: command (`load CONFIG`, `validate CONFIG`) picks up an earlier run's golden set as this run's.
DOWNSTREAM_OUTPUTS = (CLEAN, GOLDEN, GOLDEN_CSV, XREF, REVIEW, LINEAGE, VALIDATION, JUNIT, FAILURES)


def _at(out: Path | None, name: str, path: str | Path | None) -> Path:
    """`path` when given (a standalone command's file), else the file `name` in the run's `out`."""
    if path is not None:
        return Path(path)
    if out is None:
        raise TypeError(f"give the run's folder or the path of {name}")
    return Path(out) / name


def read_output(out: Path, name: str, stage: str) -> pd.DataFrame:
    """A table an earlier stage wrote into `out`; an InputError naming the stage to run first."""
    from .tables import read_table

    path = out / name
    if not path.exists():
        raise InputError(
            f"{name} not found: the {stage} stage has not run yet",
            file=str(path),
            hint=f"run `crmmigrate {stage}` with the same config first (or `crmmigrate run`)",
        )
    return read_table(path)


def _read(out: Path | None, name: str, stage: str, path: str | Path | None) -> pd.DataFrame:
    if path is None:
        return read_output(_at(out, name, None).parent, name, stage)
    from .tables import read_table

    return read_table(path)


# -- extract ----------------------------------------------------------------------------------


def write_staged(
    staged: pd.DataFrame,
    rejects: pd.DataFrame,
    files: Mapping[str, Sequence[Any]],
    out: Path | None = None,
    *,
    staged_path: str | Path | None = None,
    rejects_path: str | Path | None = None,
) -> list[Path]:
    """The staged rows and the rejects; a glob or directory source's rejects name their file
    (`files`: each source's `extract.files.FileCounts`, empty for a single file)."""
    from .extract.files import with_file_lineage
    from .tables import write_table

    return [
        write_table(staged, _at(out, STAGED, staged_path)),
        write_table(with_file_lineage(rejects, files), _at(out, REJECTS, rejects_path)),
    ]


def write_extracted(extracted: Extracted, out: Path) -> list[Path]:
    """The extract stage's files in a run's `out`: staged rows, rejects and the counts per source
    that reconcile checks the later stages against."""
    from .tables import write_text

    counts = {name: c.as_dict() for name, c in extracted.counts.items()}
    write_text(out / EXTRACT_COUNTS, json.dumps(counts, indent=2))
    files = {name: c.files for name, c in extracted.counts.items()}
    return [*write_staged(extracted.staged, extracted.rejects, files, out), out / EXTRACT_COUNTS]


def read_staged(out: Path | None = None, *, path: str | Path | None = None) -> pd.DataFrame:
    return _read(out, STAGED, "extract", path)


def read_extracted(out: Path) -> Extracted:
    """What the extract stage of a run left in `out`, as `pipeline.extract_all` returned it."""
    from .reconcile import SourceCounts
    from .stage_results import Extracted

    path = out / EXTRACT_COUNTS
    if not path.exists():
        raise InputError(
            f"{EXTRACT_COUNTS} not found: the extract stage has not run yet",
            file=str(path),
            hint="run `crmmigrate extract` with the same config first",
        )
    raw = json.loads(path.read_text(encoding="utf-8"))
    counts = {name: SourceCounts.from_dict(c) for name, c in raw.items()}
    return Extracted(
        staged=read_output(out, STAGED, "extract"),
        rejects=read_output(out, REJECTS, "extract"),
        counts=counts,
    )


# -- standardise ------------------------------------------------------------------------------


def write_clean(
    clean: pd.DataFrame | HeldRows, out: Path | None = None, *, path: str | Path | None = None
) -> Path:
    """The clean rows: a frame, or rows an engine holds elsewhere (`Standardised.rows`), written a
    slice at a time as they come."""
    import pandas as pd

    from .tables import write_slices, write_table

    if isinstance(clean, pd.DataFrame):
        return write_table(clean, _at(out, CLEAN, path))
    return write_slices(clean.slices(), clean.schema(), _at(out, CLEAN, path))


def read_clean(out: Path | None = None, *, path: str | Path | None = None) -> pd.DataFrame:
    """The clean rows; from a file of any origin (`path`), `source_row` is read as a number."""
    if path is None:
        return _read(out, CLEAN, "standardise", None)
    import pandas as pd

    clean = _read(None, CLEAN, "standardise", path)
    if "source_row" in clean.columns:
        clean["source_row"] = pd.to_numeric(clean["source_row"], errors="coerce").astype("Int64")
    return clean


# -- dedupe -----------------------------------------------------------------------------------


def write_matched(result: DedupeResult, folder: Path) -> None:
    """Dedupe's files in `folder` (a run's out/, or `dedupe --out`): the golden set as Parquet and
    CSV, the cross-reference, the pairs to review, the golden values' lineage, the match model."""
    from .dedupe.result import save_model
    from .tables import write_table

    write_table(result.golden, folder / GOLDEN)
    write_table(result.golden, folder / GOLDEN_CSV)
    write_table(result.xref, folder / XREF)
    write_table(result.review, folder / REVIEW)
    write_table(result.lineage, folder / LINEAGE)
    save_model(result, folder / MODEL)


def read_golden(out: Path) -> Golden:
    """The golden set, cross-reference and lineage dedupe wrote into a run's `out`."""
    import pandas as pd

    from .stage_results import Golden
    from .tables import read_table

    golden = read_output(out, GOLDEN, "dedupe")
    xref = read_output(out, XREF, "dedupe")
    xref["source_row"] = pd.to_numeric(xref["source_row"]).astype("int64")
    lineage_path = out / LINEAGE
    lineage = read_table(lineage_path) if lineage_path.exists() else None
    if lineage is not None and "source_row" in lineage.columns:
        lineage["source_row"] = pd.to_numeric(lineage["source_row"]).astype("int64")
    return Golden(golden=golden, xref=xref, lineage=lineage)


# -- validate ---------------------------------------------------------------------------------


def write_validation(
    report: ValidationReport,
    out: Path | None = None,
    *,
    json_path: str | Path | None = None,
    junit_path: str | Path | None = None,
    html_path: str | Path | None = None,
    failures_path: str | Path | None = None,
    markdown_path: str | Path | None = None,
) -> list[Path]:
    """The validation's renderings: with `out`, a run's validation.json, junit.xml and
    validation_failures.csv in it; and any rendering given a path. Returns the paths written."""
    from .tables import write_table, write_text
    from .validate.render import to_html, to_json, to_junit, to_markdown

    if out is not None:
        json_path = _at(out, VALIDATION, json_path)
        junit_path = _at(out, JUNIT, junit_path)
        failures_path = _at(out, FAILURES, failures_path)
    written: list[Path] = []
    for path, render in (
        (json_path, to_json),
        (junit_path, to_junit),
        (html_path, to_html),
        (markdown_path, to_markdown),
    ):
        if path:
            written.append(write_text(path, render(report)))
    if failures_path:
        written.append(write_table(report.failures, failures_path))
    return written


def read_validation_passed(out: Path | None = None, *, path: str | Path | None = None) -> bool:
    """Whether the validation written into `out` (or to `path`) passed its error rules."""
    where = _at(out, VALIDATION, path)
    if not where.exists():
        raise InputError(
            f"{VALIDATION} not found: the validate stage has not run yet",
            file=str(where),
            hint="run `crmmigrate validate` with the same config first",
        )
    return bool(json.loads(where.read_text(encoding="utf-8"))["passed"])


# -- reconcile --------------------------------------------------------------------------------


def write_reconciliation(rec: Reconciliation, out: Path, *, committed_run: str | None = None) -> list[Path]:
    """The report as JSON, HTML and Markdown in `out`. A file that cannot be written is an
    OutputError naming it; with `committed_run` (the run whose load committed), one that says the
    load stands and how to write the report again."""
    from . import tables
    from .reconcile import to_html, to_json, to_markdown

    written = []
    for name, render in (
        (RECONCILIATION_JSON, to_json),
        (RECONCILIATION_HTML, to_html),
        (RECONCILIATION_MD, to_markdown),
    ):
        try:
            written.append(tables.write_text(out / name, render(rec)))
        except OSError as exc:
            committed = (
                f"; the load itself committed (run {committed_run}): once the folder is writable, "
                "`crmmigrate reconcile CONFIG` writes the report again"
                if committed_run
                else ""
            )
            raise OutputError(
                f"{out / name}: could not write the reconciliation report ({exc.strerror or exc}){committed}"
            ) from exc
    return written


def read_reconciliation(out: Path | None = None, *, path: str | Path | None = None) -> Reconciliation:
    from .reconcile import load_json

    return load_json(_at(out, RECONCILIATION_JSON, path))
