"""The CSV reader cuts large files into blocks at record ends and reads bad records tolerantly;
whatever the block size, it must read exactly what Python's csv module reads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmmigrate.extract import csvfile
from crmmigrate.extract.csvfile import CsvFormat, iter_csv

FIELD = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\té0')), max_size=6)
RECORD = st.lists(FIELD, min_size=3, max_size=3)
RAGGED = st.lists(FIELD, min_size=1, max_size=5)


def write(path: Path, records: list[list[str]], eol: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=eol)
    writer.writerow(["a", "b", "c"])
    writer.writerows(records)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def read_all(path: Path, chunk_rows: int = 7) -> tuple[dict[int, list[str]], dict[int, str]]:
    fmt = CsvFormat(encoding="utf-8", delimiter=",")
    good: dict[int, list[str]] = {}
    bad: dict[int, str] = {}
    for chunk in iter_csv(path, fmt, ["a", "b", "c"], chunk_rows):
        assert chunk.read <= chunk_rows
        for number, (_, row) in zip(chunk.rows, chunk.frame.iterrows(), strict=True):
            good[int(number)] = ["" if pd.isna(v) else v for v in row]
        bad.update({r["source_row"]: r["reason"] for r in chunk.rejects})
    return good, bad


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "BLOCK", 64)
    monkeypatch.setattr(csvfile, "SMALL_BLOCK", 16)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(RECORD, RECORD, RAGGED), min_size=1, max_size=40), st.sampled_from(["\n", "\r\n"]))
def test_blocks_read_what_the_csv_module_reads(tiny_blocks: None, tmp_path: Path, records, eol: str) -> None:
    path = tmp_path / "f.csv"
    write(path, records, eol)
    expected = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))[1:]
    expected = [r for r in expected if r]  # blank lines are not records
    good, bad = read_all(path)
    assert sorted([*good, *bad]) == list(range(1, len(expected) + 1))
    for number, record in enumerate(expected, start=1):
        if len(record) == 3 or (len(record) > 3 and not any(v.strip() for v in record[3:])):
            assert good[number] == record[:3]
        else:
            assert bad[number] == "field_count"


def test_a_bad_record_in_a_large_block_costs_only_its_row(tiny_blocks: None, tmp_path: Path) -> None:
    records = [[f"n{i}", "x", "y"] for i in range(200)]
    records[150] = ["too", "many", "fields", "here"]
    path = tmp_path / "f.csv"
    write(path, records, "\n")
    good, bad = read_all(path, chunk_rows=1000)
    assert bad == {151: "field_count"}
    assert len(good) == 199 and good[152] == ["n151", "x", "y"]


def test_old_mac_line_ends_are_read(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b'a,b,c\r1,2,3\r4,"5\r5",6\r')
    good, bad = read_all(path)
    assert good == {1: ["1", "2", "3"], 2: ["4", "5\r5", "6"]} and not bad


def read_in_spans(path: Path, size: int) -> tuple[dict[int, list[str]], dict[int, str]]:
    """What several workers read, a span each, numbered on from span to span."""
    fmt = CsvFormat(encoding="utf-8", delimiter=",")
    good: dict[int, list[str]] = {}
    bad: dict[int, str] = {}
    offset = 0
    for span in csvfile.record_spans(path, size):
        read = 0
        for chunk in iter_csv(path, fmt, ["a", "b", "c"], 7, span=span):
            read += chunk.read
            for number, (_, row) in zip(chunk.rows, chunk.frame.iterrows(), strict=True):
                good[offset + int(number)] = ["" if pd.isna(v) else v for v in row]
            bad.update({offset + r["source_row"]: r["reason"] for r in chunk.rejects})
        offset += read
    return good, bad


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.one_of(RECORD, RECORD, RAGGED), min_size=1, max_size=40),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(min_value=1, max_value=200),
)
def test_a_file_read_in_spans_gives_what_reading_it_whole_gives(
    tiny_blocks: None, tmp_path: Path, records, eol: str, size: int
) -> None:
    path = tmp_path / "f.csv"
    write(path, records, eol)
    assert read_in_spans(path, size) == read_all(path)


def test_spans_cover_the_records_after_the_header_without_a_gap(tiny_blocks: None, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    write(path, [[f"n{i}", "two\nlines", "y"] for i in range(30)], "\n")
    spans = csvfile.record_spans(path, 100)
    assert len(spans) > 3
    assert spans[0].start == len(b"a,b,c\n") and spans[0].first_line == 2
    assert all(a.end == b.start for a, b in zip(spans, spans[1:], strict=False))
    assert spans[-1].end == path.stat().st_size
    assert not any(s.last for s in spans[:-1])  # only the end of a file can be cut off
    assert spans[1].first_line == 2 + path.read_bytes()[: spans[1].start].count(b"\n") - 1
