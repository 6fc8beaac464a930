"""The dedupe stage on files: standalone `crmmigrate dedupe` and `crmmigrate explain` read and write
the same outputs as a full run (golden, xref, review, lineage, the match model)."""

from __future__ import annotations

from pathlib import Path

from .. import outputs
from ..errors import InputError
from ..outputs import CLEAN, MODEL, XREF
from ..tables import read_table
from .decisions import load_decisions
from .evaluate import Evaluation, evaluate, labelled_positions, labels_from_truth, read_labels
from .explain import Explanation, PairExplanation, explain_cluster, explain_pair
from .model import MatchModel
from .result import DedupeResult
from .settings import DedupeSettings, SurvivorshipSettings
from .stage import dedupe


def dedupe_files(
    input_path: str | Path,
    out_dir: str | Path,
    settings: DedupeSettings | None = None,
    survivorship: SurvivorshipSettings | None = None,
    *,
    decisions_path: str | Path | None = None,
    known_ids_path: str | Path | None = None,
) -> DedupeResult:
    """Dedupe a clean file into `out_dir`: golden.parquet/.csv, xref.csv, review.csv,
    golden_lineage.csv and match_model.json."""
    clean = outputs.read_clean(path=input_path)
    decisions = load_decisions(decisions_path) if decisions_path else None
    known = read_table(known_ids_path) if known_ids_path else None
    result = dedupe(clean, settings, survivorship, known_ids=known, decisions=decisions)
    outputs.write_matched(result, Path(out_dir))
    return result


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(
            f"{what} not found", file=str(path), hint="run `crmmigrate run` or `crmmigrate dedupe` first"
        )
    return path


def explain_from_dir(
    out_dir: str | Path,
    customer_id: str | None = None,
    pair: tuple[str, str] | None = None,
    clean_path: str | Path | None = None,
) -> Explanation | PairExplanation:
    """Explain a customer (all its member pairs) or one pair of records from a run's outputs."""
    out = Path(out_dir)
    clean = read_table(_need(Path(clean_path) if clean_path else out / CLEAN, "clean rows"))
    model = MatchModel.load(_need(out / MODEL, "match model"))
    if pair is not None:
        return explain_pair(clean, model, pair[0], pair[1])
    if not customer_id:
        raise InputError("give a CUSTOMER_ID or --pair A B", hint="copy a customer_id from golden.csv")
    xref = read_table(_need(out / XREF, "cross-reference"))
    return explain_cluster(clean, model, customer_id, xref)


def evaluate_from_dir(
    out_dir: str | Path,
    labels_path: str | Path | None = None,
    *,
    truth_column: str | None = None,
    threshold: float = 0.6,
    settings: DedupeSettings | None = None,
) -> Evaluation:
    """Evaluate a run's matching (OUT/clean.parquet, match_model.json, xref.csv) on labelled
    pairs from `labels_path`, or on a column of true ids of the clean rows (`truth_column`: every
    true pair and every candidate pair blocking finds are scored)."""
    from .linking import block, choose_comparisons
    from .prepare import prepare

    out = Path(out_dir)
    clean = read_table(_need(out / CLEAN, "clean rows"))
    model = MatchModel.load(_need(out / MODEL, "match model"))
    xref = read_table(out / XREF) if (out / XREF).exists() else None
    if (labels_path is None) == (truth_column is None):
        raise InputError("give a labels file or --truth-column, not both or neither")
    if labels_path is not None:
        pairs, not_found = labelled_positions(clean, read_labels(labels_path))
    else:
        settings = settings or DedupeSettings()
        mf = prepare(clean)
        found = block(mf, settings, choose_comparisons(mf, settings))
        pairs, not_found = labels_from_truth(clean, str(truth_column), (found.left, found.right)), 0
    return evaluate(clean, model, pairs, xref=xref, run_threshold=threshold, not_found=not_found)
