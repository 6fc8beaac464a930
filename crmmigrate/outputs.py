"""The `out/` folder's contract: every file a stage writes there, by name, in one place.

Other tools read these files (a CI job reads `junit.xml`, a sign-off reads `reconciliation.html`,
`crmmigrate load CONFIG` reads the golden set dedupe wrote), so their names are an interface:
stages and commands name them through the constants here, never as literals.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:  # names only: the CLI imports this module at start-up
    import pandas as pd

    from .dedupe.result import DedupeResult

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
