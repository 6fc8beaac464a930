"""The whole job on the shipped samples: as a user runs it from the README."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmmigrate import outputs, pipeline, tables
from crmmigrate.accuracy import score_xref
from crmmigrate.cli.app import app
from crmmigrate.config import load_config
from crmmigrate.dedupe.linking import STEPS
from crmmigrate.errors import EXIT_USAGE, OutputError, RunInterrupted, StoreError
from crmmigrate.pipeline import run
from crmmigrate.store import open_store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OUTPUTS = (
    "staged.parquet",
    "clean.parquet",
    "golden.parquet",
    "golden.csv",
    "xref.csv",
    "rejects.csv",
    "validation.json",
    "junit.xml",
    "reconciliation.json",
    "reconciliation.html",
)


def sample_config(tmp: Path, store_url: str | None = None):
    config = load_config(SAMPLES / "crmmigrate.yml")
    config.out = str(tmp / "out")
    config.store = store_url or f"sqlite:///{tmp / 'crm.db'}"
    return config


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("samples-run")
    config = sample_config(tmp)
    return config, run(config)


def test_the_samples_migrate_cleanly(first_run) -> None:
    _, result = first_run
    assert result.exit_code == 0, result.messages
    assert result.balanced and result.validation_passed and result.loaded


def test_every_output_file_is_written(first_run) -> None:
    config, _ = first_run
    out = Path(config.out)
    for name in OUTPUTS:
        assert (out / name).exists(), name


def test_the_clean_rows_written_while_dedupe_runs_are_the_rows_standardise_gave(tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    out = Path(config.out)
    run(config)
    written = pd.read_parquet(out / "clean.parquet")
    staged = pd.read_parquet(out / "staged.parquet")
    pd.testing.assert_frame_equal(written, pipeline.standardise_stage(config, staged).clean)


def test_statuses_held_as_categories_keep_their_values_and_dedupes_answer(tmp_path: Path) -> None:
    from crmmigrate.dedupe import dedupe

    config = sample_config(tmp_path)
    clean = pipeline.standardise_stage(config, pipeline.extract_all(config, None).staged).clean
    compact = clean.copy()
    pipeline.categorical_statuses(compact)
    statuses = [c for c in clean.columns if c.endswith("_status")]
    assert statuses and all(isinstance(compact[c].dtype, pd.CategoricalDtype) for c in statuses)
    assert compact.astype(object).equals(clean.astype(object))
    plain, held = (dedupe(rows, config.dedupe, config.survivorship) for rows in (clean, compact))
    for name in ("golden", "xref", "lineage", "review"):
        pd.testing.assert_frame_equal(getattr(held, name), getattr(plain, name))


def test_the_report_says_when_how_long_with_what_and_what_validation_found(first_run) -> None:
    config, result = first_run
    report = json.loads((Path(config.out) / "reconciliation.json").read_text(encoding="utf-8"))
    run_facts, validation = report["extra"]["run"], report["extra"]["validation"]
    assert run_facts["started"].startswith("20") and run_facts["tool_version"] and run_facts["seconds"] > 0
    assert run_facts["config_sha256"] == config.config_hash != ""
    assert [s["stage"] for s in run_facts["stages"]] == [
        "extract",
        "standardise",
        "dedupe",
        "validate",
        "load",
    ]
    warnings = [f for f in validation["failed"] if f["severity"] == "warning"]
    assert validation["warnings"] == len(warnings) == len(result.validation.warnings) > 0
    html = (Path(config.out) / "reconciliation.html").read_text(encoding="utf-8")
    assert "<h2>Run</h2>" in html and "<h2>Validation</h2>" in html and warnings[0]["name"] in html
    assert "crmmigrate " + run_facts["tool_version"] in html


def test_the_reconciliation_accounts_for_every_row(first_run) -> None:
    config, _ = first_run
    report = json.loads((Path(config.out) / "reconciliation.json").read_text(encoding="utf-8"))
    assert {"run_id", "sources", "golden", "store", "balanced"} <= set(report)
    assert report["balanced"] is True
    staged = 0
    for counts in report["sources"].values():
        assert counts["read"] == counts["rejected"] + counts["staged"]
        staged += counts["staged"]
    assert report["golden"]["members"] == staged
    assert report["store"]["customers"] == report["golden"]["records"]


def test_duplicates_are_found_with_precision_and_recall_of_at_least_0_9(first_run) -> None:
    config, _ = first_run
    xref = pd.read_csv(Path(config.out) / "xref.csv", dtype={"source_key": str})
    truth = pd.read_csv(SAMPLES / "ground_truth.csv", dtype={"source_key": str})
    scores = score_xref(xref, truth)
    assert scores.precision >= 0.9, scores
    assert scores.recall >= 0.9, scores


def test_a_second_run_changes_nothing(first_run) -> None:
    config, first = first_run
    before = pd.read_csv(Path(config.out) / "xref.csv")
    second = run(config)
    assert second.exit_code == 0
    assert (second.load.inserted, second.load.updated) == (0, 0)
    after = pd.read_csv(Path(config.out) / "xref.csv")
    pd.testing.assert_frame_equal(before, after)
    with open_store(config.store_url()) as store:
        assert store.count_customers() == first.reconciliation.golden_records


def test_a_dry_run_writes_nothing_to_the_store(tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    result = run(config, dry_run=True)
    assert result.exit_code == 0
    assert result.load.inserted > 0
    with open_store(config.store_url()) as store:
        assert store.count_customers() == 0


def test_a_full_disk_after_the_load_names_the_report_and_says_the_load_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sample_config(tmp_path)
    write_text = tables.write_text

    def full_disk(path: Path, text: str) -> Path:
        if Path(path).name.startswith("reconciliation"):
            raise OSError(28, "No space left on device")
        return write_text(path, text)

    monkeypatch.setattr(tables, "write_text", full_disk)
    with pytest.raises(OutputError) as raised:
        run(config, run_id="r-full-disk")
    message = str(raised.value)
    assert "reconciliation.json" in message and "No space left on device" in message
    assert "the load itself committed (run r-full-disk)" in message
    with open_store(config.store_url()) as store:
        assert store.count_customers() > 0


def test_extracting_alone_creates_no_store(tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    suppressions = pipeline.load_suppressions(config.store_config())
    assert len(pipeline.extract_all(config, suppressions).staged)
    assert list(tmp_path.iterdir()) == []


def test_the_stage_functions_write_nothing_into_out(tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    out = pipeline.out_dir(config)
    extracted = pipeline.extract_all(config, None)
    clean = pipeline.standardise_stage(config, extracted.staged).clean
    matched = pipeline.dedupe_stage(config, clean, None, None)
    data = pipeline.Golden(matched.golden, matched.xref, matched.lineage)
    report = pipeline.validate_stage(config, data.golden, data.xref)
    loaded = pipeline.load_stage(
        config, data, run_id="pure", gate_open=report.passed, forced=False, dry_run=True
    )
    rec = pipeline.reconcile_stage(run_id="pure", extracted=extracted, data=data, loaded=loaded, dry_run=True)
    assert rec.balanced and report.passed and len(matched.golden)
    assert list(out.iterdir()) == []


def test_relative_source_paths_follow_the_config_file(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(SAMPLES, copy)
    config = load_config(copy / "crmmigrate.yml")
    assert Path(config.source_path(config.sources[0])).parent == copy


@pytest.mark.parametrize("kind", ["postgres_url", "mariadb_url"])
def test_the_samples_load_into_real_servers_and_read_back(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(kind)
    config = sample_config(tmp_path, store_url=url)
    result = run(config)
    assert result.exit_code == 0 and result.balanced
    golden = pd.read_parquet(Path(config.out) / "golden.parquet")
    with open_store(url) as store:
        customers = store.read_customers()
        xref = store.read_xref()
    assert sorted(customers["customer_id"]) == sorted(golden["customer_id"])
    assert len(xref) == result.reconciliation.golden_members
    by_id = customers.set_index("customer_id")
    for row in golden.head(20).itertuples():
        assert by_id.loc[row.customer_id, "last_name"] == row.last_name or pd.isna(row.last_name)


def test_stages_run_one_by_one_from_the_config_give_the_same_result(first_run, tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    out = pipeline.out_dir(config)
    store = config.store_config()
    outputs.write_extracted(pipeline.extract_all(config, pipeline.load_suppressions(store)), out)
    extracted = outputs.read_extracted(out)
    outputs.write_clean(pipeline.standardise_stage(config, extracted.staged).rows, out)
    clean = outputs.read_clean(out)
    known_ids = pipeline.adopt_legacy_links(pipeline.load_known_ids(store), clean, store)
    outputs.write_matched(pipeline.dedupe_stage(config, clean, known_ids, None), out)
    data = outputs.read_golden(out)
    report = pipeline.validate_stage(config, data.golden, data.xref)
    outputs.write_validation(report, out)
    loaded = pipeline.load_stage(
        config,
        data,
        run_id="stagewise",
        gate_open=outputs.read_validation_passed(out),
        forced=False,
        dry_run=False,
    )
    rec = pipeline.reconcile_stage(
        run_id="stagewise", extracted=extracted, data=data, loaded=loaded, dry_run=False
    )
    outputs.write_reconciliation(rec, out)
    assert outputs.read_reconciliation(out).balanced
    first_config, _ = first_run
    expected = pd.read_csv(Path(first_config.out) / "xref.csv")
    pd.testing.assert_frame_equal(pd.read_csv(out / "xref.csv"), expected)


# -- one run at a time per store ---------------------------------------------------------------

HOLD_LOCK = textwrap.dedent(
    """
    import sys
    from crmmigrate.store import open_store

    url, marker = sys.argv[1:3]
    with open_store(url) as store, store.lock():
        open(marker, "w").close()
        sys.stdin.read()  # hold the lock until the test closes our stdin
    """
)


@contextmanager
def run_in_progress_elsewhere(store_url: str, tmp: Path) -> Iterator[None]:
    """Another process holding the store's run lock, as a run in progress does."""
    marker = tmp / "locked"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, store_url, str(marker)], stdin=subprocess.PIPE, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert holder.poll() is None, "the lock holder ended early"
            assert time.monotonic() < deadline, "the lock holder never took the lock"
            time.sleep(0.05)
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)


