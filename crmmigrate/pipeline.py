"""The whole job: extract -> standardise -> dedupe -> validate -> load -> reconcile.

Each stage is a function of DataFrames (plus the config, the engine it runs on and any store
readings, passed in) that returns its result and writes nothing. `run` reads the store once,
picks the engine once (`engines.engine_for`), chains the stages in memory and writes each
stage's result into `out/` through `outputs`; the per-stage commands call the same functions,
reading the previous stage's files through `outputs`. How a finished stage is worded on the
console is the caller's (`Summaries`; the CLI's in `cli.summaries`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from . import outputs, schema
from .config import RunConfig, StoreConfig
from .engines import Engine, engine_for
from .errors import EXIT_GATE, EXIT_OK, ConfigError, RunInterrupted
from .memory import give_back_memory
from .progress import Progress, StageEvent, StepEvent, Steps, Watch
from .stage_results import Extracted, Golden, HeldRows, Standardised

if TYPE_CHECKING:
    from .dedupe.result import DedupeResult
    from .reconcile import Reconciliation
    from .store import Store
    from .validate import ValidationReport


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261123T020000Z-1a2b3c`."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def out_dir(config: RunConfig) -> Path:
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


# -- extract ----------------------------------------------------------------------------------


def extract_all(
    config: RunConfig,
    suppressions: pd.DataFrame | None,
    *,
    engine: Engine | None = None,
    steps: Steps | None = None,
) -> Extracted:
    """Every source through its mapping; all sources are checked before any is read. Rows of people
    on the store's suppression list (`load_suppressions`; None for none) are rejected. `steps`
    hears the rows read so far over all sources, and which source is being read. `engine`
    defaults to the config's (`engines.engine_for`)."""
    from .extract import check_sources
    from .reconcile import SourceCounts

    if not config.sources:
        raise ConfigError(
            "the config lists no sources", hint="add a `sources:` list (see samples/crmmigrate.yml)"
        )
    check_sources(config)
    staged_parts: list[pd.DataFrame] = []
    reject_parts: list[pd.DataFrame] = []
    counts: dict[str, Any] = {}
    read_before = 0
    engine = engine or engine_for(config)
    for source in config.sources:
        result = engine.extract_source(source, config, steps=_offset(steps, read_before))
        read_before += result.read
        staged_parts.append(result.staged)
        if len(result.rejects):
            reject_parts.append(result.rejects)
        by_reason = result.rejects["reason"].value_counts().to_dict() if len(result.rejects) else {}
        counts[source.name] = SourceCounts(
            read=result.read,
            rejected=len(result.rejects),
            staged=len(result.staged),
            rejected_by_reason={str(k): int(v) for k, v in by_reason.items()},
            unmapped_columns=tuple(result.unmapped_columns),
            files=result.files,
        )
    staged = pd.concat(staged_parts, ignore_index=True) if staged_parts else _empty(schema.STAGED_COLUMNS)
    rejects = pd.concat(reject_parts, ignore_index=True) if reject_parts else _empty(schema.REJECT_COLUMNS)
    extracted = Extracted(staged=staged, rejects=rejects, counts=counts)
    return suppress(extracted, suppressions, config.standardise)


#: The fields standardised to recognise a suppressed person (identity, not everything).
SUPPRESSION_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "address_line1",
    "postal_code",
    "city",
    "country",
    "date_of_birth",
)


def suppress(extracted: Extracted, suppressions: pd.DataFrame | None, options: Any = None) -> Extracted:
    """Reject the rows of people erased with `crmmigrate forget`, recognised by their legacy keys
    and by their standardised identifiers (however a row writes the email or the phone). Their
    values are not copied to rejects.csv, nor are those of rows the reader or the mapping already
    rejected: erasure means the person's data must not reappear in the outputs."""
    from .cleanse import standardise
    from .store import suppressed_mask, suppressed_rejects

    if suppressions is None or not len(suppressions):
        return extracted
    staged = extracted.staged
    identity = staged[[c for c in (*schema.LINEAGE, *SUPPRESSION_FIELDS) if c in staged.columns]]
    clean = standardise(identity, options) if len(identity) else identity
    mask = suppressed_mask(staged, suppressions, clean)
    detail = "on the privacy suppression list (erased with `crmmigrate forget`)"
    result = set_aside(extracted, mask, schema.Reason.SUPPRESSED, detail, keep=())
    rejects = result.rejects
    if len(rejects):
        hit = suppressed_rejects(rejects, suppressions)
        if hit.any():
            kept = [c for c in schema.REJECT_COLUMNS if c in rejects.columns]
            scrubbed = rejects.loc[hit, kept].assign(detail=detail)
            rejects = pd.concat([rejects.loc[~hit], scrubbed], ignore_index=True)
            rejects = rejects.sort_values(["source", "source_row"], kind="stable", ignore_index=True)
            result = replace(result, rejects=rejects)
    return result


