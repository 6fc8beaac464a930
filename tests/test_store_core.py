"""Loading a golden set into a store, as the pipeline does: on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import hashlib
import json
import signal
from collections.abc import Callable, Iterable, Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from crmmigrate.errors import StoreError
from crmmigrate.store import TableCounts, core, golden_checksum, open_store, plan
from crmmigrate.store.tables import meta

GoldenSetFactory = Callable[..., tuple]


def load(store, golden, xref, lineage=None, run_id: str = "run-1", **kwargs):
    return store.load(golden, xref, lineage, run_id=run_id, config_hash="abc", **kwargs)


def test_a_load_reads_back_as_loaded(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        result = load(store, golden, xref, lineage)
        assert (result.inserted, result.updated, result.unchanged) == (6, 0, 0)
        assert result.plan.counts("customer_sources").inserts == len(xref)
        back = store.read_customers().sort_values("customer_id").reset_index(drop=True)
        for column in golden.columns:
            expected = (
                golden[column]
                .astype(object)
                .where(golden[column].notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
            got = (
                back[column]
                .astype(object)
                .where(back[column].notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
            assert expected.tolist() == got.tolist(), column
        stored_xref = store.read_xref().sort_values(["source", "source_row"]).reset_index(drop=True)
        assert len(stored_xref) == len(xref)
        assert set(stored_xref["customer_id"]) == set(golden["customer_id"])
        assert len(store.read_lineage()) == len(lineage)


def test_a_rerun_with_the_same_golden_set_changes_nothing(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref, lineage)
        before = store.read_customers()
        again = load(store, golden, xref, lineage, run_id="run-2")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(golden))
        assert again.plan.changes == 0
        pd.testing.assert_frame_equal(before, store.read_customers())


def test_a_changed_record_is_updated_and_counted(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref)
        changed = golden.copy()
        changed.loc[2, "email"] = "new@example.com"
        changed.loc[4, "loyalty_no"] = "L-NEW"
        new_row = golden.iloc[[0]].assign(customer_id="C99999")
        changed = pd.concat([changed, new_row], ignore_index=True)
        result = load(store, changed, xref, run_id="run-2")
        assert (result.inserted, result.updated, result.unchanged) == (1, 2, len(golden) - 2)
        back = store.read_customers().set_index("customer_id")
        assert back.loc["C00002", "email"] == "new@example.com"
        assert back.loc["C00004", "loyalty_no"] == "L-NEW"
        assert store.count_customers() == len(golden) + 1


def test_a_dry_run_writes_nothing_not_even_a_ledger_row(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        result = load(store, golden, xref, lineage, dry_run=True)
        assert result.dry_run and result.inserted == len(golden)
        assert store.count_customers() == 0
        assert len(store.runs()) == 0
        assert store.plan(golden, xref).counts().inserts == len(golden)


def test_a_failure_midway_leaves_the_store_as_before(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        load(store, golden.iloc[:3], xref[xref["customer_id"].isin(golden["customer_id"].iloc[:3])])
        before, before_xref = store.read_customers(), store.read_xref()
        # The customers and source rows are written first; the last lineage row breaks a NOT NULL.
        broken = pd.concat(
            [
                lineage,
                pd.DataFrame(
                    {"customer_id": ["C00001"], "field": [None], "source": ["crm0"], "source_row": [1]}
                ),
            ],
            ignore_index=True,
        )
        with pytest.raises(StoreError, match="rolled back"):
            load(store, golden, xref, broken, run_id="run-2")
        pd.testing.assert_frame_equal(before, store.read_customers())
        pd.testing.assert_frame_equal(before_xref, store.read_xref())
        assert len(store.read_lineage()) == 0
        runs = store.runs().set_index("run_id")
        assert runs.loc["run-2", "status"] == "failed"
        assert runs.loc["run-1", "status"] == "succeeded"


def test_an_interrupt_after_the_commit_leaves_the_ledger_saying_succeeded(
    store_url: str, golden_set: GoldenSetFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmmigrate.store import ledger

    golden, xref, _ = golden_set()
    armed: list[bool] = []
    finish, close = ledger.finish, sa.Connection.close

    def finish_and_arm(*args: object) -> None:
        finish(*args)
        armed.append(True)

    def close_then_interrupt(self: sa.Connection) -> None:  # Ctrl-C as the committed load closes
        close(self)
        if armed and armed.pop():
            raise KeyboardInterrupt

    monkeypatch.setattr(ledger, "finish", finish_and_arm)
    monkeypatch.setattr(sa.Connection, "close", close_then_interrupt)
    with open_store(store_url) as store:
        with pytest.raises(KeyboardInterrupt):
            load(store, golden, xref)
        monkeypatch.undo()
        assert store.count_customers() == len(golden)
        assert store.runs().set_index("run_id").loc["run-1", "status"] == "succeeded"
        store.rollback("run-1")  # the ledger and the store agree, so the run can be rolled back
        assert store.count_customers() == 0


def test_a_watched_load_hears_the_rows_written_per_table(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, lineage = golden_set()
    heard: list[tuple[int, int | None, str]] = []
    with open_store(store_url) as store:
        result = load(
            store,
            golden,
            xref,
            lineage,
            steps=lambda done, total, step, unit="rows": heard.append((done, total, step)),
        )
    assert heard[0] == (0, None, "planning")
    written = len(golden) + len(xref) + len(lineage)
    assert heard[-1] == (written, written, "golden_lineage")
    assert (len(golden), written, "customers") in heard
    assert [done for done, _, _ in heard] == sorted(done for done, _, _ in heard)
    assert result.inserted == len(golden)


def test_ctrl_c_inside_a_driver_call_rolls_the_load_back_cleanly(
    store_url: str, golden_set: GoldenSetFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.dialects.mysql.mysqldb import MySQLDialect_mysqldb
    from sqlalchemy.engine.default import DefaultDialect

    from crmmigrate.store import write

    golden, xref, lineage = golden_set()

    def pressed_after_one(rows: Iterable[tuple]) -> Iterator[tuple]:
        """The rows, with Ctrl-C pressed once the driver has written the first: as a real Ctrl-C
        arrives, in the middle of the driver's work."""
        for n, row in enumerate(rows):
            if n == 1:
                signal.raise_signal(signal.SIGINT)
            yield row

    def pressed_in(executemany: Callable[..., None]) -> Callable[..., None]:
        def executemany_pressed(self, cursor, statement, parameters, context=None) -> None:  # noqa: ANN001
            if "customer_sources" in statement:
                parameters = pressed_after_one(parameters)
            executemany(self, cursor, statement, parameters, context)

        return executemany_pressed

    for dialect in (DefaultDialect, MySQLDialect_mysqldb):  # SQLite's driver; PyMySQL's
        monkeypatch.setattr(dialect, "do_executemany", pressed_in(dialect.do_executemany))
    copy = write._copy

    def copy_pressed(conn, table, columns, rows) -> None:  # noqa: ANN001 - PostgreSQL writes by COPY
        copy(conn, table, columns, pressed_after_one(rows) if table.name == "customer_sources" else rows)

    monkeypatch.setattr(write, "_copy", copy_pressed)
    # SQLite takes many rows a statement: two a statement, so that its driver gets several too
    monkeypatch.setattr(write, "SQLITE_ROWS_PER_STATEMENT", 2)
    with open_store(store_url) as store, pytest.raises(KeyboardInterrupt):
        load(store, golden, xref, lineage)
    monkeypatch.undo()
    with open_store(store_url) as store:
        assert store.count_customers() == 0
        assert store.runs().set_index("run_id").loc["run-1", "status"] == "failed"
        assert load(store, golden, xref, lineage, run_id="run-2").inserted == len(golden)  # not locked


