"""The whole `crmmigrate run` on N generated rows: seconds and peak memory per stage and in all.

    python benchmarks/bench_run.py                        # ~1,000,000 rows into a new SQLite store
    python benchmarks/bench_run.py --rows 100000          # quick
    python benchmarks/bench_run.py --rows 1000000 --cache /tmp/exports   # keep the generated files
    python benchmarks/bench_run.py --rows 100000 --store postgresql+psycopg://postgres@127.0.0.1/test
    python benchmarks/bench_run.py --rows 100000 --keep /tmp/run   # keep crm.db and out/ to compare

Targets (issue 17, 2 cores, 1M rows): the whole run <= 180 s and <= 3 GiB into SQLite, <= 240 s
into PostgreSQL; standardise <= 40 s, load <= 30 s, reconcile <= 5 s, validate <= 8 s.

The exports come from `samples generate` (typos, households, missing values; seeded). The run is a
subprocess (`python -m crmmigrate run --json`), so its start-up is counted as a user sees it. Stage
seconds are the run's own (its `--json` summary). CPU seconds (the run's and its workers', from
/proc) per stage and in all: on a shared machine they vary far less than wall seconds. Memory is
the run process's resident set, sampled every 50 ms and attributed to the stage that was running,
with the kernel's peak (VmHWM) for the whole process; `workers` is the highest sum over the
process's descendants at one moment (the standardise pool and its forkserver). A PostgreSQL URL
gets a new schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench_dedupe import ROWS_PER_CUSTOMER  # noqa: I001  (run from benchmarks/)

from crmmigrate.samples.generate import generate

STAGES = ("extract", "standardise", "dedupe", "validate", "load", "reconcile")


def exports(rows: int, seed: int, cache: Path | None, tmp: Path) -> Path:
    """The generated exports' config file (reused from `cache` when it holds this size)."""
    customers = max(1, int(rows / ROWS_PER_CUSTOMER))
    folder = (cache / f"{customers}-{seed}") if cache else tmp / "exports"
    config = folder / "crmmigrate.yml"
    if not config.exists():
        started = time.perf_counter()
        made = generate(customers, folder, seed=seed)
        seconds = time.perf_counter() - started
        print(f"generated {made.total_rows:,} rows ({customers:,} customers) in {seconds:.0f} s")
    return config


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    """Children, theirs, and so on (the standardise pool's workers are the forkserver's children)."""
    try:
        found = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [*found, *(d for child in found for d in _descendants(child))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


TICKS = os.sysconf("SC_CLK_TCK")


class Sampler:
    """Polls the run's resident set and CPU time (its own and its workers'); `mark(stage)` closes
    the stage that just ended. CPU seconds say more than wall seconds on a shared machine."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.stage_peak: dict[str, int] = {}
        self.stage_cpu: dict[str, float] = {}
        self.workers_peak = 0
        self._current = 0
        self._lock = threading.Lock()
        self.hwm = 0
        self._cpu: dict[int, float] = {}  # last CPU seen per process (workers end between samples)
        self._cpu_marked = 0.0

    def sample(self) -> None:
        rss = _status_kib(self.pid, "VmRSS")
        family = _descendants(self.pid)
        workers = sum(_status_kib(c, "VmRSS") for c in family)
        with self._lock:
            for pid in (self.pid, *family):
                self._cpu[pid] = max(self._cpu.get(pid, 0.0), cpu_seconds(pid))
            self._current = max(self._current, rss)
            self.workers_peak = max(self.workers_peak, workers)
            self.hwm = max(self.hwm, _status_kib(self.pid, "VmHWM"))

    @property
    def cpu(self) -> float:
        return sum(self._cpu.values())

    def mark(self, stage: str) -> None:
        self.sample()
        with self._lock:
            self.stage_peak[stage] = self._current
            self._current = 0
            self.stage_cpu[stage] = self.cpu - self._cpu_marked
            self._cpu_marked = self.cpu


def run_once(config: Path, store: str, work: Path, extra: list[str]) -> dict:
    out, summary = work / "out", work / "run.json"
    command = [sys.executable, "-m", "crmmigrate", "run", str(config), "--store", store]
    command += ["--out", str(out), "--json", str(summary), *extra]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(child.pid)
    lines: list[str] = []

    def read() -> None:  # a stage's line is printed when it ends
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line.rstrip())
            words = line.split()
            if len(words) > 2 and words[2] in STAGES:
                sampler.mark(words[2])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while child.poll() is None:
        sampler.sample()
        time.sleep(0.05)
    reader.join()
    seconds = time.perf_counter() - started
    stderr = child.stderr.read() if child.stderr else ""
    if not summary.exists():
        sys.exit(f"the run wrote no summary (exit {child.returncode}):\n{stderr[-3000:]}")
    result = json.loads(summary.read_text(encoding="utf-8"))
    result["wall_s"] = seconds
    result["sampler"] = sampler
    result["stderr"] = stderr
    return result


def report(result: dict) -> None:
    sampler: Sampler = result["sampler"]
    print(f"{'stage':<12} {'seconds':>8} {'CPU s':>8} {'peak RSS MiB':>13}")
    for stage in result["stages"]:
        peak = sampler.stage_peak.get(stage["stage"], 0) / 1024
        cpu = sampler.stage_cpu.get(stage["stage"], 0.0)
        print(f"{stage['stage']:<12} {stage['seconds']:8.1f} {cpu:8.1f} {peak:13.0f}")
    sources = result.get("sources", {}).values()
    read, staged = sum(s["read"] for s in sources), sum(s["staged"] for s in sources)
    print(
        f"{'process':<12} {result['wall_s']:8.1f} {sampler.cpu:8.1f} {sampler.hwm / 1024:13.0f}   "
        f"(workers at most {sampler.workers_peak / 1024:.0f} MiB together)"
    )
    print(
        f"rows read {read:,}, staged {staged:,}, golden {result.get('golden', {}).get('records', 0):,}; "
        f"exit {result.get('exit_code')} ({result.get('status')}), balanced {result.get('balanced')}"
    )
    if result.get("exit_code") not in (0, 1):
        print(result["stderr"][-3000:])


class _FreshSchema:
    """A PostgreSQL URL whose search_path is a new schema (dropped on exit); other URLs as given."""

    def __init__(self, url: str) -> None:
        self.url, self.schema = url, None

    def __enter__(self) -> str:
        if not self.url.startswith("postgresql"):
            return self.url
        import sqlalchemy as sa

        self.schema = f"bench_run_{uuid.uuid4().hex[:10]}"
        base = sa.engine.make_url(self.url)
        with sa.create_engine(base).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
        with_path = base.update_query_dict({"options": f"-csearch_path={self.schema}"})
        return with_path.render_as_string(hide_password=False)

    def __exit__(self, *exc: object) -> None:
        if self.schema is None:
            return
        import sqlalchemy as sa

        with sa.create_engine(sa.engine.make_url(self.url)).begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="input rows to generate (about)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--store", help="a store URL (PostgreSQL gets a new schema); default a new SQLite file"
    )
    parser.add_argument("--cache", type=Path, help="folder to keep the generated exports in between runs")
    parser.add_argument(
        "--keep", type=Path, help="run in this (new) folder and keep it: the SQLite store and out/"
    )
    parser.add_argument("run_args", nargs="*", help="more options for `crmmigrate run` (after --)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        work = args.keep or Path(tmp)
        config = exports(args.rows, args.seed, args.cache, work)
        with _FreshSchema(args.store or f"sqlite:///{work / 'crm.db'}") as store:
            print(f"crmmigrate run into {store.split('://')[0]}", flush=True)
            report(run_once(config, store, work, args.run_args))


if __name__ == "__main__":
    main()
