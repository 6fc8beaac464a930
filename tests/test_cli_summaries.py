"""The one-line summaries a run prints after each stage, worded from the stages' results."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from crmmigrate.cli.summaries import STAGE_LINES, dedupe_summary, load_summary, standardise_summary
from crmmigrate.pipeline import Extracted, Loaded
from crmmigrate.reconcile import SourceCounts


def test_the_dedupe_summary_says_how_many_pairs_were_compared_and_whether_em_converged() -> None:
    golden = pd.DataFrame({"member_count": [2, 1]})
    xref, review = pd.DataFrame(index=range(3)), pd.DataFrame(index=range(1))
    stats = {
        "candidate_pairs": 12345,
        "pairs_per_row": 4.1,
        "em": {"em_converged": False, "em_not_converged": ["birth_date"]},
    }
    assert dedupe_summary(golden, xref, review, stats) == (
        "2 golden records from 3 rows, 1 merged clusters, 12,345 pairs compared (4.1 per row), "
        "1 pairs to review; EM did not converge for birth_date"
    )


def test_the_standardise_summary_counts_usable_values_among_those_present() -> None:
    clean = pd.DataFrame({"phone_status": ["valid", "fixed", "invalid", "missing"]})
    assert standardise_summary(clean) == "4 rows; phone 67% usable, 1 invalid"


def test_the_extract_line_of_a_pilot_run_stopped_by_its_rejects_says_both() -> None:
    counts = {"shop": SourceCounts(read=10, rejected=8, staged=2)}
    extracted = Extracted(pd.DataFrame(index=range(2)), pd.DataFrame(index=range(8)), counts)
    assert STAGE_LINES.extract(extracted, "50%", stopped=True) == (
        "10 rows read from 1 sources, 2 staged, 8 rejected (pilot sample of 50%); "
        "more rejects than max_rejects allows: run stopped"
    )
    assert (
        STAGE_LINES.extract(extracted, None, stopped=False)
        == "10 rows read from 1 sources, 2 staged, 8 rejected"
    )


def test_the_load_summary_of_a_dry_run_and_of_a_blocked_load() -> None:
    plan = SimpleNamespace(retired=1)
    result = SimpleNamespace(inserted=3, updated=1, unchanged=5, plan=plan)
    assert load_summary(Loaded(result, 9, "abc"), dry_run=True) == (
        "would insert 3, updated 1, unchanged 5, would retire 1 merged into others (store holds 9)"
        " — dry run, nothing written"
    )
    assert load_summary(Loaded(None, 9, "abc"), dry_run=False).startswith("blocked: validation errors")