def take_sample(extracted: Extracted, size: Any) -> Extracted:
    """Keep a pilot sample (`pilot.SampleSize`); the rows left out go to rejects as `not_sampled`."""
    from .pilot import sample_mask

    keep = sample_mask(extracted.staged, size)
    detail = f"left out of the pilot sample ({size})"
    return set_aside(extracted, ~keep, schema.Reason.NOT_SAMPLED, detail, keep=("source_key",))


def set_aside(
    extracted: Extracted, mask: np.ndarray, reason: schema.Reason, detail: str, keep: tuple[str, ...]
) -> Extracted:
    """Move the staged rows under `mask` to rejects (with the `keep` columns), and recount."""
    from .reconcile import SourceCounts

    if not mask.any():
        return extracted
    staged = extracted.staged
    moved = staged.loc[mask, ["source", "source_row", *keep]].reset_index(drop=True)
    moved.insert(2, "reason", reason.value)
    moved.insert(3, "detail", detail)
    per_source = moved["source"].astype(str).value_counts()
    counts = dict(extracted.counts)
    for name, n in per_source.items():
        old = counts[name]
        by_reason = dict(old.rejected_by_reason)
        by_reason[reason.value] = by_reason.get(reason.value, 0) + int(n)
        counts[name] = SourceCounts(
            read=old.read,
            rejected=old.rejected + int(n),
            staged=old.staged - int(n),
            rejected_by_reason=by_reason,
            unmapped_columns=old.unmapped_columns,
            files=_files_after(old.files, moved, name),
        )
    parts = [p for p in (extracted.rejects, moved) if len(p)]
    return Extracted(
        staged=staged.loc[~mask].reset_index(drop=True),
        rejects=pd.concat(parts, ignore_index=True),
        counts=counts,
    )


def _files_after(files: tuple[Any, ...], moved: pd.DataFrame, source: str) -> tuple[Any, ...]:
    """A glob or directory source's per-file counts after its rows in `moved` were set aside."""
    from .extract.files import set_aside_rows

    if not files:
        return files
    rows = moved.loc[moved["source"].astype(str) == source, "source_row"]
    return set_aside_rows(files, pd.to_numeric(rows).to_numpy(dtype="int64"))


def _offset(steps: Steps | None, before: int) -> Steps | None:
    """`steps` for one source's rows, counted after the `before` rows of earlier sources."""
    if steps is None:
        return None

    def shifted(done: int, total: int | None = None, step: str = "", unit: str = "rows") -> None:
        steps(before + done, None, step, unit)

    return shifted


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


# -- standardise ------------------------------------------------------------------------------


def standardise_stage(
    config: RunConfig, staged: pd.DataFrame, *, engine: Engine | None = None, steps: Steps | None = None
) -> Standardised:
    """The staged rows standardised with the config's options (the clean rows); `release()` the
    result once its rows are written."""
    return (engine or engine_for(config)).standardise(staged, config.standardise, steps=steps)


def _write_behind(write: Callable[..., Any], *args: Any) -> Future:
    """`write(*args)` on a thread of its own, while the next stage runs: `result()` of the future
    raises what the write raised."""
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmmigrate-write")
    future = writer.submit(write, *args)
    writer.shutdown(wait=False)  # the write goes on; the thread ends with it
    return future


