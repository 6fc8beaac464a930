"""One run at a time: a second run against the same store waits, then refuses clearly; a run
killed mid-load (kill -9) leaves the store exactly as before and the next run completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from crmmigrate.errors import StoreError
from crmmigrate.store import golden_checksum, open_store

GoldenSetFactory = Callable[..., tuple]


def test_a_second_run_is_refused_while_the_first_holds_the_lock(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as first, open_store(store_url) as second:
        second.lock_timeout_s = 0.3
        with first.lock():
            with pytest.raises(StoreError, match="another crmmigrate run is loading") as caught:
                second.load(golden, xref, run_id="run-2")
            assert "crmmigrate runs" in (caught.value.hint or "")
            first.load(golden, xref, run_id="run-1")  # the holder's own load reuses its lock
        assert second.load(golden, xref, run_id="run-2").unchanged == len(golden)


def test_the_lock_is_released_after_a_failed_load(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as first, open_store(store_url) as second:
        with pytest.raises(StoreError):
            first.load(golden.assign(country="X" * 101), xref, run_id="bad")
        with second.lock(timeout_s=0.3):
            pass


SLOW_LOAD = textwrap.dedent(
    """
    import sys, time
    import pandas as pd
    from crmmigrate.store import open_store, write

    url, marker, golden, xref = sys.argv[1:5]
    real_insert = write.bulk_insert

    def insert_then_hang(conn, table, frame):
        real_insert(conn, table, frame)
        if table.name == "customers":
            open(marker, "w").close()
            time.sleep(120)

    write.bulk_insert = insert_then_hang
    with open_store(url) as store:
        store.load(pd.read_parquet(golden), pd.read_parquet(xref), run_id="killed", config_hash="x")
    """
)


def test_a_load_killed_midway_leaves_the_store_as_before(
    store_url: str, tmp_path: Path, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set(n=50)
    with open_store(store_url) as store:
        store.load(
            golden.iloc[:10], xref[xref["customer_id"].isin(golden["customer_id"].iloc[:10])], run_id="first"
        )
        before = store.checksum()
    golden.to_parquet(tmp_path / "golden.parquet")
    xref.to_parquet(tmp_path / "xref.parquet")
    marker = tmp_path / "customers-written"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    args = [store_url, marker, tmp_path / "golden.parquet", tmp_path / "xref.parquet"]
    child = subprocess.Popen([sys.executable, "-c", SLOW_LOAD, *map(str, args)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the loading process ended early"
            assert time.monotonic() < deadline, "the loading process never wrote"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    with open_store(store_url) as store:
        assert store.checksum() == before
        assert store.count_customers() == 10
        assert store.runs().set_index("run_id").loc["killed", "status"] == "running"
        result = store.load(golden, xref, run_id="again")
        assert (result.inserted, result.unchanged) == (40, 10)
        assert store.checksum() == golden_checksum(golden)
        runs = store.runs().set_index("run_id")
        assert runs.loc["killed", "status"] == "failed"
        assert "interrupted" in runs.loc["killed", "detail"]
