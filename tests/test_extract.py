"""extract_source: a whole source, with legacy keys given twice."""

from __future__ import annotations

from pathlib import Path

from crmmigrate.config import parse_config
from crmmigrate.extract import extract_source

MAPPING = {"key": "id", "columns": {"first_name": "first", "last_name": "last", "email": "email"}}


def extract(tmp_path: Path, text: str, chunk_rows: int = 100_000):
    path = tmp_path / "legacy.csv"
    path.write_text(text, encoding="utf-8")
    config = parse_config({"sources": [{"name": "legacy", "path": str(path), "mapping": MAPPING}]})
    result = extract_source(config.sources[0], config, chunk_rows=chunk_rows)
    assert result.read == len(result.rejects) + len(result.staged)
    return result


def test_a_key_given_twice_with_other_values_is_rejected_the_second_time(tmp_path: Path) -> None:
    result = extract(
        tmp_path,
        "id,first,last,email\n7,Anna,Meyer,anna@example.com\n8,Ben,Okafor,ben@example.org\n"
        "7,Max,Mustermann,max@example.de\n",
        chunk_rows=2,  # the two rows arrive in different chunks
    )
    assert result.staged["source_key"].tolist() == ["7", "8"]
    assert result.staged["first_name"].tolist() == ["Anna", "Ben"]
    [reject] = result.rejects.to_dict("records")
    assert reject["reason"] == "duplicate_key" and reject["source_row"] == 3
    assert "row 1" in reject["detail"] and reject["first_name"] == "Max"  # its values are kept


def test_a_row_repeated_exactly_stays_for_dedupe_to_merge(tmp_path: Path) -> None:
    result = extract(
        tmp_path, "id,first,last,email\n7,Anna,Meyer,anna@example.com\n7,Anna,Meyer,anna@example.com\n"
    )
    assert len(result.staged) == 2 and result.rejects.empty


def test_rows_without_keys_are_never_duplicates(tmp_path: Path) -> None:
    result = extract(tmp_path, "id,first,last,email\n,Anna,Meyer,a@example.com\n,Ben,Okafor,b@example.org\n")
    assert len(result.staged) == 2 and result.rejects.empty


def test_a_watcher_hears_the_rows_read_after_each_chunk(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    rows = "".join(f"{i},First{i},Last{i},p{i}@example.com\n" for i in range(5))
    path.write_text("id,first,last,email\n" + rows, encoding="utf-8")
    config = parse_config({"sources": [{"name": "legacy", "path": str(path), "mapping": MAPPING}]})
    heard = []
    extract_source(
        config.sources[0],
        config,
        chunk_rows=2,
        steps=lambda done, total, step, unit="rows": heard.append((done, total, step)),
    )
    assert heard == [(2, None, "legacy"), (4, None, "legacy"), (5, None, "legacy")]
