"""The Spark engine beside the pandas engine on the same generated rows: time, peak memory, and
whether the two give the same answer (clean rows, golden records, cross-reference with ids).

For N input rows: `samples generate` exports, extracted once (kept in --cache). Then each engine
runs standardise + dedupe in a process of its own, so that each peak memory is its own:

- pandas: peak RSS of the Python process;
- spark: peak RSS of the Python driver, of the JVM (driver and, on local[n], the executors), and
  the largest Python worker (a task's process), read from /proc at the end;
- both: the Python process's peak before dedupe (`python_peak_before_dedupe_mib`; the same as the
  final peak when dedupe did not raise it), and its largest resident memory during each step of
  dedupe (`steps_driver_python_mib`, polled every second) and its peak so far at the end of each
  step (`steps_driver_peak_mib`: the step where that rises is where a short spike the polling
  missed happened);
- with --driver-limit: what the cgroup counted at most (`limit_charged_peak_mib`: anonymous memory
  and page cache the process brought in, not shared libraries already cached), or the step at
  which the kernel ended the process; and, from polling every half second, what the charge was
  made of when largest (`memory.stat`'s rss, cache, mapped_file, shmem, and kmem, in MiB).

CPU seconds are those of every process of the engine (the Python driver, the JVM, its Python
workers), polled from /proc every second (a worker that ends keeps what was last seen of it):
standardise, dedupe, and dedupe per step (`dedupe.linking.STEPS`); on a shared machine they say
more than wall seconds. The load average is printed beside them.

Run: python benchmarks/bench_spark.py 50000                    (input rows; local[2])
     python benchmarks/bench_spark.py 1000000 --master 'local[2]' --cache /tmp/bench-spark
     python benchmarks/bench_spark.py 50000 --conf spark.driver.memory=2g
     python benchmarks/bench_spark.py 1000000 --cache DIR --driver-limit 3350 --logs DIR
                                              (each engine's Python process held to 3350 MiB
                                               by a memory cgroup: does it finish? each engine's
                                               whole output, the JVM's log too, kept in DIR)
     python benchmarks/bench_spark.py 50000 --engines spark --master 'local-cluster[2,1,1024]'
                                              (two executor processes; needs SPARK_HOME set to
                                               the pyspark package folder)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
from bench_run import cpu_seconds  # run from benchmarks/

from crmmigrate.config import load_config
from crmmigrate.extract import extract_source
from crmmigrate.memory import give_back_memory
from crmmigrate.samples.generate import generate

#: Input rows per generated customer (three exports with duplicates), measured on seed 7.
ROWS_PER_CUSTOMER = 1.35


def staged_rows(rows: int, seed: int, cache: Path) -> Path:
    """The generated exports, extracted; kept as Parquet in `cache` (with the standardise options)."""
    folder = cache / f"{rows}-{seed}"
    if not (folder / "staged.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            sample = generate(int(rows / ROWS_PER_CUSTOMER), tmp, seed=seed)
            config = load_config(sample.files["config"])
            staged = pd.concat([extract_source(s, config).staged for s in config.sources], ignore_index=True)
            (folder / "standardise.json").write_text(config.standardise.model_dump_json())
        staged.to_parquet(folder / "staged.parquet")
    return folder


def _peak_kib(pid: int) -> int:
    """Peak resident memory (VmHWM) of a live process, in KiB; 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (the JVM's Python daemon and its task workers)."""
    parents: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        parents.setdefault(int(fields["PPid"]), []).append(int(status.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


class CpuClock:
    """CPU seconds of this process and every process below it (the JVM, its Python workers),
    polled every `every` seconds in a thread: a worker that ends between two polls keeps the CPU
    last seen of it (so a figure may miss up to `every` seconds of a worker's last work)."""

    def __init__(self, every: float = 1.0) -> None:
        self.seen: dict[int, float] = {}
        self.role: dict[int, str] = {}  # driver Python, driver JVM, executor N, Python worker
        self.parent: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._every = every
        self.rss_mib = 0  # the driver Python's largest resident memory since `step_rss` was last read
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._poll()

    def _poll(self) -> None:
        me = os.getpid()
        found = {pid: cpu_seconds(pid) for pid in [me, *_descendants(me)]}
        rss = _rss_mib(me)
        with self._lock:
            self.rss_mib = max(self.rss_mib, rss)
            for pid, cpu in found.items():
                self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))
                if pid not in self.role:
                    self.role[pid], self.parent[pid] = _role(pid, me)

    def step_rss(self) -> int:
        """The driver Python's largest resident memory (MiB) seen since the last call."""
        self._poll()
        with self._lock:
            seen, self.rss_mib = self.rss_mib, _rss_mib(os.getpid())
        return seen

    def by_process(self) -> dict[str, float]:
        """CPU seconds per driver process and per executor (an executor JVM with its Python
        workers; on local[n] the executor is the driver's JVM)."""
        out: dict[str, float] = {}
        with self._lock:
            for pid, cpu in self.seen.items():
                owner = pid
                while self.role.get(owner) == "Python worker" and owner in self.parent:
                    owner = self.parent[owner]
                name = self.role.get(owner, "Python worker")
                out[name] = round(out.get(name, 0.0) + cpu, 1)
        return out

    def __call__(self) -> float:
        self._poll()
        with self._lock:
            return sum(self.seen.values())


def _rss_mib(pid: int) -> int:
    """Resident memory (VmRSS) of a live process, in MiB; 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return 0


def _role(pid: int, me: int) -> tuple[str, int]:
    """What a process of the run is, and its parent."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return "Python worker", 0
    if pid == me:
        return "driver Python", parent
    if b"org.apache.spark.executor.CoarseGrainedExecutorBackend" in argv:
        return f"executor {argv[argv.index(b'--executor-id') + 1].decode()}", parent
    if argv and argv[0].endswith(b"java"):
        return "driver JVM", parent
    return "Python worker", parent


class StepClock:
    """Wall and CPU seconds of each step dedupe reports (its `steps` callback), and the driver
    Python's largest resident memory (MiB) during it."""

    def __init__(self, cpu: CpuClock) -> None:
        self.cpu = cpu
        self.seconds: dict[str, list[float]] = {}
        self.rss_mib: dict[str, int] = {}
        self.peak_mib: dict[str, int] = {}
        self._step: str | None = None
        self._since = (time.perf_counter(), cpu())

    def __call__(self, done: int, total: int | None = None, step: str = "", unit: str = "rows") -> None:
        if unit == "steps" and step != self._step:
            self.close()
            self._step = step
            print(f"step: {step}", flush=True)

    def close(self) -> None:
        now = (time.perf_counter(), self.cpu())
        if self._step is not None:
            self.seconds[self._step] = [round(now[0] - self._since[0], 1), round(now[1] - self._since[1], 1)]
            self.rss_mib[self._step] = self.cpu.step_rss()
            self.peak_mib[self._step] = _own_peak_mib()
        else:
            self.cpu.step_rss()  # what came before the first step is not a step's
        self._since, self._step = now, None


def _own_peak_mib() -> int:
    """Peak resident memory of this process so far, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


#: The memory cgroups (v1) a --driver-limit run is held in: one per engine's process.
CGROUPS = Path("/sys/fs/cgroup/memory")


def limit_memory(mib: int) -> None:
    """Hold this process, and what it starts from now on, to `mib` MiB of memory, as a container's
    limit does: a cgroup of its own, past whose limit the kernel's OOM killer ends the process."""
    group = CGROUPS / f"crmmigrate-bench-{os.getpid()}"
    group.mkdir()
    (group / "memory.limit_in_bytes").write_text(str(mib << 20))
    (group / "cgroup.procs").write_text(str(os.getpid()))


def _remove(group: Path, tries: int = 50) -> None:
    """Remove a cgroup once its processes are gone (a killed process takes a moment to leave)."""
    for _ in range(tries):
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.2)
    group.rmdir()


