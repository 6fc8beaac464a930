"""The reconciliation accounts for every source row and says loudly when it cannot."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crmmigrate.reconcile import (
    Reconciliation,
    SourceCounts,
    load_json,
    reconcile,
    to_html,
    to_json,
    to_markdown,
)
from crmmigrate.store import golden_checksum, open_store


@pytest.fixture
def run_frames() -> dict:
    golden = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "first_name": ["Anna", "Bob", None],
            "email": ["anna@example.com", None, "c@example.org"],
            "country": ["DE", "FR", "GB"],
            "member_count": [2, 1, 1],
        }
    )
    xref = pd.DataFrame(
        {
            "source": ["crm", "crm", "shop", "shop"],
            "source_row": [1, 2, 1, 2],
            "source_key": ["a", "b", "x", "y"],
            "customer_id": ["C1", "C2", "C1", "C3"],
            "match_score": [1.0, 1.0, 0.92, 1.0],
        }
    )
    clean = pd.DataFrame(
        {
            "first_name": ["Anna", "Bob", "Anna", None],
            "first_name_raw": ["anna", "Bob", "Anna", None],
            "first_name_status": ["fixed", "valid", "valid", "missing"],
            "email": ["anna@example.com", None, "anna@example.com", "c@example.org"],
            "email_status": ["valid", "invalid", "valid", "valid"],
        }
    )
    sources = {
        "crm": SourceCounts(read=3, rejected=1, staged=2, rejected_by_reason={"no_identity": 1}),
        "shop": SourceCounts(
            read=2, rejected=0, staged=2, rejected_by_reason={}, unmapped_columns=("Notiz",)
        ),
    }
    return {"sources": sources, "golden": golden, "xref": xref, "clean": clean}


def _reconcile(frames: dict, **kwargs) -> Reconciliation:
    args = {
        "run_id": "run-1",
        "load": None,
        "store_customers": None,
        "store_checksum": None,
        **frames,
        **kwargs,
    }
    return reconcile(**args)


def test_a_clean_run_is_balanced(run_frames: dict) -> None:
    rec = _reconcile(run_frames)
    assert rec.balanced, [c for c in rec.checks if not c.passed]
    assert (rec.golden_records, rec.golden_members, rec.merged_clusters) == (3, 4, 1)
    assert rec.merge_rate == pytest.approx(0.25)
    assert rec.cluster_sizes["1"] == 2 and rec.cluster_sizes["2"] == 1
    assert rec.standardisation["email"] == {"invalid": 1, "valid": 3}
    assert rec.fill_rates["first_name"]["golden"] == pytest.approx(2 / 3)


def test_the_json_holds_the_keys_other_tools_rely_on(run_frames: dict) -> None:
    data = json.loads(to_json(_reconcile(run_frames)))
    assert {"run_id", "sources", "golden", "store", "balanced"} <= set(data)
    crm = data["sources"]["crm"]
    assert (crm["read"], crm["rejected"], crm["staged"]) == (3, 1, 2)
    assert data["golden"]["records"] == 3 and data["golden"]["members"] == 4
    assert data["store"]["customers"] is None and data["balanced"] is True
    assert data["sources"]["crm"]["rejected_by_reason"] == {"no_identity": 1}
    assert data["sources"]["shop"]["unmapped_columns"] == ["Notiz"]


def test_a_lost_row_unbalances_the_run(run_frames: dict) -> None:
    run_frames["sources"]["crm"] = SourceCounts(read=4, rejected=1, staged=2, rejected_by_reason={})
    rec = _reconcile(run_frames)
    assert not rec.balanced
    assert [c.name for c in rec.checks if not c.passed] == ["crm: read = rejected + staged"]


def test_a_cross_reference_to_an_unknown_customer_unbalances_the_run(run_frames: dict) -> None:
    run_frames["xref"].loc[3, "customer_id"] = "C404"
    rec = _reconcile(run_frames)
    failed = {c.name for c in rec.checks if not c.passed}
    assert "every cross-reference row has a golden record" in failed
    assert not rec.balanced


def test_a_store_that_differs_from_the_golden_set_unbalances_the_run(run_frames: dict) -> None:
    good = golden_checksum(run_frames["golden"])
    assert _reconcile(run_frames, store_customers=3, store_checksum=good).balanced
    rec = _reconcile(run_frames, store_customers=3, store_checksum="0" * 64)
    assert not rec.balanced
    assert not _reconcile(run_frames, store_customers=2, store_checksum=good).balanced


def test_a_store_with_a_customer_without_source_rows_unbalances_the_run(run_frames: dict) -> None:
    good = golden_checksum(run_frames["golden"])
    assert _reconcile(run_frames, store_customers=3, store_checksum=good, store_integrity=(0, 0)).balanced
    rec = _reconcile(run_frames, store_customers=4, store_checksum=good, store_integrity=(1, 0))
    assert [c.name for c in rec.checks if not c.passed] == ["every stored customer has a source row"]
    dangling = _reconcile(run_frames, store_customers=3, store_checksum=good, store_integrity=(0, 2))
    assert [c.name for c in dangling.checks if not c.passed] == ["every stored source row has a customer"]


def test_a_real_load_reconciles(run_frames: dict, sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        result = store.load(run_frames["golden"], run_frames["xref"], run_id="run-1")
        rec = _reconcile(
            run_frames, load=result, store_customers=store.count_customers(), store_checksum=store.checksum()
        )
    assert rec.balanced
    assert rec.as_dict()["store"]["load"]["tables"]["customers"]["inserts"] == 3


def test_the_html_is_self_contained_escaped_and_free_of_personal_data(run_frames: dict) -> None:
    run_frames["sources"]["<script>alert(1)</script>"] = SourceCounts(1, 0, 0, {}, ("<b>x</b>",))
    html = to_html(_reconcile(run_frames))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>x</b>" not in html
    assert "NOT BALANCED" in html and "<svg" in html
    assert "anna@example.com" not in html and "Anna" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "src=" not in html and "<link" not in html


def test_the_markdown_is_a_short_summary(run_frames: dict) -> None:
    md = to_markdown(_reconcile(run_frames))
    assert "✅ balanced" in md and "| crm | 3 | 1 | 2 |" in md
    run_frames["sources"]["crm"] = SourceCounts(read=9, rejected=1, staged=2, rejected_by_reason={})
    assert "❌ crm: read = rejected + staged" in to_markdown(_reconcile(run_frames))


def test_the_report_reads_back_from_its_json(run_frames: dict, tmp_path) -> None:
    rec = _reconcile(run_frames, extra={"dry_run": False})
    path = tmp_path / "reconciliation.json"
    path.write_text(to_json(rec), encoding="utf-8")
    again = load_json(path)
    assert again.as_dict() == rec.as_dict()


def test_a_value_counts_as_filled_unless_missing_or_only_white_space() -> None:
    from crmmigrate.reconcile.model import filled_count

    text = pd.Series(["Anna", " ", "", None, float("nan"), "\u3000", "\x1f\n", " Bo "], dtype=object)
    assert filled_count(text) == 2
    assert filled_count(pd.Series([1.5, float("nan"), 0.0])) == 2  # numbers: present is filled
    assert filled_count(pd.Series(["x", 7, "  "], dtype=object)) == 2


def test_what_the_report_needs_of_the_clean_rows_gives_the_report_the_rows_give(run_frames: dict) -> None:
    from crmmigrate.reconcile.model import clean_facts

    whole = _reconcile(run_frames)
    summarised = _reconcile(run_frames, clean=clean_facts(run_frames["clean"]))
    assert (summarised.fill_rates, summarised.standardisation) == (whole.fill_rates, whole.standardisation)
    assert whole.fill_rates["first_name"]["raw"] == 0.75 and whole.standardisation["email"]["valid"] == 3


def test_the_counts_of_the_clean_rows_parts_add_up_to_the_facts_of_the_whole(run_frames: dict) -> None:
    """An engine that holds the clean rows in parts counts each where it is and adds them."""
    from crmmigrate.reconcile.model import CleanCounts, clean_counts, clean_facts

    clean = run_frames["clean"]
    parts = [clean_counts(clean.iloc[:1]), clean_counts(clean.iloc[1:3]), clean_counts(clean.iloc[3:])]
    assert clean_facts(sum(parts, CleanCounts())) == clean_facts(clean)
    assert clean_facts(CleanCounts()) == clean_facts(None)


def test_members_count_each_golden_records_rows_and_the_ids_on_one_side_only() -> None:
    from crmmigrate.reconcile.model import members

    golden = pd.DataFrame({"customer_id": ["C1", "C2", "C3", None]})
    xref = pd.DataFrame({"customer_id": ["C1", "C1", "C9", "C9", "C8", None, "C2"]})
    counted = members(golden, xref)
    assert counted.sizes.tolist() == [2, 1, 0, 0]
    assert (counted.orphans, counted.empty) == (2, 1)  # C9 and C8 are not golden; C3 has no row


def test_members_are_counted_alike_whether_ids_are_arrow_text_python_text_or_numbers() -> None:
    from crmmigrate.reconcile.model import members

    golden = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C1"]})
    xref = pd.DataFrame({"customer_id": ["C2", "C1", "C7", "C1", None]})
    as_objects = members(golden.astype(object), xref.astype(object))
    as_arrow = members(golden.astype("string[pyarrow]"), xref.astype("string[pyarrow]"))
    as_numbers = members(
        pd.DataFrame({"customer_id": [1, 2, 3, 1]}), pd.DataFrame({"customer_id": [2, 1, 7, 1]})
    )
    for counted in (as_arrow, as_numbers):
        assert counted.sizes.tolist() == as_objects.sizes.tolist() == [2, 1, 0, 2]
        assert (counted.orphans, counted.empty) == (as_objects.orphans, as_objects.empty) == (1, 1)
