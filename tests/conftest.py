"""Fakes shared by the unit and contract tests of the Adobe client: a clock and a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest


class FakeClock:
    """A wall clock (aware UTC datetimes) that only moves when told to."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeSleep:
    """Records delays instead of waiting; its monotonic time is the sum of the delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.elapsed = 0.0
        self.on_sleep: list[Callable[[float], object]] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.elapsed += seconds
        for hook in self.on_sleep:
            hook(seconds)
        await asyncio.sleep(0)  # still a suspension point, like a real sleep

    def monotonic(self) -> float:
        return self.elapsed


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()
