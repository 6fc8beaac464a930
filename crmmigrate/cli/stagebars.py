"""The running stage as a progress bar, on a terminal: the stage's name, the rows (or steps) done
of the total, the part running now, the time elapsed and, where rows are counted against a known
total, the time left. A finished stage's bar gives way to its ✓ or ✗ line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..progress import StageEvent, StepEvent, Steps


class _TimeLeft(ProgressColumn):
    """Time left, only where it can be foretold: rows counted against a known total."""

    def __init__(self) -> None:
        super().__init__()
        self._remaining = TimeRemainingColumn()

    def render(self, task: Task) -> Text:
        if not task.fields.get("eta"):
            return Text("")
        left = self._remaining.render(task)
        return Text.assemble(("left ", "dim"), left)


def count_text(event: StepEvent) -> str:
    """`1,200 / 5,000 rows`, `1,200 rows` while the total is unknown, `3/7 steps`."""
    if event.unit == "steps" and event.total is not None:
        return f"{event.done}/{event.total} steps"
    if event.total is None:
        return f"{event.done:,} {event.unit}" if event.done else ""
    return f"{event.done:,} / {event.total:,} {event.unit}"


class StageBars:
    """Use as a context around `pipeline.run(watch=bars.watch)`; call `finished` before the
    stage's line is printed (the run's `progress` callback), so the line replaces the bar."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[stage]:<12}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("[dim]{task.fields[step]}"),
            TimeElapsedColumn(),
            _TimeLeft(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._stage = ""

    def __enter__(self) -> StageBars:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    @property
    def showing(self) -> list[str]:
        """The stages that have a bar now (one at most)."""
        return [task.fields["stage"] for task in self._progress.tasks]

    def watch(self, event: StepEvent) -> None:
        if self._task is None or event.stage != self._stage:
            self._drop()
            self._task = self._progress.add_task("", total=None, stage=event.stage, count="", step="")
            self._stage = event.stage
        self._progress.update(
            self._task,
            completed=event.done,
            count=count_text(event),
            step=event.step,
            eta=event.unit == "rows" and event.total is not None,
            **({"total": event.total} if event.total is not None else {}),
        )

    def finished(self, event: StageEvent) -> None:
        if event.stage == self._stage:
            self._drop()

    def _drop(self) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task, self._stage = None, ""


@contextmanager
def stage_bar(console: Console, stage: str) -> Iterator[Steps | None]:
    """A bar for one stage run as its own command (`crmmigrate dedupe CONFIG`): yields the
    `steps` to pass to the stage's work, or None when the output is not a terminal."""
    if not console.is_terminal:
        yield None
        return
    with StageBars(console) as bars:

        def steps(done: int, total: int | None = None, step: str = "", unit: str = "rows") -> None:
            bars.watch(StepEvent(stage, done, total, step, unit))

        steps(0)
        yield steps
