"""What the C allocator holds in a process: in use, and free but kept.

Tells live memory (Python's larger objects, Temporal core's per-run state)
from fragmentation when a worker's RSS grows. glibc only (``mallinfo2``,
glibc 2.33+); elsewhere ``None``. Python's small objects live in its own
arenas, outside these figures.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


@dataclass(frozen=True)
class MallocStats:
    in_use_kb: int
    free_kb: int


def malloc_stats() -> MallocStats | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError, TypeError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    # uordblks: in-use chunks of every arena; hblkhd: blocks mmapped on their own (in use too)
    return MallocStats(in_use_kb=(info.uordblks + info.hblkhd) // 1024, free_kb=info.fordblks // 1024)
