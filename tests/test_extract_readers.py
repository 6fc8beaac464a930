"""Reading every kind of export a legacy system produces, awkward shapes included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from crmmigrate.config import RunConfig, SourceConfig
from crmmigrate.errors import InputError, MappingError
from crmmigrate.extract import extract_source, iter_extract
from crmmigrate.extract.encoding import detect_encoding
from crmmigrate.extract.sniff import sniff_delimiter
from crmmigrate.schema import REJECT_COLUMNS, STAGED_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures" / "extract"

KUNDEN = {
    "key": "KundenNr",
    "columns": {
        "first_name": "Vorname",
        "last_name": "Nachname",
        "email": "E-Mail",
        "phone": "Telefon",
        "address_line1": "Strasse",
        "postal_code": "PLZ",
        "city": "Ort",
        "country": "Land",
    },
}


def extract(path: Path | str, mapping: object, **options: object):
    source = SourceConfig(name="src", path=str(path), mapping=mapping, **options)
    return extract_source(source, RunConfig(sources=[source]))


def values(result, column: str) -> list[object]:
    return [None if pd.isna(v) else v for v in result.staged[column]]


@pytest.mark.parametrize(
    "name",
    ["kunden_semicolon_cp1252.csv", "kunden_bom.csv", "kunden_utf16.txt", "kunden_pipe.csv", "kunden.tsv"],
)
def test_delimited_files_in_any_encoding_and_delimiter_read_the_same(name: str) -> None:
    result = extract(FIXTURES / name, KUNDEN)
    assert result.read == 3 and len(result.rejects) == 0
    assert values(result, "first_name") == ["Jürgen", "Zoë", "Renée"]
    assert values(result, "last_name") == ["Weiß", "Müller", "Dubois"]
    assert values(result, "city") == ["Berlin", "München", "Paris"]
    assert values(result, "phone") == ["030 1234567", "+49 89 998877", None]  # empty -> missing
    assert list(result.staged.columns[: len(STAGED_COLUMNS)]) == list(STAGED_COLUMNS)
    assert values(result, "source_key") == ["1001", "1002", "1003"]
    assert list(result.staged["source_row"]) == [1, 2, 3]


def test_encoding_detection_cheapest_evidence_first() -> None:
    assert detect_encoding(FIXTURES / "kunden_bom.csv") == "utf-8-sig"
    assert detect_encoding(FIXTURES / "kunden_utf16.txt") == "utf-16"
    assert detect_encoding(FIXTURES / "kunden_semicolon_cp1252.csv") == "cp1252"
    assert detect_encoding(FIXTURES / "kunden_pipe.csv") == "utf-8"


def test_sniffing_ignores_delimiters_inside_quotes() -> None:
    assert sniff_delimiter('a;b;c\n"x, y";2;3\n4;5;6\n') == ";"
    assert sniff_delimiter("a,b\n1,2\n") == ","
    assert sniff_delimiter("a|b|c\n1|2|3\n") == "|"


def test_config_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("Vorname:Nachname\nJosé:Nuñez\n".encode("latin-1"))
    result = extract(
        path,
        {"columns": {"first_name": "Vorname", "last_name": "Nachname"}},
        delimiter=":",
        encoding="latin-1",
    )
    assert values(result, "last_name") == ["Nuñez"]


def test_quoted_newlines_and_delimiters_stay_one_record() -> None:
    result = extract(
        FIXTURES / "multiline.csv",
        {"key": "Id", "columns": {"full_name": "Name", "email": "Email"}, "keep": ["Notes"]},
    )
    assert result.read == 3
    assert values(result, "full_name") == ["Smith, Anna", 'Bob "Bobby" Jones', "Carla Díaz"]
    assert values(result, "Notes")[0] == "first line\r\nsecond line, with comma"
    assert list(result.staged["source_row"]) == [1, 2, 3]


def test_values_are_text_exactly_as_written(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,name,zip,flag\n00123,NA,00501,null\n", encoding="utf-8")
    result = extract(
        path, {"key": "id", "columns": {"last_name": "name", "postal_code": "zip"}, "keep": ["flag"]}
    )
    assert values(result, "source_key") == ["00123"]
    assert values(result, "last_name") == ["NA"]
    assert values(result, "postal_code") == ["00501"]
    assert values(result, "flag") == ["null"]


def test_ragged_rows_become_rejects_with_line_numbers() -> None:
    result = extract(
        FIXTURES / "ragged.csv",
        {"key": "id", "columns": {"first_name": "first_name", "last_name": "last_name", "email": "email"}},
    )
    assert result.read == len(result.staged) + len(result.rejects) == 6
    assert list(result.staged["source_row"]) == [1, 4, 6]
    rejects = result.rejects.set_index("source_row")
    assert list(result.rejects.columns[:4]) == list(REJECT_COLUMNS)
    assert rejects.loc[2, "reason"] == "field_count" and "line 3" in rejects.loc[2, "detail"]
    assert rejects.loc[3, "reason"] == "field_count" and rejects.loc[3, "field_5"] == "extra"
    assert rejects.loc[5, "reason"] == "no_identity"  # the id alone is not a customer


def test_undecodable_bytes_reject_only_their_row() -> None:
    result = extract(
        FIXTURES / "bad_bytes.csv",
        {"key": "id", "columns": {"first_name": "first_name", "last_name": "last_name"}},
    )
    assert values(result, "last_name") == ["Lée", "Kay"]
    assert result.rejects["reason"].tolist() == ["encoding"]
    assert result.rejects["source_row"].tolist() == [2]
    assert "\\xe9" in result.rejects["detail"].iloc[0]


def test_chunks_keep_record_numbers_and_bounded_size(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    lines = ["id,name"] + [f"{i},Name {i}" for i in range(1, 26)]
    lines[13] = "13,too,many"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = SourceConfig(name="big", path=str(path), mapping={"key": "id", "columns": {"full_name": "name"}})
    chunks = list(iter_extract(source, RunConfig(sources=[source]), chunk_rows=5))
    assert all(c.read <= 5 for c in chunks)
    assert sum(c.read for c in chunks) == 25
    rows = sorted(
        [
            *pd.concat([c.staged for c in chunks])["source_row"],
            *pd.concat([c.rejects for c in chunks])["source_row"],
        ]
    )
    assert rows == list(range(1, 26))


def test_nested_json_in_an_api_dump_becomes_dotted_columns() -> None:
    mapping = {
        "key": "id",
        "columns": {
            "first_name": "properties.firstname",
            "last_name": "properties.lastname",
            "email": "properties.email",
            "city": "properties.address.city",
            "postal_code": "properties.address.zip",
            "phone": "properties.phone",
        },
        "keep": ["tags"],
    }
    result = extract(FIXTURES / "api_dump.json", mapping)
    assert result.read == 3
    assert values(result, "city") == ["Lisboa", "Porto", None]
    assert values(result, "phone") == [None, None, "351912345678"]
    assert values(result, "tags") == ["vip; b2b", None, None]
    assert "active" in result.unmapped_columns


def test_ndjson_streams_and_rejects_broken_lines() -> None:
    mapping = {
        "key": "id",
        "columns": {"first_name": "properties.firstname", "last_name": "properties.lastname"},
    }
    result = extract(FIXTURES / "contacts.ndjson", mapping)
    assert result.read == 4
    assert values(result, "first_name") == ["Ana", "João", "Rui"]
    assert result.rejects["reason"].tolist() == ["parse_error"]
    assert "line 4" in result.rejects["detail"].iloc[0]


TITLED = (
    "Customer export;;\n"
    "Generated 2026-11-30 by the ERP, do not edit\n"
    "\n"
    "id;first;last\n"
    "1;Anna;Berg\n"
    "2;Dora;Fox;extra\n"
    "3;Ed;Gomez\n"
)
PEOPLE = {"key": "id", "columns": {"first_name": "first", "last_name": "last"}}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_title_and_notes_above_the_header_are_skipped_with_header_row(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "titled.csv"
    path.write_bytes(TITLED.encode(encoding))
    result = extract(path, PEOPLE, header_row=4)
    assert values(result, "source_key") == ["1", "3"] and list(result.staged["source_row"]) == [1, 3]
    (reject,) = result.rejects.to_dict("records")
    assert reject["reason"] == "field_count" and "line 6" in reject["detail"]  # lines of the file as it is


def test_without_header_row_a_titled_file_is_refused_saying_where_the_header_is(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text(TITLED, encoding="utf-8")
    with pytest.raises(MappingError, match=r"all on line 4, below a title or notes: set `header_row: 4`"):
        extract(path, PEOPLE)


def test_an_excel_title_row_is_skipped_with_header_row(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Kontakte (Stand November)"])
    sheet.append([])
    sheet.append(["id", "first", "last"])
    sheet.append([1, "Anna", "Berg"])
    path = tmp_path / "titled.xlsx"
    book.save(path)
    with pytest.raises(MappingError, match=r"set `header_row: 3`"):
        extract(path, PEOPLE)
    result = extract(path, PEOPLE, header_row=3)
    assert values(result, "first_name") == ["Anna"] and values(result, "source_key") == ["1"]


def test_header_row_is_for_files_with_lines_or_rows(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('[{"id": 1, "first": "Anna", "last": "Berg"}]', encoding="utf-8")
    with pytest.raises(InputError, match="header_row.*CSV and Excel"):
        extract(path, PEOPLE, header_row=2)


def test_excel_sheet_by_name_or_index(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    first.title = "Notes"
    first.append(["nothing here"])
    sheet = book.create_sheet("Kontakte")
    sheet.append(["Nr", "Name", "Geburtstag", "PLZ", "Umsatz"])
    sheet.append([1, "Anna Schmidt", dt.datetime(1980, 5, 17), "01067", 1234.5])
    sheet.append([2, "Peter Meier", None, 80331, 10.0])
    sheet.append([None, None, None, None, None])
    path = tmp_path / "kontakte.xlsx"
    book.save(path)
    mapping = {
        "key": "Nr",
        "columns": {"full_name": "Name", "date_of_birth": "Geburtstag", "postal_code": "PLZ"},
        "keep": ["Umsatz"],
    }
    for sheet_ref in ("Kontakte", 1):
        result = extract(path, mapping, sheet=sheet_ref)
        assert values(result, "source_key") == ["1", "2"]
        assert values(result, "date_of_birth") == ["1980-05-17", None]
        assert values(result, "postal_code") == ["01067", "80331"]
        assert values(result, "Umsatz") == ["1234.5", "10"]
    with pytest.raises(InputError, match="no sheet 'Missing'") as info:
        extract(path, mapping, sheet="Missing")
    assert "Kontakte" in info.value.hint


def test_parquet_with_typed_and_nested_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": pa.array([1, 2, None], pa.int64()),
            "name": ["Ann Lee", "Bo Ek", None],
            "address": pa.array([{"city": "Oslo", "zip": "0150"}, {"city": "Umeå", "zip": None}, None]),
            "since": pa.array([pd.Timestamp("2020-01-02"), None, None], pa.timestamp("ms")),
        }
    )
    path = tmp_path / "people.parquet"
    pq.write_table(table, path)
    mapping = {
        "key": "id",
        "columns": {
            "full_name": "name",
            "city": "address.city",
            "postal_code": "address.zip",
            "created_at": "since",
        },
    }
    result = extract(path, mapping)
    assert result.read == 3
    assert values(result, "source_key") == ["1", "2"]
    assert values(result, "postal_code") == ["0150", None]
    assert values(result, "created_at") == ["2020-01-02", None]
    assert result.rejects["reason"].tolist() == ["empty_row"]


def test_sql_table_from_a_sqlite_file_and_a_query(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TABLE "order customers" (id INTEGER, vorname TEXT, nachname TEXT, plz TEXT)')
        conn.executemany(
            'INSERT INTO "order customers" VALUES (?, ?, ?, ?)',
            [(1, "Eva", "Ernst", "01067"), (2, "Udo", "Ulm", None)],
        )
    url = f"sqlite:///{db}"
    mapping = {
        "key": "id",
        "columns": {"first_name": "vorname", "last_name": "nachname", "postal_code": "plz"},
    }
    by_table = extract(url, mapping, table="order customers")
    assert values(by_table, "postal_code") == ["01067", None]
    by_query = extract(url, mapping, query='SELECT * FROM "order customers" WHERE id > 1')
    assert values(by_query, "first_name") == ["Udo"]
    with pytest.raises(InputError, match="no table 'customers'") as info:
        extract(url, mapping, table="customers")
    assert "order customers" in info.value.hint


def test_unknown_format_and_missing_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown file format '.xls'") as info:
        extract(tmp_path / "old.xls", KUNDEN)
    assert ".xlsx" in info.value.hint
    with pytest.raises(InputError, match="not found"):
        extract(tmp_path / "nope.csv", KUNDEN)
