"""Extract of sources given as globs of files, and validate, on the pandas engine and on Spark:
seconds of each, and whether the two give the same staged rows, rejects, counts and report.

`samples generate` exports for about N rows, each cut into --files parts (header in each), read
through the samples' config with every path a glob. Then validate: the golden rules on the staged
rows as if they were golden records (the rows, not the matching, are what is measured).

With `--files 1` each export stays one file: a file of at least two spans (`--span-mib`, 32 by
default) is read a span of records per Spark task, a smaller one on the driver.

Run: python benchmarks/bench_spark_files.py 100000 --files 8          (local[2])
     python benchmarks/bench_spark_files.py 100000 --master 'local[1]'
     python benchmarks/bench_spark_files.py 1000000 --files 1 --span-mib 16
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from crmmigrate.config import load_config
from crmmigrate.pipeline import extract_all
from crmmigrate.samples.generate import generate
from crmmigrate.spark.settings import SparkSettings
from crmmigrate.validate import validate

ROWS_PER_CUSTOMER = 1.35  # three exports with duplicates, as bench_spark.py
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def split(path: Path, parts: int) -> None:
    """`path` cut into `parts` files of whole lines beside it (`stem.part-NNN.csv`), then removed."""
    lines = path.read_bytes().splitlines(keepends=True)
    size = max(1, -(-(len(lines) - 1) // parts))
    for i, start in enumerate(range(1, len(lines), size)):
        (path.parent / f"{path.stem}.part-{i:03d}{path.suffix}").write_bytes(
            lines[0] + b"".join(lines[start : start + size])
        )
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--files", type=int, default=8, help="parts per export")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--span-mib", type=int, default=32, help="bytes of one file a task reads (--files 1)")
    args = parser.parse_args()
    from crmmigrate.spark import extract as spark_extract

    spark_extract.SPAN_BYTES = args.span_mib << 20
    work = Path(tempfile.mkdtemp(prefix="bench-spark-files-"))
    generate(int(args.rows / ROWS_PER_CUSTOMER), work, seed=7)
    config_data = yaml.safe_load((SAMPLES / "crmmigrate.yml").read_text(encoding="utf-8"))
    for source in config_data["sources"]:
        if args.files > 1:
            split(work / source["path"], args.files)
            source["path"] = f"{Path(source['path']).stem}.part-*.csv"
    config_data["store"] = f"sqlite:///{work / 'crm.db'}"
    (work / "crmmigrate.yml").write_text(yaml.safe_dump(config_data), encoding="utf-8")
    config = load_config(work / "crmmigrate.yml")
    spark = SparkSettings(master=args.master, conf={"spark.sql.shuffle.partitions": "2"})

    results, seconds = {}, {}
    for engine in ("pandas", "spark"):
        config.engine, config.spark = engine, spark  # type: ignore[assignment]
        if engine == "spark":  # the session's start is not the extract's work
            from crmmigrate.spark.session import spark_session

            spark_session(spark)
        started = time.perf_counter()
        results[engine] = extract_all(config, None)
        seconds[f"extract {engine}"] = time.perf_counter() - started
    same = results["spark"].staged.equals(results["pandas"].staged) and (
        results["spark"].counts == results["pandas"].counts
    )
    staged = results["pandas"].staged
    golden = staged.assign(customer_id=[f"C{i}" for i in range(len(staged))])
    reports = {}
    for engine in ("pandas", "spark"):
        runner = None
        if engine == "spark":
            from crmmigrate.spark.session import spark_session
            from crmmigrate.spark.validate import spark_runner

            runner = spark_runner(spark_session(spark))
        started = time.perf_counter()
        reports[engine] = validate(golden, ["golden"], runner=runner)
        seconds[f"validate {engine}"] = time.perf_counter() - started
    same_report = reports["spark"].results == reports["pandas"].results and reports["spark"].failures.equals(
        reports["pandas"].failures
    )
    files = sum(len(c.files) or 1 for c in results["pandas"].counts.values())
    sizes = ", ".join(f"{(work / s['path']).stat().st_size >> 20} MiB" for s in config_data["sources"])
    print(f"{len(staged):,} staged rows of {files} files; master {args.master}")
    if args.files == 1:
        print(f"files of {sizes}; spans of {args.span_mib} MiB")
    print(pd.Series(seconds).round(1).to_string())
    print(f"same staged rows and counts: {same}; same validation report: {same_report}")


if __name__ == "__main__":
    main()
