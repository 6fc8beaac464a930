"""Ctrl-C held back while a database transaction writes.

A KeyboardInterrupt raised inside a driver call makes SQLAlchemy invalidate the connection
instead of rolling it back, and the open transaction can outlive the exception: on SQLite the
file stays locked, so that even recording the failed run in the ledger fails. Held back, the
interrupt is raised at the next `check()`, between statements, where the rollback is clean.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def interrupts_held() -> Iterator[Callable[[], None]]:
    """Yields `check`, which raises KeyboardInterrupt once Ctrl-C was pressed. A second Ctrl-C is
    raised at once (whoever presses twice wants out now). A Ctrl-C not yet raised when the block
    ends is raised then. Outside the main thread (no signal handlers there) nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    pressed: list[bool] = []

    def noted(signum: int, frame: FrameType | None) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(True)

    def check() -> None:
        if pressed:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, noted)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    check()
