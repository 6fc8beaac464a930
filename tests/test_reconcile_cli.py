"""`crmmigrate reconcile --out DIR`: the summary, and exit 1 when a run is not balanced."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.reconcile import SourceCounts, reconcile, to_json

runner = CliRunner()


def _write(out: Path, staged: int) -> None:
    golden = pd.DataFrame({"customer_id": ["C1", "C2"], "member_count": [1, 1]})
    xref = pd.DataFrame({"source": ["crm", "crm"], "source_row": [1, 2], "customer_id": ["C1", "C2"]})
    rec = reconcile(
        run_id="run-1",
        sources={"crm": SourceCounts(read=2, rejected=0, staged=staged, rejected_by_reason={})},
        golden=golden,
        xref=xref,
        load=None,
        store_customers=None,
        store_checksum=None,
    )
    out.mkdir(exist_ok=True)
    (out / "reconciliation.json").write_text(to_json(rec), encoding="utf-8")


def test_a_balanced_run_exits_0(tmp_path: Path) -> None:
    _write(tmp_path, staged=2)
    result = runner.invoke(app, ["reconcile", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "BALANCED" in result.output and "crm" in result.output


def test_an_unbalanced_run_exits_1_and_names_the_failed_check(tmp_path: Path) -> None:
    _write(tmp_path, staged=1)
    result = runner.invoke(app, ["reconcile", "--out", str(tmp_path), "--markdown"])
    assert result.exit_code == 1
    assert "❌ crm: read = rejected + staged" in result.output
    assert "gate failed: the reconciliation is not balanced: crm: read = rejected + staged" in " ".join(
        result.output.split()
    )


def test_a_missing_report_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["reconcile", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "not found" in result.output