def categorical_statuses(clean: pd.DataFrame) -> None:
    """Hold the clean rows' `<field>_status` columns as categories, in place: a handful of words
    over a million rows take about a GiB as Python strings and a few MiB as codes, and a run holds
    the clean rows through dedupe, where its memory peaks. The values stay the same (and so does
    dedupe's answer)."""
    for column in clean.columns:
        text = clean[column].dtype == object or isinstance(clean[column].dtype, pd.StringDtype)
        if str(column).endswith("_status") and text:  # (pandas 3: Arrow text, a few bytes a row)
            clean[column] = clean[column].astype("category")


# -- dedupe -----------------------------------------------------------------------------------


def load_known_ids(store_url: str | StoreConfig, *, store: Store | None = None) -> pd.DataFrame | None:
    """The store's cross-reference, so existing customers keep their ids (None for a new store).
    Read from `store` when given (`run` passes the one it holds locked), else from `store_url`."""
    from .store import open_store

    with nullcontext(store) if store is not None else open_store(store_url) as opened:
        known = opened.read_xref()
    return known if len(known) else None


def adopt_legacy_links(
    known_ids: pd.DataFrame | None,
    clean: pd.DataFrame,
    store_url: str | StoreConfig,
    *,
    store: Store | None = None,
) -> pd.DataFrame | None:
    """A store written before content identities knows keyless rows by row number: carry those
    links over to the rows that still agree with their customer (`dedupe.ids.adopt_row_links`),
    so the first run after the upgrade keeps their ids. Reads the customers only then."""
    from .dedupe.ids import adopt_row_links, has_row_links
    from .store import open_store

    if not has_row_links(known_ids):
        return known_ids
    with nullcontext(store) if store is not None else open_store(store_url) as opened:
        customers = opened.read_customers(expand_extra=False)
    return adopt_row_links(known_ids, customers, clean)


def load_suppressions(store_url: str | StoreConfig, *, store: Store | None = None) -> pd.DataFrame:
    """The store's suppression list (digests only); empty for a SQLite store not created yet, so
    `crmmigrate extract` does not create a store as a side effect. Read from `store` when given
    (`run` passes the one it holds locked: it opens, and so creates, the store anyway)."""
    from sqlalchemy.engine import make_url

    from .store import open_store

    if store is not None:
        return store.suppressions()
    url = store_url if isinstance(store_url, str) else str(store_url.resolved().url)
    parsed = make_url(url) if "://" in url else None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database not in ("", ":memory:") and not Path(database).exists():
            return pd.DataFrame(columns=["kind", "value_hash"], dtype=object)
    with open_store(store_url) as store:
        return store.suppressions()


def load_stored(store_url: str | StoreConfig, *, store: Store | None = None) -> Any:
    """The store's golden records, cross-reference and lineage, for incremental matching."""
    from .dedupe.incremental import Stored
    from .store import open_store

    with nullcontext(store) if store is not None else open_store(store_url) as opened:
        return Stored(opened.read_customers(), opened.read_xref(), opened.read_lineage())


def _load_model(path: Path) -> Any:
    """A saved match_model.json (`dedupe.model`), with an error naming the file when it is not one."""
    from .dedupe import MatchModel

    try:
        return MatchModel.load(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the match model {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path} is not a match model written by crmmigrate ({type(exc).__name__}: {exc})",
            hint="point dedupe.model at the match_model.json of an earlier run",
        ) from None


def dedupe_stage(
    config: RunConfig,
    clean: pd.DataFrame,
    known_ids: pd.DataFrame | None,
    stored: Any,
    *,
    engine: Engine | None = None,
    steps: Steps | None = None,
    held: HeldRows | None = None,
) -> DedupeResult:
    """`known_ids`: the store's cross-reference (`load_known_ids`, `adopt_legacy_links`), so that
    existing customers keep their ids. With `dedupe.incremental`, new rows are matched against
    `stored` (`load_stored`) instead of re-clustered; a store with no customers yet gets a full run.
    `held`: the clean rows the engine kept from standardise (`Standardised.held`), read there."""
    from .dedupe import dedupe, load_decisions
    from .dedupe.incremental import dedupe_incremental

    settings = config.dedupe
    engine = engine or engine_for(config)
    decisions = load_decisions(config.resolve(settings.decisions)) if settings.decisions else None
    model = _load_model(config.resolve(settings.model)) if settings.model else None
    training = load_decisions(config.resolve(settings.training)) if settings.training else None
    if settings.incremental and stored is not None and not stored.empty:
        from .cleanse import standardise

        matched = dedupe_incremental(
            clean,
            stored,
            lambda staged: standardise(staged, config.standardise),
            settings,
            config.survivorship,
            decisions=decisions,
            model=model,
            steps=steps,
            engine=engine.link_steps(),  # (its rows with anchors are not those the engine held)
        )
    else:
        matched = dedupe(
            clean,
            settings,
            config.survivorship,
            known_ids=known_ids,
            decisions=decisions,
            model=model,
            training=training,
            steps=steps,
            engine=engine.link_steps(held),
        )
    return matched


