"""Property tests for hostile input: whatever bytes a source file holds, the tool either refuses
it with a typed error (exit 2, no traceback) or accounts for every row it read.

Examples are few (the full run costs about a second each) and the seed is fixed, so the suite
stays fast and repeatable.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from crmmigrate.cli.app import app
from crmmigrate.config import parse_config
from crmmigrate.errors import CrmMigrateError
from crmmigrate.extract import check_sources, extract_source

MAPPING = {"key": "id", "columns": {"first_name": "first", "last_name": "last", "email": "email"}}
HEADER = "id,first,last,email\n"
GOOD_ROW = "999,Anna,Meyer,anna@example.com\n"  # one usable row, so the later stages have work

FIELD = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 ,;\"'\n\r\t=+-@\x00\x1b\u200b\u202eéß€")), max_size=12
)
CSVISH = st.lists(st.lists(FIELD, min_size=0, max_size=7), max_size=12).map(
    lambda rows: "".join(",".join(r) + "\n" for r in rows)
)
ENCODINGS = st.sampled_from(["utf-8", "cp1252", "utf-16"])
FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _extract(path: Path) -> None:
    config = parse_config({"sources": [{"name": "legacy", "path": str(path), "mapping": MAPPING}]})
    try:
        check_sources(config)
        result = extract_source(config.sources[0], config)
    except CrmMigrateError as error:
        assert error.exit_code == 2
        return
    assert result.read == len(result.rejects) + len(result.staged)
    if len(result.rejects):
        rows = set(result.rejects["source_row"]) | set(result.staged["source_row"])
        assert len(rows) == result.read  # every record number once


def _run(case: Path, source: Path) -> Result:
    """`crmmigrate run` on a config of one source with an inline mapping, all inside `case`."""
    config = case / "crm.yml"
    sources = [{"name": "legacy", "path": str(source), "mapping": MAPPING}]
    store, out = f"sqlite:///{case / 'crm.db'}", str(case / "out")
    config.write_text(yaml.safe_dump({"sources": sources, "store": store, "out": out}))
    return CliRunner().invoke(app, ["run", str(config)])


@seed(8)
@FAST
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused_or_accounted_for(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    _extract(path)


@seed(8)
@FAST
@given(body=CSVISH, encoding=ENCODINGS)
def test_csvish_text_is_accounted_for(tmp_path: Path, body: str, encoding: str) -> None:
    path = tmp_path / "ragged.csv"
    path.write_bytes((HEADER + body).encode(encoding, errors="replace"))
    _extract(path)


@seed(8)
@settings(FAST, max_examples=15)
@given(body=CSVISH, junk=st.binary(max_size=64))
def test_run_exits_cleanly_and_balances(tmp_path: Path, body: str, junk: bytes) -> None:
    """Through the CLI: exit 0, 1 or 2, never a traceback; balanced when it ran."""
    case = tmp_path / f"case{abs(hash((body, junk))) % 10**9}"
    case.mkdir()
    source = case / "c.csv"
    source.write_bytes((HEADER + GOOD_ROW + body).encode("utf-8") + junk)
    result = _run(case, source)
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    event(f"exit {result.exit_code}")
    if result.exit_code in (0, 1):
        rec = json.loads((case / "out" / "reconciliation.json").read_text())
        counts = rec["sources"]["legacy"]
        assert rec["balanced"] and counts["read"] == counts["rejected"] + counts["staged"]


@seed(8)
@settings(FAST, max_examples=10)
@given(data=st.binary(max_size=3000))
def test_run_on_random_bytes_exits_cleanly(tmp_path: Path, data: bytes) -> None:
    case = tmp_path / f"bytes{abs(hash(data)) % 10**9}"
    case.mkdir()
    source = case / "c.csv"
    source.write_bytes(data)
    result = _run(case, source)
    assert result.exit_code == 2, result.output  # no header that fits the mapping
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "error:" in result.output