def test_a_run_while_another_runs_on_the_store_fails_before_extracting_anything(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("crmmigrate.store.core.DEFAULT_LOCK_TIMEOUT_S", 0.3)
    config = sample_config(tmp_path, store_url)
    stages: list[pipeline.StageEvent] = []
    with run_in_progress_elsewhere(store_url, tmp_path):
        with pytest.raises(StoreError, match="another crmmigrate run is running on this store") as caught:
            run(config, progress=stages.append)
        command = ["run", str(SAMPLES / "crmmigrate.yml"), "--store", store_url, "--out", config.out]
        result = CliRunner().invoke(app, [*command, "--wait", "0.5"])
    assert caught.value.exit_code == EXIT_USAGE == 2
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "the store is busy (held by a run on " in output and "waiting up to 0.5 s" in output
    assert "another crmmigrate run is running on this store" in output and "gave up after 0.5 s" in output
    assert "Traceback" not in result.output
    assert stages == [] and not Path(config.out).exists()


def probe_the_lock(monkeypatch: pytest.MonkeyPatch, store_url: str, stage: str, refused: list[str]) -> None:
    """Before `stage` runs, try the store's lock from a second Store; note `stage` if refused."""
    real: Callable[..., Any] = getattr(pipeline, stage)

    def probed(*args: Any, **kwargs: Any) -> Any:
        with open_store(store_url) as other:
            try:
                with other.lock(timeout_s=0):
                    pass
            except StoreError:
                refused.append(stage)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, stage, probed)