# -- validate ---------------------------------------------------------------------------------


def validate_stage(
    config: RunConfig,
    golden: pd.DataFrame,
    xref: pd.DataFrame,
    *,
    engine: Engine | None = None,
) -> ValidationReport:
    """The config's rules on the golden set (and its cross-reference)."""
    from .validate import validate

    runner = (engine or engine_for(config)).validate_runner()
    return validate(golden, config.rules, base_dir=config.base_dir, related={"xref": xref}, runner=runner)


# -- load -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    result: Any  # store.LoadResult, or None when the gate stayed shut
    store_customers: int
    store_checksum: str
    integrity: tuple[int, int] | None = None  # see `Store.integrity`


def load_stage(
    config: RunConfig,
    data: Golden,
    *,
    run_id: str,
    gate_open: bool,
    forced: bool,
    dry_run: bool,
    store: Store | None = None,
    note: str = "",
    steps: Steps | None = None,
) -> Loaded:
    """Load into `store` when given (`run` passes the one it holds locked), else into the config's
    store, under its run lock."""
    from .store import open_store

    result = None
    with nullcontext(store) if store is not None else open_store(config.store_config()) as store:
        if gate_open:
            with store.lock():
                result = store.load(
                    data.golden,
                    data.xref,
                    data.lineage,
                    run_id=run_id,
                    config_hash=config.config_hash,
                    dry_run=dry_run,
                    forced=forced,
                    note=note,
                    steps=steps,
                )
        ids = data.golden["customer_id"] if len(data.golden) else None
        return Loaded(result, store.count_customers(), store.checksum(ids), store.integrity())


# -- reconcile --------------------------------------------------------------------------------


def reconcile_stage(
    *,
    run_id: str,
    extracted: Extracted,
    data: Golden,
    loaded: Loaded | None,
    dry_run: bool,
    clean: Any = None,  # the clean rows, or `reconcile.model.clean_facts` of them
    extra: dict[str, Any] | None = None,
    store_in_scope: bool = False,
) -> Reconciliation:
    """`store_in_scope`: compare with the store even though this call loaded nothing (a later check)."""
    from .reconcile import reconcile

    in_store = loaded is not None and (loaded_now(loaded, dry_run) or store_in_scope)
    return reconcile(
        run_id=run_id,
        sources=extracted.counts,
        golden=data.golden,
        xref=data.xref,
        load=loaded.result if loaded else None,
        store_customers=loaded.store_customers if in_store else None,
        store_checksum=loaded.store_checksum if in_store else None,
        store_integrity=loaded.integrity if in_store else None,
        clean=clean,
        rejects=extracted.rejects,
        extra={"dry_run": dry_run, **(extra or {})},
    )


def loaded_now(loaded: Loaded | None, dry_run: bool) -> bool:
    """Whether this load wrote to the store (and committed)."""
    return loaded is not None and loaded.result is not None and not dry_run


# -- the run ----------------------------------------------------------------------------------


class Summaries(Protocol):
    """How each finished stage is worded, for the line its StageEvent carries: presentation, so
    the caller's (the CLI passes `cli.summaries.STAGE_LINES`)."""

    def extract(self, extracted: Extracted, sample: int | str | None, stopped: bool) -> str: ...
    def standardise(self, clean: pd.DataFrame) -> str: ...
    def dedupe(self, matched: DedupeResult) -> str: ...
    def validate(self, report: ValidationReport, force: bool) -> str: ...
    def load(self, loaded: Loaded, dry_run: bool) -> str: ...
    def reconcile(self, rec: Reconciliation) -> str: ...


