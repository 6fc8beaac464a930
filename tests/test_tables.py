"""The tool's own CSV/Parquet files: round trips, and spreadsheet-safe CSV."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.errors import InputError
from crmmigrate.tables import (
    PLAIN_NUMBER,
    _risky,
    _risky_values,
    neutralise_formulas,
    read_table,
    restore_formulas,
    write_table,
    write_text,
)


def test_formulas_are_neutralised_in_csv(tmp_path: Path) -> None:
    df = pd.DataFrame({"name": ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@SUM(A1)", "Anna"]})
    path = write_table(df, tmp_path / "out.csv")
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert "'+SUM(A1)" in text and "'-2+3" in text
    assert "'@SUM(A1)" in text
    assert "\nAnna" in text
    assert read_table(path)["name"].tolist() == df["name"].tolist()


def test_numbers_and_phone_numbers_are_written_as_they_are(tmp_path: Path) -> None:
    """Other tools read a quote as data: only what a spreadsheet would run is guarded."""
    df = pd.DataFrame({"phone": ["+4930123456", "+49 (0)30 123-456", "-5", "+1.5"]})
    text = write_table(df, tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "'" not in text


def test_phone_numbers_with_an_extension_signed_numbers_and_dashes_are_written_as_they_are(
    tmp_path: Path,
) -> None:
    df = pd.DataFrame({"v": ["+1 212 555 0100 x12", "+49 30 1234567 ext. 12", "-1.5e3", "-", "--"]})
    text = write_table(df, tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "'" not in text


def test_values_with_quotes_of_their_own_round_trip(tmp_path: Path) -> None:
    """Only the quote the writer added comes off: a value's own quote is data."""
    values = ["'+4930123456", "'=SUM(1)", "''=1+1", "'", "O'Neil", "'-", "=SUM(1)"]
    df = pd.DataFrame({"v": values, "'=HYPERLINK(1)": ["x"] * len(values), "'plain": ["y"] * len(values)})
    path = write_table(df, tmp_path / "out.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("'+4930123456,") and lines[2].startswith("''=SUM(1),")
    back = read_table(path)
    assert back["v"].tolist() == values
    assert list(back.columns) == list(df.columns)


@given(st.text(alphabet="'=+-@\t1 x(A", max_size=8))
def test_every_value_round_trips_and_none_runs_as_a_formula(text: str) -> None:
    written = neutralise_formulas(pd.DataFrame({"v": [text]}))["v"].iloc[0]
    runs = written.startswith(("=", "@", "\t", "+", "-")) and not re.fullmatch(PLAIN_NUMBER, written)
    assert not runs
    assert restore_formulas(pd.DataFrame({"v": [written]}))["v"].iloc[0] == text


FORMULA_LIKE = "'=+-@\t\r\n\x0b\x0c\x1c\x1f 0123456789().-/eExt#é٣"


@given(st.lists(st.text(alphabet=FORMULA_LIKE, max_size=10), max_size=20))
def test_arrow_tells_risky_values_as_python_does(values: list[str]) -> None:
    """Arrow (RE2) decides ASCII values, Python the others: the same answer as `_risky` alone,
    whatever spaces (\\v, \\x1c) or digits of other scripts (٣) a value holds."""
    series = pd.Series(values, dtype=object)
    expected = _risky(series.astype("string")).to_numpy(dtype=bool) if values else []
    assert _risky_values(series).tolist() == list(expected)
    quoted = series.astype("string").str.startswith("'").fillna(False) & _risky(series.astype("string"))
    assert _risky_values(series, quoted=True).tolist() == quoted.astype(bool).tolist()


def test_a_categorical_column_is_neutralised_only_where_a_category_is_risky() -> None:
    safe = pd.Series(pd.Categorical(["a", "b", "a"]))
    risky = pd.Series(pd.Categorical(["a", "=1+1", None]))
    out = neutralise_formulas(pd.DataFrame({"safe": safe, "risky": risky}))
    assert out["safe"].dtype == safe.dtype
    assert out["risky"].tolist()[:2] == ["a", "'=1+1"] and pd.isna(out["risky"].tolist()[2])


def test_column_names_are_guarded_too(tmp_path: Path) -> None:
    """A legacy file's header or a `keep:` name becomes a CSV header: it is a cell like any other."""
    df = pd.DataFrame({'=HYPERLINK("http://evil")': ["a"], "@SUM(1+1)": ["b"], "Kundengruppe": ["c"]})
    path = write_table(df, tmp_path / "out.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("\"'=HYPERLINK") and ",'@SUM(1+1)," in header
    assert list(read_table(path).columns) == list(df.columns)


def test_parquet_keeps_values_exactly(tmp_path: Path) -> None:
    df = pd.DataFrame({"name": ["=1+1", None, "Zoë"], "n": [1, 2, 3]})
    back = read_table(write_table(df, tmp_path / "out.parquet"))
    assert back["name"].tolist()[0] == "=1+1"
    assert back["name"].tolist()[2] == "Zoë"


def test_non_text_columns_are_untouched() -> None:
    df = pd.DataFrame({"n": [-1, 2]})
    assert neutralise_formulas(df)["n"].tolist() == [-1, 2]


def test_csv_round_trip_reads_text_as_text(tmp_path: Path) -> None:
    df = pd.DataFrame({"zip": ["01234", "NA"], "x": ["a", None]})
    back = read_table(write_table(df, tmp_path / "t.csv"))
    assert back["zip"].tolist() == ["01234", "NA"]
    assert pd.isna(back["x"].tolist()[1])


@pytest.mark.parametrize("name", ["data.xlsx", "data"])
def test_unknown_suffixes_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="unsupported file type"):
        read_table(tmp_path / name)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "missing.csv")


def test_the_tools_own_csv_files_round_trip_through_neutralisation(tmp_path: Path) -> None:
    df = pd.DataFrame({"phone": ["+4930123456", "=1+1", "plain", None]})
    back = read_table(write_table(df, tmp_path / "t.csv"))
    assert back["phone"].tolist()[:3] == ["+4930123456", "=1+1", "plain"]


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_table(pd.DataFrame({"name": ["Ann"]}), tmp_path / "golden.csv")

    def fill_the_disk(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_text("name\nA", encoding="utf-8")  # half written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fill_the_disk)
    with pytest.raises(OSError, match="No space"):
        write_table(pd.DataFrame({"name": ["Bob", "Cy"]}), target)
    assert target.read_text(encoding="utf-8") == "name\nAnn\n"
    assert [p.name for p in tmp_path.iterdir()] == ["golden.csv"]


def test_reports_are_written_whole(tmp_path: Path) -> None:
    target = write_text(tmp_path / "deep" / "report.json", '{"balanced": true}')
    assert target.read_text(encoding="utf-8") == '{"balanced": true}'


def test_a_frame_written_as_parquet_a_slice_at_a_time_reads_back_as_one(tmp_path: Path, monkeypatch) -> None:
    import crmmigrate.tables as tables

    monkeypatch.setattr(tables, "PARQUET_SLICE_ROWS", 2)
    frame = pd.DataFrame(
        {
            "email": [None, None, "a@x.org", None, "b@y.de"],  # empty in the first slice only
            "status": pd.Categorical(["valid", "missing", "valid", "missing", "fixed"]),
            "source_row": [1, 2, 3, 4, 5],
            "name": pd.Series(["Anna", None, "Bo", "Cy", None], dtype="string"),
        }
    )
    write_table(frame, tmp_path / "x.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "x.parquet"), frame)
