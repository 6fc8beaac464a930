"""Hostile and broken input (issue 8): every case ends in a clear message and exit code 2, or in
rows accounted for (read = rejected + staged) with each bad row in the rejects and its reason.

Most cases go through `crmmigrate.extract` (fast); a representative few through `crmmigrate run`.
Files are generated in tmp_path; nothing large is shipped.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import parse_config
from crmmigrate.errors import CrmMigrateError, InputError
from crmmigrate.extract import check_sources, extract_source
from crmmigrate.tables import PLAIN_NUMBER

MAPPING = {"key": "id", "columns": {"first_name": "first", "last_name": "last", "email": "email"}}
HEADER = b"id,first,last,email\n"
GOOD = b"1,Anna,Meyer,anna@example.com\n2,Ben,Okafor,ben@example.org\n"


def extract(path: Path, mapping: dict = MAPPING):
    config = parse_config({"sources": [{"name": "legacy", "path": str(path), "mapping": mapping}]})
    check_sources(config)
    result = extract_source(config.sources[0], config)
    assert result.read == len(result.rejects) + len(result.staged)
    return result


def unusable(path: Path) -> CrmMigrateError:
    with pytest.raises(CrmMigrateError) as info:
        extract(path)
    assert info.value.exit_code == 2
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return info.value


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- files that cannot be used at all: exit 2, one line naming the file -----------------------


def test_missing_file(tmp_path: Path) -> None:
    error = unusable(tmp_path / "nope.csv")
    assert "file not found" in str(error) and "path:" in error.hint


@pytest.mark.parametrize(
    "data", [b"", b"\n\n\n", b"\xef\xbb\xbf"], ids=["0 bytes", "blank lines", "BOM only"]
)
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    assert "empty" in str(unusable(write(tmp_path, "empty.csv", data)))


@pytest.mark.parametrize(
    "data, said",
    [
        (bytes(range(256)) * 64, "binary data"),
        (b"PK\x03\x04\x14\x00" + bytes(200), "ZIP archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), ".xls"),
        (b"SQLite format 3\x00" + bytes(200), "SQLite"),
    ],
    ids=["garbage", "zip", "xls", "sqlite"],
)
def test_binary_file_named_csv(tmp_path: Path, data: bytes, said: str) -> None:
    error = unusable(write(tmp_path, "export.csv", data))
    assert said in str(error) and error.hint


def test_binary_file_named_json(tmp_path: Path) -> None:
    assert "binary data" in str(unusable(write(tmp_path, "export.json", bytes(range(256)) * 16)))


@pytest.mark.parametrize(
    "data, said",
    [
        (b"42", "neither an array nor an object"),
        (b"null", "neither an array nor an object"),
        (b"[1, 2, 3]", "no objects of fields"),
        (b"[[1], [2]]", "no objects of fields"),
        (b"[]", "is empty"),
        (b'{"a": [{"x": 1}], "b": [{"y": 2}]}', "2 arrays of records"),
        (b'[{"id": 1, "first": "Ann"}, {"id": 2, "fir', "not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    ],
    ids=["number", "null", "numbers", "lists", "empty array", "two arrays", "truncated", "deep"],
)
def test_json_that_is_not_an_array_of_records(tmp_path: Path, data: bytes, said: str) -> None:
    assert said in str(unusable(write(tmp_path, "export.json", data)))


def test_json_array_with_some_non_records_rejects_them(tmp_path: Path) -> None:
    rows = [{"id": 1, "first": "Ann", "last": "Lee", "email": "a@x.org"}, 5, None, "text", [1]]
    result = extract(write(tmp_path, "export.json", json.dumps(rows).encode()))
    assert (result.read, len(result.staged)) == (5, 1)
    assert set(result.rejects["reason"]) == {"parse_error"}


def test_broken_spreadsheets(tmp_path: Path) -> None:
    assert "not a readable .xlsx" in str(unusable(write(tmp_path, "book.xlsx", b"PK\x03\x04broken")))
    assert "not a readable Parquet" in str(unusable(write(tmp_path, "t.parquet", b"PAR1broken")))


# -- usable files with bad rows: every row accounted for ---------------------------------------


def test_header_only_reads_nothing(tmp_path: Path) -> None:
    result = extract(write(tmp_path, "h.csv", HEADER))
    assert (result.read, len(result.staged), len(result.rejects)) == (0, 0, 0)


def test_ragged_rows_are_rejected_with_their_line(tmp_path: Path) -> None:
    data = HEADER + b"1,A,B,a@x.org\n2,A,B\n3,A,B,c@x.org,extra\n4,C,D,d@x.org,,\n"
    result = extract(write(tmp_path, "r.csv", data))
    assert result.staged["source_row"].tolist() == [1, 4]  # trailing empty fields lose nothing
    rejects = result.rejects.set_index("source_row")
    assert rejects.loc[2, "reason"] == "field_count" and "line 3: 3 fields" in rejects.loc[2, "detail"]
    assert rejects.loc[3, "field_5"] == "extra"


def test_nul_bytes_and_control_characters_do_not_stop_the_read(tmp_path: Path) -> None:
    data = b"id\x00,first,last,email\n1,An\x00na,M\x1b[31m,a@x.org\n2,Ben,S,b@x.org\n"
    result = extract(write(tmp_path, "nul.csv", data))
    assert len(result.staged) == 2  # the header's NUL is dropped; values are cleaned by standardise


def test_invisible_characters_in_header_names_are_dropped(tmp_path: Path) -> None:
    data = "id,\u200bfirst,last\u202e,email\n1,A,B,a@x.org\n".encode()
    assert len(extract(write(tmp_path, "zw.csv", data)).staged) == 1


def test_wrong_encoding_is_detected(tmp_path: Path) -> None:
    data = HEADER + "1,Jörg,Müller,j@x.de\n2,Zoë,Ça,z@x.fr\n".encode("cp1252")
    result = extract(write(tmp_path, "latin.csv", data))
    assert result.staged["last_name"].tolist() == ["Müller", "Ça"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_byte_order_mark_are_read_as_configured(tmp_path: Path, codec: str) -> None:
    path = write(tmp_path, "wide.csv", (HEADER + "1,Jörg,Müller,j@x.de\n".encode()).decode().encode(codec))
    mapping_source = {"name": "legacy", "path": str(path), "mapping": MAPPING, "encoding": codec[:6]}
    config = parse_config({"sources": [mapping_source]})
    result = extract_source(config.sources[0], config)
    assert result.staged["last_name"].tolist() == ["Müller"]


def test_a_codec_that_is_not_a_text_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", HEADER + GOOD)
    source = {"name": "l", "path": str(path), "mapping": MAPPING, "encoding": "rot13"}
    config = parse_config({"sources": [source]})
    with pytest.raises(InputError, match="unknown text encoding 'rot13'"):
        extract_source(config.sources[0], config)


@pytest.mark.parametrize("name", ["s.json", "s.ndjson"])
def test_a_lone_surrogate_in_json_rejects_its_row_naming_the_field(tmp_path: Path, name: str) -> None:
    records = [
        {"id": "1", "first": "An\ud800na", "last": "Meyer", "email": "a@x.org"},
        {"id": "2", "first": "Ben", "last": "Okafor", "email": "b@x.org"},
    ]
    text = "\n".join(json.dumps(r) for r in records) if name.endswith("ndjson") else json.dumps(records)
    result = extract(write(tmp_path, name, text.encode()))
    assert result.staged["first_name"].tolist() == ["Ben"]
    reject = result.rejects.iloc[0]
    assert reject["reason"] == "encoding" and "field 'first'" in reject["detail"]
    assert reject["first"] == "An\\ud800na"  # shown as its escape, so rejects.csv can be written


def test_a_legacy_key_like_a_row_number_is_an_ordinary_key(tmp_path: Path) -> None:
    data = HEADER + b"#2,Anna,Meyer,anna@example.com\n,Ben,Okafor,ben@example.org\n#9,Cy,Day,cy@x.org\n"
    result = extract(write(tmp_path, "keys.csv", data))
    assert result.staged["first_name"].tolist() == ["Anna", "Ben", "Cy"] and result.rejects.empty


def test_a_legacy_key_equal_to_a_keyless_rows_identity_is_rejected_not_the_load(tmp_path: Path) -> None:
    from crmmigrate.dedupe.ids import content_ids

    ben = pd.DataFrame(
        {
            "source": ["legacy"],
            "source_row": [2],
            "first_name": ["Ben"],
            "last_name": ["Okafor"],
            "email": ["ben@example.org"],
        }
    )
    forged = content_ids(ben).iloc[0]
    data = HEADER + f"{forged},Anna,Meyer,anna@example.com\n,Ben,Okafor,ben@example.org\n".encode()
    result = extract(write(tmp_path, "keys.csv", data))
    assert result.staged["first_name"].tolist() == ["Ben"]
    reject = result.rejects.iloc[0]
    assert reject["reason"] == "duplicate_key" and "gives row 2, which has no key" in reject["detail"]


def test_a_workbook_claiming_a_million_rows_is_read_as_written(tmp_path: Path) -> None:
    import re
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["id", "first", "last", "email"])
    book.active.append(["1", "Anna", "Meyer", "anna@example.com"])
    book.save(tmp_path / "small.xlsx")
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(tmp_path / "small.xlsx") as src, zipfile.ZipFile(lying, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', data)
                last = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                data = data.replace(b"</sheetData>", last + b"</sheetData>")
            out.writestr(item, data)
    from crmmigrate.extract.excel import ExcelReader

    header = next(ExcelReader(lying)._rows())
    assert len(header) == 4  # as written, not padded to the 16,384 columns the file claims
    result = extract(lying)
    assert result.read == 2 and result.staged["first_name"].tolist() == ["Anna"]


def test_a_few_undecodable_lines_in_utf8_are_encoding_rejects(tmp_path: Path) -> None:
    data = HEADER + "1,Jörg,Müller,j@x.de\n".encode() + b"2,J\xf6rg,M,j2@x.de\n" + "3,Zoë,A,z@x.fr\n".encode()
    result = extract(write(tmp_path, "mixed.csv", data))
    assert result.staged["first_name"].tolist() == ["Jörg", "Zoë"]
    assert result.rejects["reason"].tolist() == ["encoding"]
    assert "line 3" in result.rejects["detail"].iloc[0]


def test_a_single_5mb_field(tmp_path: Path) -> None:
    big = b"x" * (5 << 20)
    data = HEADER + b'1,"' + big + b'",Meyer,a@x.org\n2,Ben,Okafor,b@x.org\n'
    result = extract(write(tmp_path, "big.csv", data))
    assert len(result.staged) == 2 and len(result.staged["first_name"].iloc[0]) == 5 << 20


def test_duplicate_column_names_get_suffixes(tmp_path: Path) -> None:
    data = b"id,first,first,last,email\n1,Ann,Anna,Lee,a@x.org\n"
    mapping = {"key": "id", "columns": {"first_name": "first.1", "last_name": "last", "email": "email"}}
    assert extract(write(tmp_path, "d.csv", data), mapping).staged["first_name"].tolist() == ["Anna"]


def test_spreadsheet_with_merged_and_empty_header_cells(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "name", None, "email", None])
    sheet.merge_cells("B1:C1")
    sheet.append([1, "Ann", "Lee", "a@x.org", None])
    sheet.append([2, "Ben", "Okafor", "b@x.org", "stray"])  # a value under no header
    path = tmp_path / "book.xlsx"
    book.save(path)
    mapping = {"key": "id", "columns": {"first_name": "name", "last_name": "column_3", "email": "email"}}
    result = extract(path, mapping)
    assert result.staged["last_name"].tolist() == ["Lee"]
    assert result.rejects["reason"].tolist() == ["field_count"]


def test_file_cut_inside_a_quoted_field(tmp_path: Path) -> None:
    data = HEADER + GOOD + b'3,Cleo,Diaz,"cleo@exa'
    result = extract(write(tmp_path, "cut.csv", data))
    assert result.staged["source_row"].tolist() == [1, 2]  # the cut value is never staged
    reject = result.rejects.iloc[0]
    assert (reject["source_row"], reject["reason"]) == (3, "parse_error")
    assert "line 4" in reject["detail"] and "ends inside" in reject["detail"]


def test_quote_left_open_mid_file_says_which_lines_it_swallowed(tmp_path: Path) -> None:
    data = HEADER + b'1,"Ann,Lee,a@x.org\n' + b"".join(b"%d,B,C,b%d@x.org\n" % (i, i) for i in range(2, 6))
    result = extract(write(tmp_path, "open.csv", data))
    assert (result.read, len(result.staged)) == (1, 0)  # the open quote swallows the rest of the file
    assert "line 2" in result.rejects["detail"].iloc[0] and "lines 2-6" in result.rejects["detail"].iloc[0]


def test_devices_and_directories_are_not_sources(tmp_path: Path) -> None:
    device = tmp_path / "zero.csv"
    device.symlink_to("/dev/zero")  # would never end
    assert "not a regular file" in str(unusable(device))
    folder = tmp_path / "exports.csv"
    folder.mkdir()
    assert "directory" in str(unusable(folder))


def test_stray_quote_inside_a_value_is_kept(tmp_path: Path) -> None:
    data = HEADER + b'1,Sean,O"Brien,s@x.ie\n2,"Ben","Okafor","b@x.org"\n'
    assert extract(write(tmp_path, "q.csv", data)).staged["last_name"].tolist() == ['O"Brien', "Okafor"]


# -- the CLI: exit codes, messages, rejects and reconciliation ---------------------------------


def write_config(tmp_path: Path, path: Path | str, **extra: object) -> Path:
    config = {
        "sources": [{"name": "legacy", "path": str(path), "mapping": MAPPING}],
        "store": f"sqlite:///{tmp_path / 'crm.db'}",
        "out": str(tmp_path / "out"),
        **extra,
    }
    target = tmp_path / "crm.yml"
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return target


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def assert_usage_error(result, *needles: str) -> None:
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in output.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 3, output  # the error (wrapped lines aside) and a hint
    for needle in needles:
        assert needle in " ".join(output.split()), output


def test_cli_missing_source(tmp_path: Path) -> None:
    assert_usage_error(
        cli("run", str(write_config(tmp_path, tmp_path / "gone.csv"))), "gone.csv", "not found"
    )


def test_cli_missing_config(tmp_path: Path) -> None:
    assert_usage_error(cli("run", str(tmp_path / "nope.yml")), "nope.yml", "config file not found")


def test_cli_binary_source(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", bytes(range(256)) * 64)
    assert_usage_error(cli("run", str(write_config(tmp_path, path))), "export.csv", "binary")


def test_cli_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "crm.yml"
    config.write_text("sources:\n  - name: a\n    path: x.csv\n   mapping: [\n")
    assert_usage_error(cli("run", str(config)), "crm.yml", "row 4", "YAML syntax error")


def test_cli_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    config = write_config(tmp_path, "x.csv", standardize={})
    result = cli("run", str(config))
    assert result.exit_code == 2 and "did you mean 'standardise'" in result.output


def test_cli_unknown_template(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", HEADER + GOOD)
    config = write_config(tmp_path, path)
    data = yaml.safe_load(config.read_text())
    data["sources"][0]["mapping"] = "salesforce-contactz"
    config.write_text(yaml.safe_dump(data))
    assert_usage_error(cli("run", str(config)), "salesforce-contactz", "salesforce-contact")


@pytest.mark.parametrize(
    ("store", "said"),
    [
        ("postgresql://user:s3cret@127.0.0.1:5432x/db", "the port after the host must be a number"),
        ("mysql://root:s3cret@127.0.0.1:1/test?charset=klingon", "the URL's options (charset=klingon)"),
    ],
)
def test_cli_store_url_with_a_bad_port_or_option(tmp_path: Path, store: str, said: str) -> None:
    path = write(tmp_path, "c.csv", HEADER + GOOD)
    result = cli("run", str(write_config(tmp_path, path, store=store)))
    assert_usage_error(result, said)
    assert "s3cret" not in result.output


def test_cli_store_that_cannot_connect_names_host_and_port_never_the_password(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", HEADER + GOOD)
    config = write_config(tmp_path, path, store="postgresql://user:s3cret@127.0.0.1:1/db")
    result = cli("run", str(config))
    assert result.exit_code == 2
    assert "127.0.0.1:1" in "".join(result.output.split()) and "Traceback" not in result.output
    assert "s3cret" not in result.output


HOSTILE_ROWS = (
    "id,first,last,email,phone\n"
    '1,=HYPERLINK("http://evil"),Meyer,anna@example.com,+49 30 1234567\n'
    "2,+cmd,@SUM(A1),ben@example.org,-1+1\n"
    '3,"Robert\'); DROP TABLE customers;--",Tables,bobby@example.net,\n'
    "4,Zero\u200bWid\x00th,Bidi\u202eOverride,zw@example.com,\n"
    "5,=1+1,many,fields,x,y\n"
    ",,,,\n"
    '7,"Cut\n'
)


def test_cli_run_with_hostile_values(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "c.csv", HOSTILE_ROWS.encode())
    config = write_config(tmp_path, path)
    data = yaml.safe_load(config.read_text())
    data["sources"][0]["mapping"]["columns"]["phone"] = "phone"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    with caplog.at_level(logging.INFO):
        result = cli("run", str(config))
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    out = tmp_path / "out"
    rec = json.loads((out / "reconciliation.json").read_text())
    counts = rec["sources"]["legacy"]
    assert rec["balanced"] and counts["read"] == counts["rejected"] + counts["staged"] == 7
    rejects = pd.read_csv(out / "rejects.csv", dtype=str)
    assert dict(zip(rejects["source_row"], rejects["reason"], strict=True)) == {
        "5": "field_count",
        "6": "empty_row",
        "7": "parse_error",
    }
    for csv_file in out.glob("*.csv"):  # no cell any spreadsheet would run as a formula
        frame = pd.read_csv(csv_file, dtype=str, keep_default_na=False)
        for column in frame.columns:
            assert not str(column).startswith(("=", "@")), (csv_file.name, column)
            risky = frame[column].str.match(r"^[=+\-@\t\r]") & ~frame[column].str.fullmatch(PLAIN_NUMBER)
            assert not risky.any(), (csv_file.name, column)
    with sqlite3.connect(tmp_path / "crm.db") as conn:
        names = {r[0] for r in conn.execute("SELECT first_name FROM customers")}
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 4
    # stored as text (the name standardiser fixes its capitals), and the table is still there
    assert "robert'); drop table customers;--" in {n.casefold() for n in names}
    assert "ZeroWidth" in names  # zero-width space and NUL removed by standardise
    logged = caplog.text + result.output
    for personal in ("anna@example.com", "ben@example.org", "Meyer", "Okafor"):
        assert personal not in logged


def test_control_and_invisible_characters_are_removed_by_standardise() -> None:
    from crmmigrate.cleanse import standardise
    from crmmigrate.cleanse.options import StandardiseOptions
    from crmmigrate.schema import STAGED_COLUMNS

    staged = pd.DataFrame({c: pd.Series([None, None], dtype=object) for c in STAGED_COLUMNS})
    staged["source"], staged["source_row"] = "legacy", [1, 2]
    staged["first_name"] = ["Zero\u200bWidth", "Ann\x00a"]
    staged["last_name"] = ["Bidi\u202eOverride", "Lee\x07"]
    clean = standardise(staged, StandardiseOptions())
    assert clean["first_name"].tolist() == ["ZeroWidth", "Anna"]
    assert clean["last_name"].tolist() == ["BidiOverride", "Lee"]
    assert set(clean["first_name_status"]) == {"fixed"}


@pytest.mark.parametrize(
    "row",
    ["1,Ann,{long},a@x.org", "1,Ann,Lee,{long}@x.org", "{digits},Ann,Lee,a@x.org"],
    ids=["last_name", "email", "source_key"],
)
def test_very_long_values_are_truncated_by_the_store(tmp_path: Path, row: str) -> None:
    line = row.format(long="a" * 400, digits="9" * 300)
    path = write(tmp_path, "c.csv", HEADER + f"{line}\n2,Ben,Okafor,b@x.org\n".encode())
    result = cli("run", str(write_config(tmp_path, path)))
    assert result.exit_code in (0, 1), result.output
    with sqlite3.connect(tmp_path / "crm.db") as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
        longest = conn.execute("SELECT max(length(last_name)), max(length(email)) FROM customers").fetchone()
    assert longest[0] <= 255 and longest[1] <= 320
    clean = pd.read_parquet(tmp_path / "out" / "clean.parquet")
    kept_whole = clean["last_name_raw"].str.len().max() == 400 or clean["email_raw"].str.len().max() == 406
    assert kept_whole or clean["source_key"].str.len().max() == 300


def test_standardise_of_no_rows() -> None:
    from crmmigrate.cleanse import standardise
    from crmmigrate.cleanse.options import StandardiseOptions
    from crmmigrate.schema import STAGED_COLUMNS

    staged = pd.DataFrame({c: pd.Series(dtype=object) for c in STAGED_COLUMNS})
    assert len(standardise(staged, StandardiseOptions())) == 0


@pytest.mark.parametrize(
    "data",
    [HEADER, HEADER + b"1,a\n,,,\n", HEADER + "1,\u200b,\u202e,\u200b\n".encode()],
    ids=["header only", "every row rejected", "only invisible characters"],
)
def test_run_with_no_usable_row_is_balanced(tmp_path: Path, data: bytes) -> None:
    from crmmigrate.config import load_config
    from crmmigrate.pipeline import run

    result = run(load_config(write_config(tmp_path, write(tmp_path, "c.csv", data))))
    assert result.exit_code in (0, 1) and result.balanced


def test_values_of_only_invisible_characters_are_blank(tmp_path: Path) -> None:
    data = HEADER + GOOD + "3,\u200b,\u202e\x00, \u00a0\n".encode()
    result = extract(write(tmp_path, "inv.csv", data))
    assert result.rejects[["source_row", "reason"]].values.tolist() == [[3, "no_identity"]]  # a key only


def test_a_few_nul_bytes_in_values_are_not_a_binary_file(tmp_path: Path) -> None:
    data = HEADER + b"1,An\x00na,Me\x00yer,a@x.org\n2,\x00,\x00,\x00\n"
    result = extract(write(tmp_path, "nul.csv", data))
    assert result.read == 2


def test_input_error_is_the_only_kind_raised_for_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        extract(write(tmp_path, "e.csv", b""))
