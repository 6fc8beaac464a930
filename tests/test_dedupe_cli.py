"""`crmmigrate dedupe` and `crmmigrate explain` on files."""

from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.tables import read_table, write_table

runner = CliRunner()


def test_dedupe_then_explain(tmp_path) -> None:
    clean = clean_frame(80, seed=5).drop(columns=["person_id"])
    write_table(clean, tmp_path / "clean.parquet")
    result = runner.invoke(app, ["dedupe", "--in", str(tmp_path / "clean.parquet"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "golden records" in result.output
    for name in (
        "golden.csv",
        "golden.parquet",
        "xref.csv",
        "review.csv",
        "golden_lineage.csv",
        "match_model.json",
    ):
        assert (tmp_path / name).exists()
    golden = read_table(tmp_path / "golden.csv")
    merged = golden[golden["member_count"].astype(int) > 1]["customer_id"].iloc[0]
    shown = runner.invoke(app, ["explain", merged, "--out", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "total" in shown.output and "match probability" in shown.output
    xref = read_table(tmp_path / "xref.csv")
    keys = xref[xref["customer_id"] == merged]["source_key"].tolist()[:2]
    pair = runner.invoke(app, ["explain", "--pair", keys[0], keys[1], "--out", str(tmp_path)])
    assert pair.exit_code == 0, pair.output


def test_explain_without_outputs_is_a_usage_error(tmp_path) -> None:
    result = runner.invoke(app, ["explain", "C123", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_explain_masks_personal_values_unless_asked(tmp_path) -> None:
    clean = clean_frame(60, seed=6).drop(columns=["person_id"])
    write_table(clean, tmp_path / "clean.parquet")
    assert (
        runner.invoke(
            app, ["dedupe", "--in", str(tmp_path / "clean.parquet"), "--out", str(tmp_path)]
        ).exit_code
        == 0
    )
    golden = read_table(tmp_path / "golden.csv")
    merged = golden[golden["member_count"].astype(int) > 1]
    surname = str(merged["last_name"].dropna().iloc[0])
    customer = merged.loc[merged["last_name"] == surname, "customer_id"].iloc[0]
    masked = runner.invoke(app, ["explain", customer, "--out", str(tmp_path)])
    assert masked.exit_code == 0 and surname.lower() not in masked.output.lower()
    plain = runner.invoke(app, ["explain", customer, "--out", str(tmp_path), "--show-pii"])
    assert surname.lower() in plain.output.lower()  # as matching compares it: folded
