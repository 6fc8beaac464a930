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
from crmmigrate.store import golden_checksum, lock, open_store
from crmmigrate.store.lock import FileLock

GoldenSetFactory = Callable[..., tuple]


def test_a_second_run_is_refused_while_the_first_holds_the_lock(
    store_url: str, golden_set: GoldenSetFactory
) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as first, open_store(store_url) as second:
        second.lock_timeout_s = 0.3
        with first.lock():
            with pytest.raises(StoreError, match="another crmmigrate run is running on this store") as caught:
                second.load(golden, xref, run_id="run-2")
            assert "crmmigrate runs" in (caught.value.hint or "")
            first.load(golden, xref, run_id="run-1")  # the holder's own load reuses its lock
        assert second.load(golden, xref, run_id="run-2").unchanged == len(golden)


def test_a_run_that_has_to_wait_is_told_who_holds_the_lock(store_url: str) -> None:
    told: list[str] = []
    with open_store(store_url) as first, open_store(store_url) as second:
        first.lock_owner = "night-42"
        second.on_wait = told.append
        with first.lock():
            with (
                pytest.raises(
                    StoreError, match=r"held by run night-42 on .+ \(process \d+\) since 20"
                ) as caught,
                second.lock(timeout_s=0.2),
            ):
                pass
            assert "--wait SECONDS" in (caught.value.hint or "")
        assert told == [told[0]] and "the store is busy (held by run night-42 on " in told[0]
        assert "waiting up to 0.2 s" in told[0]
        with second.lock(timeout_s=0.2):  # released: the record of who held it is gone too
            assert "night-42" not in second.lock_holder()


def test_the_lock_is_released_after_a_failed_load(store_url: str, golden_set: GoldenSetFactory) -> None:
    golden, xref, _ = golden_set()
    with open_store(store_url) as first, open_store(store_url) as second:
        with pytest.raises(StoreError):
            first.load(golden.assign(country="X" * 101), xref, run_id="bad")
        with second.lock(timeout_s=0.3):
            pass


def another_process_can_lock(path: Path, how: str = "flock") -> bool:
    """Whether a fresh process gets the OS lock on `path` (`flock`, or `lockf` for POSIX locks)."""
    code = (
        "import fcntl, sys; f = open(sys.argv[1], 'a+b'); "
        f"fcntl.{how}(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)"
    )
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True).returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="checks the lock from another process with fcntl")
def test_two_stores_of_one_process_cannot_both_hold_a_sqlite_store_lock(tmp_path: Path) -> None:
    path = tmp_path / "crm.db.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire(0)
    assert not second.acquire(0.2)
    second.release()  # releases nothing: it holds nothing
    assert not FileLock(path).acquire(0)
    assert not another_process_can_lock(path)
    first.release()
    assert second.acquire(0)
    second.release()
    assert another_process_can_lock(path)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX record locks")
def test_a_sqlite_store_lock_stays_exclusive_where_the_os_lock_belongs_to_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POSIX record locks (which flock becomes over NFS) are granted again to the process that
    holds them and dropped by any close of the file: a second Store of that process must still
    wait, and must not release the first one's lock by giving up."""
    import fcntl

    monkeypatch.setattr(lock, "_lock_file", lambda h: fcntl.lockf(h.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB))
    monkeypatch.setattr(lock, "_unlock_file", lambda h: fcntl.lockf(h.fileno(), fcntl.LOCK_UN))
    path = tmp_path / "crm.db.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire(0)
    assert not second.acquire(0.2)
    assert not another_process_can_lock(path, how="lockf")
    first.release()
    assert another_process_can_lock(path, how="lockf")
    assert second.acquire(0)
    second.release()


def test_a_lock_file_that_cannot_be_opened_is_an_error_not_a_busy_store(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        FileLock(tmp_path / "no-such-dir" / "crm.db.lock").acquire(0)
    tmp_path.joinpath("no-such-dir").mkdir()
    held = FileLock(tmp_path / "no-such-dir" / "crm.db.lock")
    assert held.acquire(0)  # the failed attempt left nothing behind
    held.release()


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


def test_a_symlinked_sqlite_path_finds_the_same_lock(tmp_path) -> None:
    """Two runs naming one database by two paths must still take turns."""
    from crmmigrate.store import open_store

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    from crmmigrate.store.lock import lock_for

    with (
        open_store(f"sqlite:///{tmp_path / 'real' / 'crm.db'}") as one,
        open_store(f"sqlite:///{tmp_path / 'link' / 'crm.db'}") as two,
    ):
        assert lock_for(one._engine)._path == lock_for(two._engine)._path


def test_a_sqlite_store_in_a_folder_not_made_yet_is_created(tmp_path) -> None:
    from crmmigrate.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'new' / 'deeper' / 'crm.db'}") as store:
        assert store.count_customers() == 0
    assert (tmp_path / "new" / "deeper" / "crm.db").exists()
