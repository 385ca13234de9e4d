"""Suite-wide settings (one control plane per xdist worker, the slowest modules first) and the
fakes shared by the unit and contract tests of the Adobe client: a clock and a sleep."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from support.cluster import DEFAULT_STATE
from support.suite_order import LONGEST_FIRST, ONE_WORKER_MODULES


def pytest_configure(config: pytest.Config) -> None:
    """Give each xdist worker a control plane of its own (hack/local-cluster --state-dir)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        base = os.environ.get("LOCAL_CLUSTER_STATE") or str(DEFAULT_STATE)
        os.environ["LOCAL_CLUSTER_STATE"] = f"{base}-{worker}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest work first, end-to-end before unit, so fast unit tests fill the tail."""

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item.path.name in LONGEST_FIRST:
            return (0, LONGEST_FIRST.index(item.path.name))
        return (1 if item.path.parent.name == "e2e" else 2, 0)

    items.sort(key=rank)  # stable: collection order within each rank


@pytest.hookimpl(optionalhook=True)  # an xdist hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `-n` (xdist's `load`): tests are handed out one by one in collection order, except
    that a module sharing a module-scoped fixture is one unit, run by one worker."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneByOneExceptSharedModules(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module.rsplit("/", 1)[-1] in ONE_WORKER_MODULES else nodeid

    config.option.loadscopereorder = False  # keep the order set above
    return OneByOneExceptSharedModules(config, log)


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