#: What `memory.stat` of a limit's cgroup says the charge is made of (bytes): anonymous memory,
#: page cache (of which memory-mapped files and shared memory), and the kernel's own (kmem).
CHARGES = ("rss", "cache", "mapped_file", "shmem")


class ChargeWatch:
    """Polls a limit's cgroup every half second and keeps what its charge was made of when it was
    largest (MiB): so a run the limit ends says whether anonymous memory or something else (page
    cache, kernel memory) brought it there."""

    def __init__(self, group: Path) -> None:
        self.group, self.largest = group, {"usage": -1}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                usage = int((self.group / "memory.usage_in_bytes").read_text()) >> 20
                if usage <= self.largest["usage"]:
                    continue
                stat = dict(line.split() for line in (self.group / "memory.stat").read_text().splitlines())
                kmem = int((self.group / "memory.kmem.usage_in_bytes").read_text()) >> 20
            except (OSError, ValueError):
                continue  # the group is going, or a read raced a change
            self.largest = {"usage": usage, **{k: int(stat[k]) >> 20 for k in CHARGES}, "kmem": kmem}

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.largest


def one_engine(
    engine: str, folder: Path, out: Path, master: str, conf: dict[str, str], limit_mib: int | None = None
) -> dict[str, object]:
    """Standardise and dedupe the staged rows on one engine; outputs to `out`, figures returned.
    `limit_mib`: this Python process (the pandas engine, or the Spark engine's driver) is held to
    that much memory (`limit_memory`) from before it reads the rows on; the Spark driver's JVM is
    started first, outside the limit. Each step is printed as it starts, so that a run the limit
    ends says where."""
    from crmmigrate import outputs
    from crmmigrate.cleanse import StandardiseOptions
    from crmmigrate.dedupe import dedupe
    from crmmigrate.engines import PandasEngine, SparkEngine
    from crmmigrate.pipeline import _write_behind, categorical_statuses

    figures: dict[str, object] = {"engine": engine}
    if engine == "spark":
        from crmmigrate.spark.linking import spark_steps
        from crmmigrate.spark.session import spark_session
        from crmmigrate.spark.settings import SparkSettings

        start = time.perf_counter()
        settings = SparkSettings(master=master, conf=conf)
        spark = spark_session(settings)
        figures["session_s"] = round(time.perf_counter() - start, 1)
    if limit_mib is not None:  # (after the JVM's start: a cgroup keeps a page charged where first touched)
        limit_memory(limit_mib)
    staged = pd.read_parquet(folder / "staged.parquet")
    options = StandardiseOptions.model_validate_json((folder / "standardise.json").read_text())
    figures.update(rows=len(staged), load_start=os.getloadavg()[0])
    cpu_clock = CpuClock()
    print("step: standardise", flush=True)
    start, cpu = time.perf_counter(), cpu_clock()
    on = SparkEngine(settings) if engine == "spark" else PandasEngine()
    standardised = on.standardise(staged, options)
    clean = standardised.clean
    figures["standardise_s"] = round(time.perf_counter() - start, 1)
    figures["standardise_cpu_s"] = round(cpu_clock() - cpu, 1)
    del staged  # as a run lets them go once the clean rows are there
    written = _write_behind(outputs.write_clean, standardised.rows, out)  # as a run writes clean.parquet
    categorical_statuses(clean)
    give_back_memory()
    figures["python_peak_before_dedupe_mib"] = _own_peak_mib()
    clock = StepClock(cpu_clock)
    start, cpu = time.perf_counter(), cpu_clock()
    if engine == "spark":
        steps = spark_steps(spark, settings.partition_rows, standardised.held)  # type: ignore[arg-type]
        result = dedupe(clean, engine=steps, steps=clock)
    else:
        result = dedupe(clean, steps=clock)
    clock.close()
    written.result()
    standardised.release()
    figures["dedupe_s"] = round(time.perf_counter() - start, 1)
    figures["dedupe_cpu_s"] = round(cpu_clock() - cpu, 1)
    figures["load_end"] = os.getloadavg()[0]
    figures["python_peak_mib"] = _own_peak_mib()
    if engine == "spark":
        jvm = int(spark.sparkContext._jvm.ProcessHandle.current().pid())  # type: ignore[union-attr]
        figures["jvm_peak_mib"] = round(_peak_kib(jvm) / 1024)
        workers = _descendants(jvm)
        figures["task_processes"] = len(workers)
        figures["largest_task_process_mib"] = round(max((_peak_kib(p) for p in workers), default=0) / 1024)
    figures["steps_wall_cpu_s"] = clock.seconds
    figures["steps_driver_python_mib"] = clock.rss_mib
    figures["steps_driver_peak_mib"] = clock.peak_mib
    figures["cpu_s_by_process"] = cpu_clock.by_process()
    figures["golden"] = len(result.golden)
    figures["candidate_pairs"] = result.stats["candidate_pairs"]
    result.golden.to_parquet(out / "golden.parquet")
    result.xref.to_parquet(out / "xref.parquet")
    return figures


