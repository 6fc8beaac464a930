"""The running stage's progress bar, as a terminal shows it."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from crmmigrate.cli.stagebars import StageBars, count_text, stage_bar
from crmmigrate.progress import StageEvent, StepEvent


def terminal() -> tuple[Console, StringIO]:
    screen = StringIO()
    return Console(file=screen, force_terminal=True, width=120, color_system=None), screen


def test_the_count_says_rows_of_the_total_or_steps() -> None:
    assert count_text(StepEvent("standardise", 1200, 5000)) == "1,200 / 5,000 rows"
    assert count_text(StepEvent("extract", 1200, None, "crm")) == "1,200 rows"
    assert count_text(StepEvent("extract")) == ""
    assert count_text(StepEvent("dedupe", 2, 7, "comparing", "steps")) == "2/7 steps"


def test_a_stage_shows_its_name_rows_done_of_the_total_and_the_time_elapsed_and_left() -> None:
    console, screen = terminal()
    with StageBars(console) as bars:
        bars.watch(StepEvent("standardise"))
        bars.watch(StepEvent("standardise", 50_000, 200_000))
    shown = screen.getvalue()
    assert "standardise" in shown and "50,000 / 200,000 rows" in shown
    assert "0:00:0" in shown and "left" in shown  # elapsed, and time left for rows of a known total


def test_steps_name_the_part_running_and_foretell_no_time_left() -> None:
    console, screen = terminal()
    with StageBars(console) as bars:
        bars.watch(StepEvent("dedupe"))
        bars.watch(StepEvent("dedupe", 2, 7, "comparing", "steps"))
    shown = screen.getvalue()
    assert "dedupe" in shown and "2/7 steps" in shown and "comparing" in shown
    assert "left" not in shown


def test_a_finished_stage_gives_way_to_the_next() -> None:
    console, screen = terminal()
    with StageBars(console) as bars:
        bars.watch(StepEvent("extract", 10, None, "crm"))
        bars.finished(StageEvent("extract", "10 rows read", 0.1))
        console.print("✓ extract")
        bars.watch(StepEvent("standardise", 0, 10))
        assert bars.showing == ["standardise"]
    assert "✓ extract" in screen.getvalue()


def test_a_stage_command_gets_a_bar_on_a_terminal_and_none_elsewhere() -> None:
    console, screen = terminal()
    with stage_bar(console, "dedupe") as steps:
        assert steps is not None
        steps(3, 7, "fitting the model", "steps")
    assert "dedupe" in screen.getvalue() and "3/7 steps" in screen.getvalue()
    with stage_bar(Console(file=StringIO()), "dedupe") as steps:  # a file or a pipe
        assert steps is None