STORE_STAGES = ["load_known_ids", "load_suppressions", "dedupe_stage", "load_stage"]


def test_a_run_holds_the_store_lock_from_its_first_read_of_the_store_to_its_load(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused: list[str] = []
    for stage in STORE_STAGES:
        probe_the_lock(monkeypatch, store_url, stage, refused)
    assert run(sample_config(tmp_path, store_url)).loaded
    assert refused == STORE_STAGES
    with open_store(store_url) as other, other.lock(timeout_s=0):
        pass  # and releases it at the end


@pytest.mark.parametrize("kind", ["dry run", "failed validation"])
def test_runs_that_load_nothing_hold_the_lock_too_for_they_read_the_store(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sample_config(tmp_path)
    if kind == "failed validation":
        rules = tmp_path / "strict.yml"
        rules.write_text("rules:\n  - {name: company present, column: company, check: not_null}\n")
        config.rules = [str(rules)]
    refused: list[str] = []
    for stage in STORE_STAGES:
        probe_the_lock(monkeypatch, config.store_url(), stage, refused)
    result = run(config, dry_run=kind == "dry run")
    assert not result.loaded
    assert refused == STORE_STAGES
    with open_store(config.store_url()) as store:
        assert store.count_customers() == 0


def test_a_run_started_during_another_reads_the_store_only_after_the_first_has_loaded(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nightly job started twice: the second waits for the first, then matches against the
    cross-reference the first loaded, so it adds no customer again under a new id."""
    monkeypatch.setattr("crmmigrate.store.core.DEFAULT_LOCK_TIMEOUT_S", 300.0)
    first_thread = threading.get_ident()
    events: list[str] = []
    second: dict[str, Any] = {"config": sample_config(tmp_path / "second", sqlite_url)}
    real_read, real_dedupe, real_load = pipeline.load_known_ids, pipeline.dedupe_stage, pipeline.load_stage

    def who() -> str:
        return "first" if threading.get_ident() == first_thread else "second"

    def read(store_url: str, *, store: Any = None) -> Any:
        known = real_read(store_url, store=store)
        events.append(f"{who()} read {0 if known is None else len(known)} rows")
        return known

    def dedupe(*args: Any, **kwargs: Any) -> Any:
        if who() == "first":  # start the second run now, while the first dedupes
            second["thread"] = threading.Thread(target=lambda: second.update(result=run(second["config"])))
            second["thread"].start()
        return real_dedupe(*args, **kwargs)

    def load(*args: Any, **kwargs: Any) -> Any:
        loaded = real_load(*args, **kwargs)
        events.append(f"{who()} loaded")
        return loaded

    monkeypatch.setattr(pipeline, "load_known_ids", read)
    monkeypatch.setattr(pipeline, "dedupe_stage", dedupe)
    monkeypatch.setattr(pipeline, "load_stage", load)
    first = run(sample_config(tmp_path / "first", sqlite_url))
    second["thread"].join(timeout=300)

    rows = first.reconciliation.golden_members
    assert events == ["first read 0 rows", "first loaded", f"second read {rows} rows", "second loaded"]
    assert (second["result"].load.inserted, second["result"].load.updated) == (0, 0)
    xrefs = [pd.read_csv(tmp_path / run_dir / "out" / "xref.csv") for run_dir in ("first", "second")]
    pd.testing.assert_frame_equal(*xrefs)


KEYLESS = """\
sources:
  - name: webform
    path: webform.csv
    mapping: {columns: {first_name: first, last_name: last, email: email}}
store: sqlite:///{tmp}/crm.db
out: {tmp}/out
"""


def _keyless_runs(tmp_path: Path) -> tuple[dict[str, str], Callable[..., dict[str, str]]]:
    (tmp_path / "crm.yml").write_text(KEYLESS.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    people = {
        "Anna": "Anna,Berg,anna@example.org",
        "Dora": "Dora,Fox,dora@example.org",
        "Ed": "Ed,Gomez,ed@example.org",
        "Zoe": "Zoe,Neumann,zoe@example.org",
    }

    def run_with(*names: str) -> dict[str, str]:
        rows = [people[n] for n in names]
        (tmp_path / "webform.csv").write_text("first,last,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
        assert run(load_config(tmp_path / "crm.yml")).exit_code == 0
        with open_store(f"sqlite:///{tmp_path / 'crm.db'}") as store:
            customers = store.read_customers()
        return dict(zip(customers["first_name"], customers["customer_id"], strict=True))

    return run_with("Anna", "Dora", "Ed"), run_with


def test_a_keyless_export_grown_at_the_top_and_reordered_moves_no_id(tmp_path: Path) -> None:
    first, run_with = _keyless_runs(tmp_path)
    second = run_with("Zoe", "Ed", "Anna", "Dora")
    assert {n: second[n] for n in first} == first  # everyone keeps their own id
    assert second["Zoe"] not in first.values() and len(second) == 4


def test_a_store_that_knew_keyless_rows_by_number_keeps_their_ids_after_the_upgrade(tmp_path: Path) -> None:
    first, run_with = _keyless_runs(tmp_path)
    # The store as an older crmmigrate left it: keyless rows linked by row number, other ids.
    legacy = {name: f"C-legacy-{name}" for name in first}
    (tmp_path / "crm.db").unlink()
    with open_store(f"sqlite:///{tmp_path / 'crm.db'}") as store:
        golden = pd.DataFrame(
            {
                "customer_id": list(legacy.values()),
                "first_name": ["Anna", "Dora", "Ed"],
                "last_name": ["Berg", "Fox", "Gomez"],
                "email": ["anna@example.org", "dora@example.org", "ed@example.org"],
            }
        )
        xref = pd.DataFrame(
            {
                "source": "webform",
                "source_row": [1, 2, 3],
                "source_key": None,
                "customer_id": golden["customer_id"],
            }
        )
        store.load(golden, xref, run_id="legacy")
        assert store.read_xref()["source_id"].tolist() == ["#1", "#2", "#3"]
    second = run_with("Zoe", "Ed", "Anna", "Dora")
    assert {n: second[n] for n in first} == legacy  # by what the rows say, not where they stand
    assert len(second) == 4  # no one twice


def test_a_rerun_that_merges_two_stored_customers_retires_one_and_still_balances(tmp_path: Path) -> None:
    config = KEYLESS.replace("mapping: {columns: {", "mapping: {key: id, columns: {")
    (tmp_path / "crm.yml").write_text(config.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    (tmp_path / "webform.csv").write_text(
        "id,first,last,email\n1,Anna,Berg,anna@example.org\n2,Dora,Fox,dora@example.org\n", encoding="utf-8"
    )
    assert run(load_config(tmp_path / "crm.yml")).exit_code == 0
    with open_store(f"sqlite:///{tmp_path / 'crm.db'}") as store:
        first = set(store.read_customers()["customer_id"])
    (tmp_path / "decisions.csv").write_text(
        "left_source,left_key,right_source,right_key,decision\nwebform,1,webform,2,must_link\n",
        encoding="utf-8",
    )
    (tmp_path / "crm.yml").write_text(
        config.replace("{tmp}", str(tmp_path)) + "dedupe: {decisions: decisions.csv}\n", encoding="utf-8"
    )
    result = run(load_config(tmp_path / "crm.yml"))
    assert result.exit_code == 0
    with open_store(f"sqlite:///{tmp_path / 'crm.db'}") as store:
        (survivor,) = store.read_customers()["customer_id"]
        (retired,) = first - {survivor}
        assert store.resolve_ids([retired]) == {retired: survivor}
    report = json.loads((tmp_path / "out" / "reconciliation.json").read_text(encoding="utf-8"))
    checks = {c["name"]: c["passed"] for c in report["checks"]}
    assert checks["every stored customer has a source row"] and report["balanced"]


def interrupt(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Ctrl-C as `module.name` is called."""

    def pressed(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(module, name, pressed)


def test_an_interrupted_load_leaves_the_store_unchanged_and_says_which_outputs_are_this_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crmmigrate.store.core as core

    config = sample_config(tmp_path)
    interrupt(monkeypatch, core, "apply")  # inside the load's transaction
    with pytest.raises(RunInterrupted) as caught:
        run(config, run_id="20261130T020000Z-aaaaaa")
    said = str(caught.value)
    assert said.startswith(
        "interrupted during load: the store is unchanged (the load transaction was rolled back)"
    )
    assert "holds staged.parquet, rejects.csv, extract_counts.json, clean.parquet, golden.parquet" in said
    assert "validation.json" in said and "reconciliation" not in said
    assert "`crmmigrate load CONFIG`" in (caught.value.hint or "")
    assert isinstance(caught.value, KeyboardInterrupt) and caught.value.exit_code == 130
    with open_store(config.store_url()) as store:
        assert store.count_customers() == 0
        assert store.runs().set_index("run_id").loc["20261130T020000Z-aaaaaa", "status"] == "failed"


def test_an_interrupt_after_the_load_says_the_store_holds_the_run_and_to_reconcile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sample_config(tmp_path)
    interrupt(monkeypatch, pipeline, "reconcile_stage")
    with pytest.raises(RunInterrupted) as caught:
        run(config, run_id="20261130T020000Z-bbbbbb")
    assert str(caught.value).startswith(
        "interrupted during reconcile: the store holds run 20261130T020000Z-bbbbbb (the load committed)"
    )
    assert "`crmmigrate reconcile CONFIG`" in (caught.value.hint or "")
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)  # where the samples' config puts its store and out/
    reconciled = CliRunner().invoke(app, ["reconcile", str(SAMPLES / "crmmigrate.yml")])
    assert reconciled.exit_code == 0, reconciled.output
    assert json.loads((tmp_path / "out" / "reconciliation.json").read_text(encoding="utf-8"))["balanced"]


def test_an_interrupted_dedupe_removes_the_earlier_runs_golden_set_but_keeps_the_match_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sample_config(tmp_path)
    assert run(config, dry_run=True).exit_code == 0
    out = Path(config.out)
    interrupt(monkeypatch, pipeline, "dedupe_stage")
    with pytest.raises(RunInterrupted) as caught:
        run(config)
    said = str(caught.value)
    assert said.startswith("interrupted during dedupe: the store is unchanged; ")
    assert "holds staged.parquet, rejects.csv, extract_counts.json, clean.parquet from this run" in said
    assert "removed golden.parquet, golden.csv, xref.csv" in said
    assert "starting with `crmmigrate dedupe CONFIG`" in (caught.value.hint or "")
    assert not (out / "golden.parquet").exists() and not (out / "reconciliation.json").exists()
    assert (out / "clean.parquet").exists() and (out / "match_model.json").exists()


def test_a_watcher_sees_each_stage_start_and_its_rows_or_steps(tmp_path: Path) -> None:
    seen: list[pipeline.StepEvent] = []
    assert run(sample_config(tmp_path), watch=seen.append).exit_code == 0
    starts = [e.stage for e in seen if e == pipeline.StepEvent(e.stage)]
    assert starts == ["extract", "standardise", "dedupe", "validate", "load", "reconcile"]
    staged = len(pd.read_parquet(tmp_path / "out" / "clean.parquet"))
    last = {e.stage: e for e in seen}
    assert (last["standardise"].done, last["standardise"].total) == (staged, staged)
    counts = json.loads((tmp_path / "out" / "extract_counts.json").read_text(encoding="utf-8"))
    assert (last["extract"].done, last["extract"].total) == (sum(c["read"] for c in counts.values()), None)
    assert {e.step for e in seen if e.stage == "extract" and e.done} == set(counts)  # each source by name
    assert [e.step for e in seen if e.stage == "dedupe"][1:] == list(STEPS)
    assert last["load"].done == last["load"].total > 0
