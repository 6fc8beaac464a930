"""How far a long piece of work has got: a callback that library functions take as an optional
`steps=` argument, so that the CLI can draw a progress bar. Without one they do the same work.

A call says where the work stands now (not what was added since the last call): `done` units of
`total` (None while the total is not known), `step` naming the part running now, `unit` what is
counted ("rows", or "steps" for work made of unlike parts, where no time left can be foretold).
A whole run reports with events: a StepEvent as a stage goes, a StageEvent when it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Steps(Protocol):
    def __call__(self, done: int, total: int | None = None, step: str = "", unit: str = "rows") -> None: ...


def tell(
    steps: Steps | None, done: int, total: int | None = None, step: str = "", unit: str = "rows"
) -> None:
    """Report to `steps` when there is one."""
    if steps is not None:
        steps(done, total, step, unit)


@dataclass(frozen=True)
class StageEvent:
    """One finished stage, for progress display: name, a one-line summary, seconds taken."""

    stage: str
    summary: str
    seconds: float
    ok: bool = True  # False when the stage blocked the run (validation errors, load skipped, unbalanced)


Progress = Callable[[StageEvent], None]


@dataclass(frozen=True)
class StepEvent:
    """Where the running stage stands, for a progress bar: `done` of `total` (None while not
    known) `unit`s, `step` naming the part running now. Each stage starts with `done` 0."""

    stage: str
    done: int = 0
    total: int | None = None
    step: str = ""
    unit: str = "rows"


Watch = Callable[[StepEvent], None]