class NoSummaries:
    """Events without a line, for a caller that words none."""

    def extract(self, extracted: Extracted, sample: int | str | None, stopped: bool) -> str:
        return ""

    def standardise(self, clean: pd.DataFrame) -> str:
        return ""

    def dedupe(self, matched: DedupeResult) -> str:
        return ""

    def validate(self, report: ValidationReport, force: bool) -> str:
        return ""

    def load(self, loaded: Loaded, dry_run: bool) -> str:
        return ""

    def reconcile(self, rec: Reconciliation) -> str:
        return ""


@dataclass(frozen=True)
class RunResult:
    run_id: str
    out_dir: Path
    exit_code: int
    balanced: bool
    validation_passed: bool
    loaded: bool
    dry_run: bool
    reconciliation: Any
    validation: Any
    load: Any
    messages: tuple[str, ...] = field(default_factory=tuple)
    failures: tuple[str, ...] = field(default_factory=tuple)  # why the gate failed (exit code 1)


@dataclass
class _Line:
    """What a stage says when it ends: its one-line summary, and whether it blocked the run; and
    where its work stands meanwhile (`steps`, for the stage's library call)."""

    text: str = ""
    ok: bool = True
    steps: Steps | None = None


@dataclass
class _RunState:
    """How far a run got: an interrupt says from it what the run left in the store and `out/`."""

    run_id: str
    dry_run: bool
    out: Path | None = None
    running: str = ""  # the stage running now
    finished: list[str] = field(default_factory=list)


@contextmanager
def _stage(
    progress: Progress | None, name: str, *, watch: Watch | None = None, state: _RunState | None = None
) -> Iterator[_Line]:
    """Times a stage; the body fills in the yielded line and passes `line.steps` to its work."""
    started = time.perf_counter()
    line = _Line(steps=_watching(watch, name))
    if state is not None:
        state.running = name
    if watch is not None:
        watch(StepEvent(name))
    yield line
    if state is not None:
        state.running = ""
        state.finished.append(name)
    if progress is not None:
        progress(StageEvent(name, line.text, time.perf_counter() - started, line.ok))


def _watching(watch: Watch | None, stage: str) -> Steps | None:
    if watch is None:
        return None

    def steps(done: int, total: int | None = None, step: str = "", unit: str = "rows") -> None:
        watch(StepEvent(stage, done, total, step, unit))

    return steps


def interruption(state: _RunState, store: Any) -> RunInterrupted:
    """What a run interrupted by Ctrl-C leaves: which stage it stopped in, whether the store holds
    its load (the ledger says, when the load started), which files in `out/` are this run's. The
    outputs of the interrupted stage and the later ones are removed: they would be an earlier
    run's, or half written, and a later `crmmigrate load CONFIG` must not take them for this run's."""
    where = (
        f"during {state.running}"
        if state.running
        else f"after {state.finished[-1]}"
        if state.finished
        else "before the first stage"
    )
    status = _ledger_status(state, store)
    committed = status == "succeeded"
    if committed:
        said_store = f"the store holds run {state.run_id} (the load committed)"
    elif status is None:
        said_store = f"the store may hold run {state.run_id}: see `crmmigrate runs`"
    elif status:
        said_store = "the store is unchanged (the load transaction was rolled back)"
    else:
        said_store = "the store is unchanged"
    kept = [name for stage in state.finished for name in outputs.STAGE_OUTPUTS.get(stage, ())]
    removed = []
    if state.out is not None:
        kept = [name for name in kept if (state.out / name).exists()]
        for stage, names in outputs.STAGE_OUTPUTS.items():
            for name in names if stage not in state.finished else ():
                if name not in outputs.KEPT and (state.out / name).exists():
                    (state.out / name).unlink()
                    removed.append(name)
    out = f"{state.out or 'out'}/"
    said_out = (
        f"{out} holds {', '.join(kept)} from this run" if kept else f"{out} holds nothing from this run"
    )
    if removed:
        said_out += f"; removed {', '.join(removed)} (an earlier run's, or half written)"
    if committed:
        hint = "reconcile did not finish: `crmmigrate reconcile CONFIG` writes the report of this load"
    elif _can_go_on(state):
        hint = (
            "rerun `crmmigrate run CONFIG`, or go on from this run's files stage by stage, "
            f"starting with `crmmigrate {state.running} CONFIG`"
        )
    else:
        hint = "rerun `crmmigrate run CONFIG`: it starts again from the sources"
    return RunInterrupted(f"interrupted {where}: {said_store}; {said_out}", hint=hint)