def test_the_store_checksum_equals_the_golden_checksum(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref)
        assert store.checksum() == golden_checksum(golden)
        assert store.checksum(golden["customer_id"].iloc[:2]) == golden_checksum(golden.iloc[:2])
        assert store.checksum(golden["customer_id"]) == golden_checksum(golden)  # every stored row
        ids = [*golden["customer_id"].iloc[:5], "C-not-stored"]  # most of the store, and one it lacks
        assert store.checksum(ids) == golden_checksum(golden.iloc[:5])
        changed = golden.assign(city="Berlin")
        assert store.checksum() != golden_checksum(changed)


@pytest.mark.parametrize("slice_rows", [1, 4])
def test_the_store_checksum_is_the_same_read_a_slice_at_a_time(
    store_url: str, golden_set: GoldenSetFactory, monkeypatch, slice_rows: int
) -> None:
    """The stored customers are hashed a few at a time (whole slices, a part of one, by a scan and
    by lookups of ids): the checksum is the golden set's all the same."""
    golden, xref, _ = golden_set()
    monkeypatch.setattr(core, "CHECKSUM_SLICE_ROWS", slice_rows)
    monkeypatch.setattr(plan, "READ_BATCH", 2)
    with open_store(store_url) as store:
        load(store, golden, xref)
        assert store.checksum() == golden_checksum(golden)
        assert store.checksum(golden["customer_id"]) == golden_checksum(golden)
        assert store.checksum(golden["customer_id"].iloc[:2]) == golden_checksum(golden.iloc[:2])
        assert store.checksum([*golden["customer_id"].iloc[:5], "C-x"]) == golden_checksum(golden.iloc[:5])
        assert store.checksum(golden["customer_id"].iloc[:1]) == golden_checksum(golden.iloc[:1])  # by lookup


