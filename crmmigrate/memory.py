"""Giving memory back between steps that work in different allocators."""

from __future__ import annotations


def give_back_memory() -> None:
    """Return to the system what Arrow's allocator (mimalloc or jemalloc) holds freed: it keeps
    freed memory for its own later use, and the next step works mostly in numpy, which allocates
    elsewhere. After a step over a million rows, hundreds of MiB."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    _trim_c_heap()


def _trim_c_heap() -> None:
    """Return the C heap's freed pages (glibc's malloc_trim): numpy arrays of up to tens of MiB
    live there, and a step's freed ones stay resident until trimmed. Nothing where the C library
    is not glibc."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # musl and others: no malloc_trim
        pass
