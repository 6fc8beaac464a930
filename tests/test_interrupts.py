"""Ctrl-C held back while a transaction writes, raised where the rollback is clean."""

from __future__ import annotations

import signal

import pytest

from crmmigrate.interrupts import interrupts_held


def test_a_ctrl_c_is_held_until_the_next_check() -> None:
    before = signal.getsignal(signal.SIGINT)
    reached = []
    with pytest.raises(KeyboardInterrupt), interrupts_held() as check:
        signal.raise_signal(signal.SIGINT)
        reached.append("the statement running when Ctrl-C came finished")
        check()
        reached.append("never")
    assert reached == ["the statement running when Ctrl-C came finished"]
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_ctrl_c_is_raised_at_once() -> None:
    with pytest.raises(KeyboardInterrupt), interrupts_held():
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        pytest.fail("the second Ctrl-C did not stop the work")


def test_a_ctrl_c_not_yet_checked_is_raised_when_the_block_ends() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts_held():
        signal.raise_signal(signal.SIGINT)
        done.append(True)
    assert done == [True]


def test_without_ctrl_c_nothing_changes() -> None:
    before = signal.getsignal(signal.SIGINT)
    with interrupts_held() as check:
        assert signal.getsignal(signal.SIGINT) is not before
        check()
    assert signal.getsignal(signal.SIGINT) is before
