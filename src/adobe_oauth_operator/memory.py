"""Keeping the process's resident memory close to what it uses (glibc's allocator only).

A burst of work (1,000 adoptions at once) leaves freed memory in malloc's arenas, and glibc
gives busy threads arenas of their own; neither goes back to the system by itself. Elsewhere
(musl, macOS) these are no-ops.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
from collections.abc import Mapping
from datetime import timedelta

from adobe_oauth_operator.timings import TRIM_EVERY

logger = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def limit_malloc_arenas(env: Mapping[str, str] = os.environ) -> None:
    """At most 2 malloc arenas; MALLOC_ARENA_MAX in the environment (read by glibc) wins."""
    libc = _libc()
    if libc is not None and "MALLOC_ARENA_MAX" not in env:
        libc.mallopt(M_ARENA_MAX, ARENAS)


def trim() -> None:
    """Give free malloc memory back to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


async def trim_periodically(every: timedelta = TRIM_EVERY) -> None:
    """Trim once a minute: cheap when idle, and memory freed after a burst is returned."""
    while True:
        await asyncio.sleep(every.total_seconds())
        trim()
