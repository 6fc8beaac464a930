"""Where the stages run: the embedded pandas engine, or Spark (`engine: spark` in the config).

The orchestrator picks the engine once (`engine_for`) and hands it to the stage functions, which
ask it for the parts that differ: how a source is extracted, how rows are standardised, the
dedupe steps that grow with the pairs, and how the validation rules are executed. Everything else
is the same code on both. The Spark engine is imported only when chosen, so the pandas path never
imports PySpark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from .cleanse import StandardiseOptions
    from .config import RunConfig, SourceConfig
    from .dedupe.linking import LinkSteps
    from .extract import ExtractResult
    from .progress import Steps
    from .spark.settings import SparkSettings
    from .stage_results import HeldRows, Standardised
    from .validate.runner import Runner


class Engine(Protocol):
    """What the stage functions ask of the engine they run on."""

    name: str

    def extract_source(
        self, source: SourceConfig, config: RunConfig, *, steps: Steps | None = None
    ) -> ExtractResult: ...

    def standardise(
        self, staged: pd.DataFrame, options: StandardiseOptions, *, steps: Steps | None = None
    ) -> Standardised: ...

    def link_steps(self, held: HeldRows | None = None) -> LinkSteps:
        """`held`: the clean rows the engine kept from standardise (`Standardised.held`), when the
        steps deduplicate those rows."""
        ...

    def validate_runner(self) -> Runner | None: ...


@dataclass(frozen=True)
class PandasEngine:
    """Every stage in this process, on pandas."""

    name: str = "pandas"

    def extract_source(
        self, source: SourceConfig, config: RunConfig, *, steps: Steps | None = None
    ) -> ExtractResult:
        from .extract import extract_source

        return extract_source(source, config, steps=steps)

    def standardise(
        self, staged: pd.DataFrame, options: StandardiseOptions, *, steps: Steps | None = None
    ) -> Standardised:
        from .cleanse import standardise

        return standardised_here(standardise(staged, options, steps=steps))

    def link_steps(self, held: HeldRows | None = None) -> LinkSteps:
        from .dedupe.linking import IN_PROCESS

        return IN_PROCESS

    def validate_runner(self) -> Runner | None:
        return None  # GX's pandas data source


@dataclass(frozen=True)
class SparkEngine:
    """The stages' heavy parts as Spark jobs (see `spark.engine` for what runs where); the Spark
    session is started when a stage first needs it."""

    settings: SparkSettings
    name: str = "spark"

    def extract_source(
        self, source: SourceConfig, config: RunConfig, *, steps: Steps | None = None
    ) -> ExtractResult:
        from .spark.engine import extract_source_on_spark

        return extract_source_on_spark(source, config, steps=steps)

    def standardise(
        self, staged: pd.DataFrame, options: StandardiseOptions, *, steps: Steps | None = None
    ) -> Standardised:
        from .spark.engine import standardise_on_spark

        return standardise_on_spark(staged, options, self.settings)

    def link_steps(self, held: HeldRows | None = None) -> LinkSteps:
        from .spark.engine import link_steps_on_spark

        return link_steps_on_spark(self.settings, held)

    def validate_runner(self) -> Runner | None:
        from .spark.engine import validate_runner_on_spark

        return validate_runner_on_spark(self.settings)  # the same rules on GX's Spark data source


def standardised_here(clean: pd.DataFrame) -> Standardised:
    """Clean rows held in this process as the standardise stage hands them on; `rows` is a frame
    of its own (the columns shared), so a column a later stage changes in `clean` is written as
    it was."""
    from .reconcile.model import clean_facts
    from .stage_results import Standardised

    return Standardised(clean=clean, facts=clean_facts(clean), rows=clean.copy(deep=False))


def engine_for(config: RunConfig) -> Engine:
    """The engine the config's `engine:` names: the one place that decides."""
    if config.engine == "spark":
        return SparkEngine(config.spark)
    return PandasEngine()
