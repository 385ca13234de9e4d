"""Returning free malloc memory: arenas capped unless the environment says otherwise, trims."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from adobe_oauth_operator import memory


class FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[int, ...]]] = []

    def mallopt(self, *args: int) -> int:
        self.calls.append(("mallopt", args))
        return 1

    def malloc_trim(self, *args: int) -> int:
        self.calls.append(("malloc_trim", args))
        return 1


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> FakeLibc:
    fake = FakeLibc()
    monkeypatch.setattr(memory, "_libc", lambda: fake)
    return fake


def test_arenas_are_capped_unless_the_environment_sets_them(libc: FakeLibc) -> None:
    memory.limit_malloc_arenas({})
    memory.limit_malloc_arenas({"MALLOC_ARENA_MAX": "4"})
    assert libc.calls == [("mallopt", (memory.M_ARENA_MAX, 2))]


async def test_free_memory_is_trimmed_periodically(
    libc: FakeLibc, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float, *_: Any) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(memory.asyncio, "sleep", fake_sleep)
    task = asyncio.create_task(memory.trim_periodically(timedelta(seconds=60)))
    while len(libc.calls) < 2:
        await real_sleep(0)
    task.cancel()
    assert slept[:2] == [60.0, 60.0]
    assert libc.calls[:2] == [("malloc_trim", (0,)), ("malloc_trim", (0,))]


def test_the_real_libc_calls_do_not_fail() -> None:
    memory.trim()
    memory.limit_malloc_arenas({"MALLOC_ARENA_MAX": "2"})
