"""Sources of many files: a glob or a directory of CSV / Parquet exports, read as one source with
its rows numbered on from file to file, counted per file, and every rejected row naming its file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import parse_config
from crmmigrate.errors import InputError, MappingError
from crmmigrate.extract import FileCounts, check_sources, extract_source
from crmmigrate.extract.files import locate, with_file_lineage
from crmmigrate.pipeline import run

MAPPING = {"key": "id", "columns": {"first_name": "first", "last_name": "last", "email": "email"}}
HEADER = "id,first,last,email\n"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _config(tmp_path: Path, path: str, **source: object):
    return parse_config(
        {
            "sources": [{"name": "shop", "path": path, "mapping": MAPPING, **source}],
            "store": f"sqlite:///{tmp_path / 'crm.db'}",
            "out": str(tmp_path / "out"),
        },
        base_dir=tmp_path,
    )


def _exports(tmp_path: Path) -> Path:
    """Three nightly exports; the second has an empty row (rejected) on its second record."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "2026-11-01.csv").write_text(HEADER + "1,Anna,Meyer,anna@example.com\n2,Ben,Okafor,ben@x.org\n")
    (folder / "2026-11-02.csv").write_text(HEADER + "3,Cleo,Dupont,cleo@x.fr\n,,,\n4,Dan,Li,dan@x.cn\n")
    (folder / "2026-11-03.csv").write_text(HEADER + "5,Eva,Novak,eva@x.cz\n")
    return folder


def test_a_glob_is_one_source_numbered_on_from_file_to_file(tmp_path: Path) -> None:
    _exports(tmp_path)
    config = _config(tmp_path, "exports/*.csv")
    result = extract_source(config.sources[0], config)
    assert result.staged["source_key"].tolist() == ["1", "2", "3", "4", "5"]
    assert result.staged["source_row"].tolist() == [1, 2, 3, 5, 6]
    assert result.rejects[["source_row", "reason"]].values.tolist() == [[4, "empty_row"]]
    assert result.files == (
        FileCounts("exports/2026-11-01.csv", first_row=1, read=2, rejected=0, staged=2),
        FileCounts("exports/2026-11-02.csv", first_row=3, read=3, rejected=1, staged=2),
        FileCounts("exports/2026-11-03.csv", first_row=6, read=1, rejected=0, staged=1),
    )


def test_a_directory_reads_its_data_files_and_skips_the_rest(tmp_path: Path) -> None:
    folder = _exports(tmp_path)
    (folder / "_SUCCESS").write_text("")
    (folder / ".part.crc").write_text("x")
    (folder / "old").mkdir()
    config = _config(tmp_path, "exports")
    result = extract_source(config.sources[0], config)
    assert [f.file for f in result.files] == [
        "exports/2026-11-01.csv",
        "exports/2026-11-02.csv",
        "exports/2026-11-03.csv",
    ]
    assert result.read == 6 and len(result.staged) == 5


