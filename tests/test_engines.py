"""The engine a run's stages use is picked once, from the config; the pandas one never reaches the
Spark engine's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crmmigrate.config import RunConfig
from crmmigrate.dedupe.linking import IN_PROCESS
from crmmigrate.engines import PandasEngine, SparkEngine, engine_for

ROOT = Path(__file__).resolve().parent.parent


def test_the_config_names_the_engine() -> None:
    assert engine_for(RunConfig()) == PandasEngine()
    spark = engine_for(RunConfig(engine="spark"))
    assert isinstance(spark, SparkEngine) and spark.name == "spark"


def test_the_pandas_engine_links_and_validates_in_this_process() -> None:
    engine = PandasEngine()
    assert engine.link_steps() is IN_PROCESS and engine.validate_runner() is None


def test_a_pandas_run_never_imports_the_spark_engine(tmp_path: Path) -> None:
    # (Great Expectations imports PySpark itself where it is installed: what is checked is that
    # crmmigrate's Spark engine, and so a Spark session, is never reached; the config's `spark:`
    # settings are a plain model.)
    script = (
        "import sys\n"
        "from crmmigrate.config import load_config\n"
        "from crmmigrate.pipeline import run\n"
        f"config = load_config({str(ROOT / 'samples' / 'crmmigrate.yml')!r})\n"
        f"config.out, config.store = {str(tmp_path / 'out')!r}, {'sqlite:///' + str(tmp_path / 'crm.db')!r}\n"
        "assert run(config).exit_code == 0\n"
        "assert not {'crmmigrate.spark.engine', 'crmmigrate.spark.session'} & set(sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
