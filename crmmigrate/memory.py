"""Giving memory back between steps that work in different allocators."""

from __future__ import annotations

import ctypes
import functools
import sys


def give_back_memory() -> None:
    """Return to the system what Arrow's allocator (mimalloc or jemalloc) holds freed: it keeps
    freed memory for its own later use, and the next step works mostly in numpy, which allocates
    elsewhere. After a step over a million rows, hundreds of MiB. Then the same for the C heap."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = _glibc()
    if libc is not None:
        # numpy arrays of up to tens of MiB live in the C heap, and a step's freed ones stay
        # resident until trimmed
        libc.malloc_trim(0)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (which has malloc_trim); None elsewhere (musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None