def _can_go_on(state: _RunState) -> bool:
    """Whether the stage commands can go on from `out/`: every stage before the interrupted one
    finished in this run (a run ended early after extract skips some: it starts again)."""
    stages = list(outputs.STAGE_OUTPUTS)
    if state.running not in stages[1:]:
        return False
    return all(stage in state.finished for stage in stages[: stages.index(state.running)])


def _ledger_status(state: _RunState, store: Any) -> str | None:
    """This run's status in the store's ledger (`succeeded`, `failed`), "" when its load never
    started, None when the ledger cannot be read."""
    if state.dry_run or ("load" not in state.finished and state.running != "load"):
        return ""
    try:
        runs = store.runs()
    except Exception:  # a store in a bad state after the interrupt: say that we do not know
        return None
    mine = runs[runs["run_id"] == state.run_id]
    return str(mine["status"].iloc[-1]) if len(mine) else ""


def gate_failures(validation_passed: bool, balanced: bool) -> tuple[str, ...]:
    """Why a run's gate failed, in the words `run` prints after `gate failed:`."""
    return tuple(
        what
        for passed, what in (
            (validation_passed, "validation found errors"),
            (balanced, "the reconciliation is not balanced"),
        )
        if not passed
    )


def run_facts(config: RunConfig, started: datetime, seconds: float, stages: list[dict]) -> dict[str, Any]:
    """When, how long, with what: for the report (`extra.run`)."""
    from . import __version__

    return {
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(seconds, 3),  # up to the reconcile stage, which writes the report
        "tool_version": __version__,
        "config_sha256": config.config_hash,
        "stages": list(stages),
    }


def validation_facts(report: Any) -> dict[str, Any]:
    """The validation's counts and failed rules (names and counts only), for the report."""
    failed = [r for r in report.results if not r.success]
    return {
        "passed": report.passed,
        **report.counts,
        "failed": [
            {"name": r.name, "severity": r.severity, "failing_rows": int(r.unexpected_count)} for r in failed
        ],
    }


def rejects_over_limits(config: RunConfig, extracted: Extracted) -> list[str]:
    """What `max_rejects` (per source, and over all sources) does not allow."""
    from .config import rejects_exceed

    over = []
    for source in config.sources:
        c = extracted.counts.get(source.name)
        if c is not None and rejects_exceed(source.max_rejects, c.rejected, c.read):
            over.append(
                f"source {source.name!r}: {c.rejected} of {c.read} rows rejected, "
                f"more than its max_rejects ({source.max_rejects})"
            )
    read = sum(c.read for c in extracted.counts.values())
    rejected = sum(c.rejected for c in extracted.counts.values())
    if rejects_exceed(config.max_rejects, rejected, read):
        over.append(f"{rejected} of {read} rows rejected, more than max_rejects ({config.max_rejects})")
    return over