def same_answer(a: Path, b: Path) -> dict[str, bool]:
    out = {}
    for name in ("clean", "golden", "xref"):
        left, right = pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet")
        try:
            pd.testing.assert_frame_equal(left, right)
            out[name] = True
        except AssertionError:
            out[name] = False
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rows", type=int, nargs="?", default=50_000, help="input rows to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark conf")
    parser.add_argument("--cache", type=Path, help="folder to keep the extracted rows in between runs")
    parser.add_argument("--engines", default="pandas,spark")
    parser.add_argument(
        "--driver-limit",
        type=int,
        metavar="MIB",
        help="hold each engine's Python process (the Spark driver's) to MIB of memory: a cgroup v1 "
        "limit, enforced by the kernel's OOM killer (needs a writable /sys/fs/cgroup/memory)",
    )
    parser.add_argument(
        "--logs", type=Path, metavar="DIR", help="keep each engine's whole output (the JVM's log) in DIR"
    )
    parser.add_argument("--one", choices=["pandas", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    conf = dict(item.split("=", 1) for item in args.conf)
    if args.one:  # a child: one engine, figures as JSON on the last line
        figures = one_engine(args.one, args.folder, args.out, args.master, conf, args.driver_limit)
        print(json.dumps(figures), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = staged_rows(args.rows, args.seed, args.cache or Path(tmp))
        outs = {}
        for engine in args.engines.split(","):
            outs[engine] = Path(tmp) / f"out-{engine}"
            outs[engine].mkdir()
            command = [sys.executable, __file__, "--one", engine, "--folder", str(folder)]
            command += ["--out", str(outs[engine]), "--master", args.master]
            command += [f"--conf={item}" for item in args.conf]
            if args.driver_limit:
                command += ["--driver-limit", str(args.driver_limit)]
            start = time.perf_counter()
            limit = args.driver_limit
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            group = CGROUPS / f"crmmigrate-bench-{child.pid}"
            watch = ChargeWatch(group) if limit else None
            stdout, stderr = child.communicate()
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                (args.logs / f"{engine}.log").write_text(stdout + stderr)
            charged = None  # what the limit counted at most: anonymous memory and new page cache
            made_of = watch.stop() if watch is not None else None
            if made_of is not None and group.exists():  # (the child joins it before it reads the rows)
                charged = int((group / "memory.max_usage_in_bytes").read_text()) >> 20
                print(f"engine={engine} largest charge polled (MiB): {made_of}", flush=True)
                _remove(group)
            lines = stdout.strip().splitlines()
            if child.returncode != 0:
                steps = [line for line in lines if line.startswith("step: ")]
                where = steps[-1] if steps else "before the first step"
                if child.returncode == -9 and args.driver_limit:  # the OOM killer's SIGKILL
                    print(
                        f"engine={engine} did not finish: killed at the {limit} MiB limit, "
                        f"{where}, after {time.perf_counter() - start:.1f} s",
                        flush=True,
                    )
                    outs.pop(engine)
                    continue
                print(stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{engine} failed ({where})")
            figures = json.loads(lines[-1])
            if charged is not None:
                figures["limit_mib"], figures["limit_charged_peak_mib"] = limit, charged
            figures["process_s"] = round(time.perf_counter() - start, 1)
            print(" ".join(f"{k}={v}".replace(" ", "") for k, v in figures.items()), flush=True)
        if len(outs) == 2:
            equal = same_answer(*outs.values())
            print("same answer: " + " ".join(f"{k}={v}" for k, v in equal.items()), flush=True)


if __name__ == "__main__":
    main()
