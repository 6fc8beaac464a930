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


def test_a_large_file_read_in_spans_by_several_workers_gives_what_reading_it_whole_gives(
    tmp_path: Path, monkeypatch
) -> None:
    from crmmigrate.extract import combine_spans, csvfile, extract_one_span, file_spans

    monkeypatch.setattr(csvfile, "BLOCK", 256)
    rows = [f'{i},"First\n{i}",Last{i},p{i}@example.com\n' for i in range(60)]
    rows[10] = "10,too,many,fields,here\n"  # a bad record: its row and line
    rows[50] = "3,Max,Mustermann,max@example.de\n"  # key 3 again, spans later: a duplicate
    text = "Export of 2026-11-30\nid,first,last,email\n" + "".join(rows) + '99,"Cut,off'
    path = tmp_path / "legacy.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    source = {"name": "legacy", "path": str(path), "mapping": MAPPING, "header_row": 2}
    config = parse_config({"sources": [source]})

    whole = extract_source(config.sources[0], config)
    spans = file_spans(config.sources[0], config, size=300)
    assert spans is not None and len(spans) > 4
    parts = combine_spans("legacy", [extract_one_span(config.sources[0], config, s) for s in spans])

    assert parts.read == whole.read == 61 and parts.files == whole.files == ()
    assert parts.staged.equals(whole.staged)
    assert parts.rejects.equals(whole.rejects)
    assert sorted(whole.rejects["reason"]) == ["duplicate_key", "field_count", "parse_error"]
    assert "line 121" in whole.rejects.set_index("reason").at["parse_error", "detail"]


def test_a_small_file_or_one_that_cannot_be_cut_by_bytes_is_one_span(tmp_path: Path) -> None:
    from crmmigrate.extract import file_spans

    path = tmp_path / "legacy.csv"
    path.write_text("id,first,last,email\n" + "1,Anna,Meyer,a@example.com\n" * 50, encoding="utf-16")
    config = parse_config({"sources": [{"name": "legacy", "path": str(path), "mapping": MAPPING}]})
    assert file_spans(config.sources[0], config, size=100) is None  # UTF-16: no byte cuts
    path.write_text("id,first,last,email\n1,Anna,Meyer,a@example.com\n", encoding="utf-8")
    assert file_spans(config.sources[0], config, size=100) is None  # smaller than two spans


def test_a_parquet_file_read_a_run_of_row_groups_per_worker_gives_what_reading_it_whole_gives(
    tmp_path: Path,
) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crmmigrate.extract import combine_spans, extract_one_span, file_spans

    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(40)],
            "first": [f"First{i}" for i in range(40)],
            "last": [f"Last{i}" for i in range(40)],
            "email": [f"p{i}@example.com" for i in range(40)],
        }
    )
    frame.loc[33, ["id", "first"]] = ["5", "Max"]  # key 5 again, groups later: a duplicate
    path = tmp_path / "legacy.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=6)
    config = parse_config({"sources": [{"name": "legacy", "path": str(path), "mapping": MAPPING}]})

    whole = extract_source(config.sources[0], config)
    spans = file_spans(config.sources[0], config, size=1)  # a row group per span
    assert spans is not None and len(spans) == 7
    parts = combine_spans(
        "legacy", [extract_one_span(config.sources[0], config, s, chunk_rows=4) for s in spans]
    )
    assert parts.read == whole.read == 40
    assert parts.staged.equals(whole.staged) and parts.rejects.equals(whole.rejects)
    assert whole.rejects["reason"].tolist() == ["duplicate_key"]
