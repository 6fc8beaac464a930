from typer.testing import CliRunner

from crmmigrate.cleanse.files import standardise_file
from crmmigrate.cli.app import app
from crmmigrate.tables import read_table

STAGED = (
    "source,source_row,first_name,last_name,email,phone,country\ncrm,1,bob,SMITH,Bob@GMIAL.com,030 1234567,\n"
)


def test_standardise_file(tmp_path):
    staged = tmp_path / "staged.csv"
    staged.write_text(STAGED, encoding="utf-8")
    assert standardise_file(staged, tmp_path / "clean.parquet", default_country="DE") == 1
    clean = read_table(tmp_path / "clean.parquet")
    assert clean.loc[0, ["first_name", "email", "phone"]].tolist() == ["Bob", "Bob@gmail.com", "+49301234567"]


def test_command(tmp_path):
    staged = tmp_path / "staged.csv"
    staged.write_text(STAGED, encoding="utf-8")
    args = [
        "standardise",
        "--in",
        str(staged),
        "--out",
        str(tmp_path / "clean.csv"),
        "--default-country",
        "DE",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert read_table(tmp_path / "clean.csv").loc[0, "phone"].endswith("+49301234567")  # CSV: formula-safe


def test_command_reports_a_missing_file(tmp_path):
    result = CliRunner().invoke(app, ["standardise", "--in", str(tmp_path / "nope.csv"), "--out", "x.csv"])
    assert result.exit_code == 2