def test_the_ledger_records_each_run(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref, forced=True)
        load(store, golden, xref, run_id="run-2")
        runs = store.runs()
        assert runs["run_id"].tolist() == ["run-1", "run-2"]
        assert runs["status"].tolist() == ["succeeded", "succeeded"]
        assert runs["forced"].tolist() == [True, False]
        assert json.loads(runs["counts"].iloc[0])["customers"]["inserts"] == 6


def test_a_run_id_cannot_be_loaded_twice(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref)
        with pytest.raises(StoreError, match="already in the ledger"):
            load(store, golden, xref)


def test_bad_golden_sets_are_refused_before_writing(sqlite_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(sqlite_url) as store:
        with pytest.raises(StoreError, match="sharing a key"):
            load(store, pd.concat([golden, golden.iloc[[0]]]), xref)
        with pytest.raises(StoreError, match="longer than the store allows"):
            load(store, golden.assign(country="X" * 101), xref)
        with pytest.raises(StoreError, match="NUL character"):
            load(store, golden.assign(city="Ber\x00lin"), xref)
        with pytest.raises(StoreError, match="no column 'customer_id'"):
            load(store, golden.drop(columns="customer_id"), xref)
        assert store.count_customers() == 0


def test_bad_lineage_and_dates_are_refused_before_writing(
    sqlite_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, lineage = golden_set()
    coded = lineage.astype({"customer_id": "category", "field": "category", "source": "category"})
    again = pd.concat([coded, coded.iloc[[3]]], ignore_index=True).astype(coded.dtypes.to_dict())
    with open_store(sqlite_url) as store:
        for repeated in (again, again.iloc[::-1]):  # a key twice, the rows in order or not
            with pytest.raises(StoreError, match=r"the field lineage has 2 rows sharing a key"):
                load(store, golden, xref, repeated)
        long_field = coded.assign(field=coded["field"].cat.rename_categories(lambda f: f + "x" * 64))
        with pytest.raises(StoreError, match="values of 'field' are longer than the store allows"):
            load(store, golden, xref, long_field)
        with pytest.raises(StoreError, match=r"1 values of 'date_of_birth' are not a date .* 'C00002'"):
            load(store, golden.assign(date_of_birth=["1980-02-29", "", "1980-02-30", *[None] * 3]), xref)
        load(store, golden, xref, coded)  # the same lineage, whole
        assert len(store.read_lineage()) == len(lineage) and store.count_customers() == len(golden)


@pytest.mark.parametrize("run_id", ["r" * 65, "", " padded ", "tab\there"])
def test_a_run_id_the_ledger_cannot_hold_is_refused_before_anything_is_written(
    store_url: str, golden_set: GoldenSetFactory, run_id: str
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        with pytest.raises(StoreError, match="run id .* cannot be recorded"):
            load(store, golden, xref, run_id=run_id)
        assert store.runs().empty and store.count_customers() == 0


def test_a_store_with_a_dropped_table_is_refused_not_recreated(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        load(store, golden, xref)
        with store._engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE customer_history"))
    with pytest.raises(StoreError, match="incomplete: table customer_history missing"):
        open_store(store_url)


def test_a_schema_version_changed_by_hand_is_a_clear_error(store_url: str) -> None:
    with open_store(store_url) as store, store._engine.begin() as conn:
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value="2.0"))
    with pytest.raises(StoreError, match="schema version is '2.0'"):
        open_store(store_url)


def test_a_read_only_user_gets_a_store_error_naming_the_ledger(
    postgres_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    with open_store(postgres_url) as store:
        schema = store._engine.url.query["options"].split("=")[-1]
        role = f"{schema}_reader"
        with store._engine.begin() as conn:
            conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
            conn.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    reader = sa.engine.make_url(postgres_url).set(username=role)
    try:
        with (
            open_store(reader.render_as_string(hide_password=False)) as store,
            pytest.raises(StoreError, match="cannot record the run in the store's ledger"),
        ):
            load(store, golden, xref)
    finally:
        with open_store(postgres_url) as store, store._engine.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))


def test_the_tables_are_created_once_and_versioned(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        store.ensure_schema()
    with open_store(sqlite_url) as store:
        assert store.count_customers() == 0


def _inbound(keys: list[str | None], customers: list[str], first_row: int = 1) -> pd.DataFrame:
    """Cross-reference rows of one night's inbound file: rows numbered from `first_row`."""
    return pd.DataFrame(
        {
            "source": "inbound",
            "source_row": range(first_row, first_row + len(keys)),
            "source_key": keys,
            "customer_id": customers,
            "match_score": 1.0,
        }
    )


def _links(store) -> dict[str, tuple[int, str]]:
    """source_key -> (source_row, customer_id) of the stored inbound rows."""
    xref = store.read_xref()
    inbound = xref[xref["source"] == "inbound"]
    return {
        k: (int(r), c)
        for k, r, c in zip(inbound["source_key"], inbound["source_row"], inbound["customer_id"], strict=True)
    }


def test_nightly_files_numbered_from_one_again_keep_every_earlier_link(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, _, _ = golden_set()
    ids = golden["customer_id"].tolist()
    with open_store(store_url) as store:
        load(store, golden.iloc[:4], _inbound(["W-1", "W-2", "W-3", "W-4"], ids[:4]), run_id="night-1")
        night_2 = load(store, golden.iloc[[4]], _inbound(["W-9"], [ids[4]]), run_id="night-2")
        assert night_2.plan.counts("customer_sources") == TableCounts(inserts=1)
        links = _links(store)
        assert links["W-1"] == (1, ids[0]) and links["W-9"] == (1, ids[4])  # both row 1, both kept
        assert len(links) == 5
        assert store.read_xref().set_index("source_key").loc["W-9", "source_id"] == "W-9"


def test_a_reexport_with_shifted_rows_moves_the_links_and_rolls_back(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, _, _ = golden_set()
    ids = golden["customer_id"].tolist()
    with open_store(store_url) as store:
        load(store, golden.iloc[:4], _inbound(["W-1", "W-2", "W-3", "W-4"], ids[:4]), run_id="export-1")
        before = _links(store)
        shifted = _inbound(["W-0", "W-1", "W-2", "W-3", "W-4"], [ids[4], *ids[:4]])  # a row on top
        result = load(store, golden.iloc[:5], shifted, run_id="export-2")
        assert result.plan.counts("customer_sources") == TableCounts(inserts=1, updates=4)
        assert _links(store)["W-1"] == (2, ids[0])
        store.rollback("export-2")
        assert _links(store) == before


def test_rows_without_a_key_are_known_by_row_and_long_keys_by_digest(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, _, _ = golden_set()
    ids = golden["customer_id"].tolist()
    long_key = "K" * 300  # more than an index on MariaDB can hold
    xref = _inbound([None, long_key, " W-3 "], ids[:3])
    with open_store(store_url) as store:
        load(store, golden.iloc[:3], xref)
        stored = store.read_xref().sort_values("source_row")
        assert stored["source_id"].tolist() == [
            "#1",
            "sha256:" + hashlib.sha256(long_key.encode()).hexdigest(),
            "W-3",  # trimmed, as dedupe's identities are
        ]
        assert stored["source_key"].tolist()[1] == long_key
        assert load(store, golden.iloc[:3], xref, run_id="run-2").plan.changes == 0


def test_a_record_exported_twice_is_linked_once(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, _, _ = golden_set()
    ids = golden["customer_id"].tolist()
    with open_store(store_url) as store:
        result = load(store, golden.iloc[:2], _inbound(["W-1", "W-2", "W-1"], [ids[0], ids[1], ids[0]]))
        assert result.plan.counts("customer_sources").inserts == 2
        assert _links(store)["W-1"] == (3, ids[0])  # the last row, as dedupe keeps the last link


def test_one_legacy_key_on_two_customers_is_refused_before_writing(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, _, _ = golden_set()
    ids = golden["customer_id"].tolist()
    with open_store(store_url) as store:
        twice = _inbound(["W-5", "W-5"], ids[:2])
        shared = r"rows 1, 2 of source 'inbound', which share the legacy key 'W-5', to 2 different customers"
        with pytest.raises(StoreError, match=shared):
            load(store, golden.iloc[:2], twice)
        assert store.count_customers() == 0 and len(store.runs()) == 0


def test_a_merge_retires_the_absorbed_customer_as_an_alias_of_the_survivor(
    store_url: str, golden_set: GoldenSetFactory, merged: Callable[..., tuple]
) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        rerun, moved = merged(golden, xref, absorbed="C00001", survivor="C00000")
        result = store.load(rerun, moved, lineage[lineage["customer_id"] != "C00001"], run_id="run-2")

        assert result.plan.retired == 1
        assert "C00001" not in set(store.read_customers()["customer_id"])
        assert store.read_aliases().to_dict("records") == [{"customer_id": "C00001", "survivor_id": "C00000"}]
        assert store.resolve_ids(["C00001", "C00002"]) == {"C00001": "C00000", "C00002": "C00002"}
        assert "C00001" not in set(store.read_lineage()["customer_id"])
        assert store.integrity() == (0, 0)
        assert store.load(rerun, moved, run_id="run-3").plan.retired == 0  # nothing left to retire


def test_a_customer_keeping_some_source_rows_is_not_retired(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
        split = xref.copy()
        split.loc[(split["customer_id"] == "C00000") & (split["source"] == "crm1"), "customer_id"] = "C00002"
        partial = golden[golden["customer_id"] != "C00000"]  # this run did not bring C00000 at all
        assert store.load(partial, split[split["customer_id"] != "C00000"], run_id="run-2").plan.retired == 0
        assert "C00000" in set(store.read_customers()["customer_id"]) and store.integrity() == (0, 0)


def test_lineage_of_a_field_that_is_now_empty_is_deleted(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, lineage = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, lineage, run_id="run-1")
        emptied = golden.assign(email=golden["email"].where(golden["customer_id"] != "C00001", None))
        result = store.load(emptied, xref, lineage[lineage["customer_id"] != "C00001"], run_id="run-2")
        assert result.plan.counts("golden_lineage").deletes == 1
        assert "C00001" not in set(store.read_lineage()["customer_id"])
        assert len(store.read_lineage()) == len(lineage) - 1


def test_a_retired_id_that_comes_back_as_a_customer_is_no_longer_an_alias(
    store_url: str, golden_set: GoldenSetFactory, merged: Callable[..., tuple]
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as store:
        store.load(golden, xref, run_id="run-1")
        store.load(*merged(golden, xref, absorbed="C00001", survivor="C00000"), run_id="run-2")
        store.load(golden, xref, run_id="run-3")  # split again: C00001 has its own rows once more
        assert "C00001" in set(store.read_customers()["customer_id"])
        assert len(store.read_aliases()) == 0 and store.resolve_ids(["C00001"]) == {"C00001": "C00001"}
        assert store.integrity() == (0, 0)