def _end_early(
    run_id: str,
    extracted: Extracted,
    out: Path,
    stage: Callable[[str], AbstractContextManager[_Line]],
    dry_run: bool,
    summaries: Summaries,
    failures: tuple[str, ...] = (),
) -> RunResult:
    """Nothing is loaded: every source is empty (a quiet night's header-only file: success), or
    more rows were rejected than `max_rejects` allows (the gate fails before any later stage, see
    rejects.csv). The store is untouched; the report accounts for every row read."""
    from .validate import ValidationReport

    for name in outputs.DOWNSTREAM_OUTPUTS:
        (out / name).unlink(missing_ok=True)
    empty = Golden(
        pd.DataFrame({c: pd.Series(dtype=object) for c in ("customer_id", *schema.FIELDS)}),
        pd.DataFrame({c: pd.Series(dtype=object) for c in schema.XREF_COLUMNS}),
        None,
    )
    with stage("reconcile") as line:
        rec = reconcile_stage(
            run_id=run_id,
            extracted=extracted,
            data=empty,
            loaded=None,
            dry_run=dry_run,
            extra={"nothing_to_do": not failures, **({"failures": list(failures)} if failures else {})},
        )
        outputs.write_reconciliation(rec, out)
        line.text, line.ok = summaries.reconcile(rec), rec.balanced
    failures = (*failures, *gate_failures(True, rec.balanced))
    said = (
        "too many rejected rows (see rejects.csv): nothing was loaded"
        if failures
        else "nothing to do: the sources hold no rows; the store is unchanged"
    )
    return RunResult(
        run_id=run_id,
        out_dir=out,
        exit_code=EXIT_GATE if failures else EXIT_OK,
        balanced=rec.balanced,
        validation_passed=True,
        loaded=False,
        dry_run=dry_run,
        reconciliation=rec,
        validation=ValidationReport(()),
        load=None,
        messages=(said,),
        failures=failures,
    )


def run(
    config: RunConfig,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    run_id: str | None = None,
    sample: str | int | None = None,
    wait_s: float | None = None,
    notify: Callable[[str], None] | None = None,
    watch: Watch | None = None,
    summaries: Summaries | None = None,
) -> RunResult:
    """Run every stage; the result carries the exit code the CLI uses (0 ok, 1 gate failed).

    `sample` (`500` rows or `"5%"`) makes a pilot run on a stratified sample of the staged rows.
    `progress` hears each stage as it ends, in a line `summaries` words (none without it);
    `watch` where the running stage stands (StepEvent).

    Ctrl-C raises RunInterrupted (a KeyboardInterrupt) saying what state the store and `out/`
    are in; the outputs of the interrupted stage and later ones are removed (see `interruption`).

    The store's run lock is held for the whole run, dry or not, from before the first read of the
    store: a second run matching against a cross-reference read before this one loaded would give
    the customers this run adds second ids. A second run waits `wait_s` (default
    `Store.lock_timeout_s`), telling `notify` who holds the lock, then fails with a StoreError,
    before any long work (as an unreachable store does)."""
    from .pilot import parse_sample
    from .store import open_store

    sample = sample if sample is not None else config.sample
    size = parse_sample(sample) if sample is not None else None
    from .store.ledger import check_run_id

    run_id = check_run_id(run_id) if run_id is not None else new_run_id()
    state = _RunState(run_id, dry_run)
    with open_store(config.store_config()) as store:
        store.lock_owner, store.on_wait = run_id, notify
        if wait_s is not None:
            store.lock_timeout_s = wait_s
        try:
            with store.lock():
                return _run_locked(
                    config,
                    store,
                    run_id,
                    size,
                    dry_run,
                    force,
                    progress,
                    watch,
                    state,
                    summaries or NoSummaries(),
                )
        except KeyboardInterrupt:
            raise interruption(state, store) from None


