"""Giving memory back between steps that work in different allocators."""

from __future__ import annotations


def give_back_memory() -> None:
    """Return to the system what Arrow's allocator (mimalloc or jemalloc) holds freed: it keeps
    freed memory for its own later use, and the next step works mostly in numpy, which allocates
    elsewhere. After a step over a million rows, hundreds of MiB."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