def test_split_files_give_the_rows_of_the_whole_file(tmp_path: Path) -> None:
    """The webshop sample cut into three files reads as the whole file does, row for row."""
    lines = (SAMPLES / "webshop_customers.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, start in enumerate(range(1, len(lines), 40)):
        (folder / f"part-{i:03d}.csv").write_text(lines[0] + "".join(lines[start : start + 40]))
    mapping = {"key": "customer_id", "columns": {"full_name": "name", "email": "email", "phone": "phone"}}
    sources = [
        {"name": "webshop", "path": str(SAMPLES / "webshop_customers.csv"), "mapping": mapping},
        {"name": "webshop", "path": "parts/part-*.csv", "mapping": mapping},
    ]
    expected, parts = (
        extract_source(c.sources[0], c)
        for c in (parse_config({"sources": [s]}, base_dir=tmp_path) for s in sources)
    )
    assert len(expected.staged) > 100
    pd.testing.assert_frame_equal(parts.staged, expected.staged)
    assert parts.read == expected.read and len(parts.files) == 3


def test_a_directory_of_parquet_files(tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    folder.mkdir()
    for i, names in enumerate([("Anna", "Ben"), ("Cleo",)]):
        frame = pd.DataFrame(
            {
                "id": [f"{i}{j}" for j in range(len(names))],
                "first": list(names),
                "last": ["X"] * len(names),
                "email": [None] * len(names),
            }
        )
        frame.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    config = _config(tmp_path, "lake")
    result = extract_source(config.sources[0], config)
    assert result.staged["first_name"].tolist() == ["Anna", "Ben", "Cleo"]
    assert result.staged["source_row"].tolist() == [1, 2, 3]
    assert [(f.file, f.first_row, f.read) for f in result.files] == [
        ("lake/part-00000.parquet", 1, 2),
        ("lake/part-00001.parquet", 3, 1),
    ]


def test_a_pattern_matching_no_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    config = _config(tmp_path, "exports/*.csv")
    with pytest.raises(InputError, match="matches no file") as caught:
        check_sources(config)
    assert "exports/*.csv" in str(caught.value) and caught.value.exit_code == 2


def test_a_pattern_matching_no_file_exits_2_on_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "crmmigrate.yml"
    config.write_text(
        "sources:\n  - name: shop\n    path: nightly/*.csv\n    mapping: {columns: {email: email}}\n"
        f"store: sqlite:///{tmp_path / 'crm.db'}\nout: {tmp_path / 'out'}\n"
    )
    result = CliRunner().invoke(app, ["extract", str(config)])
    assert result.exit_code == 2
    assert "nightly/*.csv" in result.output and "matches no file" in result.output


def test_a_directory_of_mixed_formats_asks_for_one(tmp_path: Path) -> None:
    folder = _exports(tmp_path)
    pd.DataFrame({"id": ["9"]}).to_parquet(folder / "extra.parquet")
    with pytest.raises(InputError, match="several formats"):
        check_sources(_config(tmp_path, "exports"))
    check_sources(_config(tmp_path, "exports", format="csv"))  # `format:` picks the CSV files


def test_a_file_missing_a_mapped_column_is_named(tmp_path: Path) -> None:
    folder = _exports(tmp_path)
    (folder / "2026-11-04.csv").write_text("id,first,last,mail\n6,Fay,Wong,fay@x.hk\n")
    with pytest.raises(MappingError) as caught:
        check_sources(_config(tmp_path, "exports/*.csv"))
    message = str(caught.value)
    assert "file exports/2026-11-04.csv: column 'email'" in message and "did you mean 'mail'" in message


def test_locate_gives_the_file_and_its_record(tmp_path: Path) -> None:
    files = (FileCounts("a.csv", 1, 2), FileCounts("empty.csv", 3, 0), FileCounts("b.csv", 3, 3))
    file, row = locate(files, pd.Series([1, 2, 3, 5]))
    assert file.tolist() == ["a.csv", "a.csv", "b.csv", "b.csv"]
    assert row.tolist() == [1, 2, 1, 3]


def test_a_raw_column_called_like_the_file_lineage_is_kept_beside_it() -> None:
    rejects = pd.DataFrame(
        {"source": ["shop"], "source_row": [3], "reason": ["empty_row"], "detail": ["-"], "file_row": ["x"]}
    )
    files = {"shop": (FileCounts("a.csv", 1, 2), FileCounts("b.csv", 3, 1))}
    out = with_file_lineage(rejects, files)
    assert list(out.columns) == [
        *("source", "source_row", "reason", "detail"),
        *("source_file", "file_row", "file_row (raw)"),
    ]
    assert out.iloc[0][["source_file", "file_row", "file_row (raw)"]].tolist() == ["b.csv", 1, "x"]
    assert with_file_lineage(out, files).equals(out)  # written twice, the same


def test_a_run_on_a_glob_balances_per_file_and_names_the_file_of_each_reject(tmp_path: Path) -> None:
    _exports(tmp_path)
    result = run(_config(tmp_path, "exports/*.csv"), sample=None)
    assert result.exit_code == 0 and result.balanced
    report = json.loads((tmp_path / "out" / "reconciliation.json").read_text())
    files = report["sources"]["shop"]["files"]
    assert [(f["file"], f["read"], f["rejected"], f["staged"]) for f in files] == [
        ("exports/2026-11-01.csv", 2, 0, 2),
        ("exports/2026-11-02.csv", 3, 1, 2),
        ("exports/2026-11-03.csv", 1, 0, 1),
    ]
    [check] = [c for c in report["checks"] if "files add up" in c["name"]]
    assert check["passed"]
    rejects = pd.read_csv(tmp_path / "out" / "rejects.csv")
    assert rejects[["source_row", "source_file", "file_row"]].values.tolist() == [
        [4, "exports/2026-11-02.csv", 2]
    ]
    xref = pd.read_csv(tmp_path / "out" / "xref.csv")
    assert sorted(xref["source_row"]) == [1, 2, 3, 5, 6]
    html = (tmp_path / "out" / "reconciliation.html").read_text()
    assert "<td>exports/2026-11-02.csv</td><td>3–5</td>" in html
    assert "| shop (3 files) | 6 | 1 | 5 |" in (tmp_path / "out" / "reconciliation.md").read_text()


def test_rows_set_aside_after_extract_are_counted_in_their_file(tmp_path: Path) -> None:
    _exports(tmp_path)
    result = run(_config(tmp_path, "exports/*.csv"), sample=2)  # a pilot of 2 rows: 3 left out
    assert result.balanced
    files = result.reconciliation.sources["shop"].files
    assert sum(f.staged for f in files) == 2 and sum(f.rejected for f in files) == 4
    assert all(f.read == f.rejected + f.staged for f in files)


def test_the_standalone_extract_reads_a_glob_too(tmp_path: Path) -> None:
    _exports(tmp_path)
    mapping = tmp_path / "mapping.yml"
    mapping.write_text("key: id\ncolumns: {first_name: first, last_name: last, email: email}\n")
    pattern = str(tmp_path / "exports" / "*.csv")
    args = ["extract", "--in", pattern, "--mapping", str(mapping), "--out", str(tmp_path / "staged.csv")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    staged = pd.read_csv(tmp_path / "staged.csv")
    assert staged["source_row"].tolist() == [1, 2, 3, 5, 6] and set(staged["source"]) == {"exports"}
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    assert rejects["source_file"].str.endswith("exports/2026-11-02.csv").all()
    assert rejects["file_row"].tolist() == [2]


def test_a_double_star_reaches_into_subfolders(tmp_path: Path) -> None:
    folder = _exports(tmp_path)
    (folder / "late").mkdir()
    (folder / "late" / "2026-11-04.csv").write_text(HEADER + "7,Fay,Wong,fay@x.hk\n")
    config = _config(tmp_path, "exports/**/*.csv")
    result = extract_source(config.sources[0], config)
    assert [f.file for f in result.files][-1] == "exports/late/2026-11-04.csv"
    assert result.staged["source_key"].tolist()[-1] == "7"


def test_a_key_given_again_in_a_later_file_names_the_file_of_the_first(tmp_path: Path) -> None:
    folder = _exports(tmp_path)
    (folder / "2026-11-04.csv").write_text(HEADER + "3,Carla,Dupont,carla@x.fr\n")
    config = _config(tmp_path, "exports/*.csv")
    result = extract_source(config.sources[0], config)
    [reject] = result.rejects[result.rejects["reason"] == "duplicate_key"].to_dict("records")
    assert reject["source_row"] == 7
    assert (
        reject["detail"]
        == "legacy key '3' is already on row 3 (exports/2026-11-02.csv, record 1) with other values"
    )


@pytest.mark.parametrize(
    ("location", "remote"),
    [
        ("s3a://bucket/exports/*.csv", True),
        ("hdfs://namenode:8020/crm/kunden/", True),
        ("file:///mnt/shared/contacts.parquet", True),
        ("dbfs:/mnt/exports/contacts.csv", True),
        ("postgresql+psycopg://crm@db/legacy", False),  # a database: the SQL reader
        ("exports/contacts.csv", False),
        ("C:/exports/contacts.csv", False),  # a Windows drive, not a scheme
    ],
)
def test_file_system_urls_are_told_from_local_paths_and_databases(location: str, remote: bool) -> None:
    from crmmigrate.extract.files import is_remote

    assert is_remote(location) is remote


def test_a_cluster_file_system_url_on_the_pandas_engine_says_to_run_on_spark(tmp_path: Path) -> None:
    config = parse_config(
        {
            "sources": [
                {
                    "name": "shop",
                    "path": "s3a://bucket/exports/*.csv",
                    "mapping": {"columns": {"email": "mail"}},
                }
            ]
        },
        base_dir=tmp_path,
    )
    assert config.source_path(config.sources[0]) == "s3a://bucket/exports/*.csv"  # not made local
    with pytest.raises(InputError) as caught:
        check_sources(config)
    assert "s3a://bucket/exports/*.csv" in str(caught.value) and "pandas engine" in str(caught.value)
    assert "--engine spark" in (caught.value.hint or "")


def test_problems_that_share_a_hint_list_it_once(tmp_path: Path) -> None:
    mapping = {"columns": {"email": "mail"}}
    config = parse_config(
        {
            "sources": [
                {"name": "shop", "path": "s3a://bucket/shop/*.csv", "mapping": mapping},
                {"name": "erp", "path": "hdfs://namenode/erp/", "format": "csv", "mapping": mapping},
            ]
        },
        base_dir=tmp_path,
    )
    with pytest.raises(InputError) as caught:
        check_sources(config)
    assert str(caught.value).count("pandas engine does not read") == 2
    assert "--engine spark" not in str(caught.value) and "--engine spark" in (caught.value.hint or "")
