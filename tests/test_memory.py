"""Giving memory back: Arrow's pool and, where the C library is glibc, the C heap."""

import sys

import numpy as np
import pytest

from crmmigrate.memory import _glibc, give_back_memory


def test_memory_is_given_back_after_a_large_array_is_freed() -> None:
    scratch = [np.ones(1 << 16) for _ in range(64)]  # 32 MiB in arrays the C heap holds
    del scratch
    give_back_memory()  # nothing to check but that it runs: what the kernel reclaims varies


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc is a Linux C library")
def test_on_glibc_the_c_heap_is_trimmed() -> None:
    libc = _glibc()
    assert libc is None or hasattr(libc, "malloc_trim")  # None only on musl (Alpine)