def _run_locked(
    config: RunConfig,
    store: Any,
    run_id: str,
    size: int | str | None,
    dry_run: bool,
    force: bool,
    progress: Progress | None,
    watch: Watch | None,
    state: _RunState,
    summaries: Summaries,
) -> RunResult:
    """The stages of `run`, under the store's lock: each stage's result is written into `out/`
    here, inside its stage (an interrupt removes the files of the stage it stopped)."""
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    timings: list[dict[str, Any]] = []

    def timed(event: StageEvent) -> None:  # the stage timings go into the report too
        timings.append({"stage": event.stage, "seconds": round(event.seconds, 3), "ok": event.ok})
        if progress is not None:
            progress(event)

    def stage(name: str) -> AbstractContextManager[_Line]:
        return _stage(timed, name, watch=watch, state=state)

    out = state.out = out_dir(config)
    engine = engine_for(config)
    known_ids = load_known_ids(config.store_config(), store=store)
    stored = load_stored(config.store_config(), store=store) if config.dedupe.incremental else None
    suppressions = load_suppressions(config.store_config(), store=store)

    with stage("extract") as line:
        extracted = extract_all(config, suppressions, engine=engine, steps=line.steps)
        if size is not None:
            extracted = take_sample(extracted, size)
        outputs.write_extracted(extracted, out)
        over = rejects_over_limits(config, extracted)
        line.text, line.ok = summaries.extract(extracted, size, stopped=bool(over)), not over
    if over:
        return _end_early(run_id, extracted, out, stage, dry_run, summaries, failures=tuple(over))
    if not any(c.read for c in extracted.counts.values()):
        return _end_early(run_id, extracted, out, stage, dry_run, summaries)
    writes: list[Future] = []  # clean.parquet, written while dedupe runs (Parquet's encoding frees the GIL)
    with stage("standardise") as line:
        standardised = standardise_stage(config, extracted.staged, engine=engine, steps=line.steps)
        writes.append(_write_behind(outputs.write_clean, standardised.rows, out))
        clean, clean_summary = standardised.clean, standardised.facts  # what the report needs of them
        categorical_statuses(clean)  # (clean.parquet is written from the rows as they were)
        line.text = summaries.standardise(clean)
        # The staged rows are in staged.parquet; later stages need only the counts and rejects.
        extracted = replace(extracted, staged=extracted.staged.iloc[0:0])
        give_back_memory()
    with stage("dedupe") as line:
        try:
            known_ids = adopt_legacy_links(known_ids, clean, config.store_config(), store=store)
            matched = dedupe_stage(
                config, clean, known_ids, stored, engine=engine, steps=line.steps, held=standardised.held
            )
            outputs.write_matched(matched, out)
        finally:  # stopped or not, clean.parquet is whole before anyone reads or reports it
            wait_for(writes)
            standardised.release()
        for write in writes:
            write.result()
        data = Golden(matched.golden, matched.xref, matched.lineage)
        line.text = summaries.dedupe(matched)
        dedupe_stats = matched.stats
        del matched, known_ids, stored  # the scored pairs alone are hundreds of MiB at scale
        del clean, standardised
        give_back_memory()
    with stage("validate") as line:
        report = validate_stage(config, data.golden, data.xref, engine=engine)
        outputs.write_validation(report, out)
        line.text, line.ok = summaries.validate(report, force), report.passed
        give_back_memory()
    forced = force and not report.passed
    with stage("load") as line:
        loaded = load_stage(
            config,
            data,
            run_id=run_id,
            gate_open=report.passed or force,
            forced=forced,
            dry_run=dry_run,
            store=store,
            note=f"PILOT: a sample of {size} ({len(data.xref)} rows)" if size is not None else "",
            steps=line.steps,
        )
        line.text, line.ok = summaries.load(loaded, dry_run), loaded.result is not None
        data = replace(data, lineage=None)  # stored now; the report does not need it
    with stage("reconcile") as line:
        rec = reconcile_stage(
            run_id=run_id,
            extracted=extracted,
            data=data,
            loaded=loaded,
            dry_run=dry_run,
            clean=clean_summary,
            extra={
                "forced": forced,
                **({"sample": str(size)} if size is not None else {}),
                "validation_passed": report.passed,
                "dedupe": {k: v for k, v in dedupe_stats.items() if _jsonable(v)},
                "run": run_facts(config, started, time.perf_counter() - clock, timings),
                "validation": validation_facts(report),
            },
        )
        outputs.write_reconciliation(rec, out, committed_run=run_id if loaded_now(loaded, dry_run) else None)
        line.text, line.ok = summaries.reconcile(rec), rec.balanced

    messages = () if loaded.result is not None else ("validation failed: nothing was loaded",)
    failures = gate_failures(report.passed, rec.balanced)
    return RunResult(
        run_id=run_id,
        out_dir=out,
        exit_code=EXIT_OK if (rec.balanced and report.passed) else EXIT_GATE,
        balanced=rec.balanced,
        validation_passed=report.passed,
        loaded=loaded.result is not None and not dry_run,
        dry_run=dry_run,
        reconciliation=rec,
        validation=report,
        load=loaded.result,
        messages=messages,
        failures=failures,
    )


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
