"""The global Adobe limiter, on a fake clock: spacing, concurrency, order, pauses, fairness."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adobe_oauth_operator.adobe.limiter import (
    DEFAULT_THROTTLE_PAUSE_S,
    MAX_THROTTLE_PAUSE_S,
    AdobeLimiter,
)
from adobe_oauth_operator.adobe.transport import send


class FakeClock:
    """Monotonic time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def limiter(clock: FakeClock, rate: float = 10.0, concurrency: int = 4) -> AdobeLimiter:
    return AdobeLimiter(rate, concurrency, monotonic=clock.monotonic, sleep=clock.sleep)


async def run_calls(
    lim: AdobeLimiter, clock: FakeClock, names: list[str]
) -> list[tuple[str, float]]:
    started: list[tuple[str, float]] = []

    async def call(name: str) -> None:
        async with lim.turn():
            started.append((name, clock.now))

    await asyncio.gather(*(call(n) for n in names))
    return started


async def test_starts_are_spaced_by_the_rate_and_keep_arrival_order() -> None:
    clock = FakeClock()
    started = await run_calls(limiter(clock, rate=10), clock, [f"c{i}" for i in range(5)])
    assert [name for name, _ in started] == ["c0", "c1", "c2", "c3", "c4"]
    assert [round(t, 6) for _, t in started] == [0.0, 0.1, 0.2, 0.3, 0.4]


async def test_no_more_than_concurrency_requests_run_at_once() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=1000, concurrency=2)
    release = asyncio.Event()
    running = peak = 0

    async def call() -> None:
        nonlocal running, peak
        async with lim.turn():
            running += 1
            peak = max(peak, running)
            await release.wait()
            running -= 1

    tasks = [asyncio.create_task(call()) for _ in range(5)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert (running, lim.waiting) == (2, 3)
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 2 and lim.waiting == 0


async def test_retry_after_pauses_every_caller() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=10)
    lim.pause(3.0)
    started = await run_calls(lim, clock, ["a", "b"])
    assert [round(t, 6) for _, t in started] == [3.0, 3.1]


async def test_a_throttle_without_retry_after_still_pauses() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.pause(None)
    ((_, t),) = await run_calls(lim, clock, ["a"])
    assert t == DEFAULT_THROTTLE_PAUSE_S


async def test_expected_wait_grows_with_the_queue() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=10, concurrency=1)
    assert lim.expected_wait() == 0.0
    release = asyncio.Event()

    async def hold() -> None:
        async with lim.turn():
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(4)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert lim.waiting == 3
    assert lim.expected_wait() == pytest.approx(0.1 + 0.3)
    release.set()
    await asyncio.gather(*tasks)


async def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=1000, concurrency=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with lim.turn():
            await release.wait()

    holder = asyncio.create_task(hold())
    waiter = asyncio.create_task(hold())
    for _ in range(5):
        await asyncio.sleep(0)
    waiter.cancel()
    release.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert lim.waiting == 0
    assert [n for n, _ in await run_calls(lim, clock, ["next"])] == ["next"]


async def test_a_busy_credential_does_not_starve_another() -> None:
    """Each credential makes one call at a time, so a newcomer queues behind one call, not all."""
    clock = FakeClock()
    lim = limiter(clock, rate=10, concurrency=1)
    order: list[str] = []

    async def busy() -> None:
        for i in range(5):
            async with lim.turn():
                order.append(f"busy{i}")

    async def newcomer() -> None:
        await asyncio.sleep(0)
        async with lim.turn():
            order.append("newcomer")

    await asyncio.gather(busy(), newcomer())
    # It arrived while the busy one was at its first calls and got in before its last ones.
    assert order.index("newcomer") < 4 and order[-1] == "busy4"


async def test_send_pauses_the_limiter_on_a_429() -> None:
    clock = FakeClock()
    lim = limiter(clock)

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        request = http.build_request("GET", "https://api.test/x")
        response = await send(http, request, operation="list", idempotent=True, limiter=lim)
    assert response.status_code == 429
    assert lim.expected_wait() == pytest.approx(7.0, abs=0.2)


async def test_actions_are_admitted_in_order_and_bounded() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=10, concurrency=2)
    release = asyncio.Event()
    admitted: list[int] = []

    async def action(i: int) -> None:
        async with lim.action():
            admitted.append(i)
            await release.wait()

    assert lim.admits_now()
    tasks = [asyncio.create_task(action(i)) for i in range(5)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert admitted == [0, 1]
    assert (lim.actions_waiting, lim.admits_now()) == (3, False)
    assert lim.expected_action_wait() == pytest.approx(3 * 2 / 10)
    release.set()
    await asyncio.gather(*tasks)
    assert admitted == [0, 1, 2, 3, 4]
    assert lim.admits_now()


async def test_an_admitted_actions_requests_do_not_queue_behind_waiting_actions() -> None:
    """The livelock at scale: each action's 2nd request queued behind every other 1st one."""
    clock = FakeClock()
    lim = limiter(clock, rate=10, concurrency=2)
    finished: list[tuple[int, float]] = []

    async def adoption(i: int) -> None:
        async with lim.action():
            started = clock.now
            for _ in range(2):  # a token, then a list
                async with lim.turn():
                    pass
            finished.append((i, clock.now - started))

    await asyncio.gather(*(adoption(i) for i in range(50)))
    assert [i for i, _ in finished] == list(range(50))
    assert max(took for _, took in finished) <= 0.4  # never behind the 49 others


async def _admission_order(lim: AdobeLimiter, arrivals: list[tuple[str, str, bool]]) -> list[str]:
    """Hold the only slot, queue `arrivals` (name, namespace, urgent) in order, then let each run
    in turn: the order they were admitted in."""
    order: list[str] = []

    async def action(name: str, key: str, urgent: bool) -> None:
        async with lim.action(key, urgent):
            order.append(name)

    async with lim.action("holder"):
        tasks = []
        for name, key, urgent in arrivals:
            tasks.append(asyncio.create_task(action(name, key, urgent)))
            for _ in range(3):
                await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    return order


async def test_a_crowded_namespace_does_not_hold_back_another() -> None:
    """1,000 steps of one namespace queued first; another namespace's step is admitted second."""
    lim = limiter(FakeClock(), concurrency=1)
    arrivals = [(f"big{i}", "big", False) for i in range(1000)] + [("small", "small", False)]
    order = await _admission_order(lim, arrivals)
    assert order.index("small") == 1
    assert [n for n in order if n != "small"] == [f"big{i}" for i in range(1000)]


async def test_namespaces_take_turns_in_arrival_order_within_each() -> None:
    lim = limiter(FakeClock(), concurrency=1)
    arrivals = [("a1", "a", False), ("a2", "a", False), ("a3", "a", False)]
    arrivals += [("b1", "b", False), ("b2", "b", False), ("c1", "c", False)]
    assert await _admission_order(lim, arrivals) == ["a1", "b1", "c1", "a2", "b2", "a3"]


async def test_an_emergency_goes_before_every_queued_step() -> None:
    lim = limiter(FakeClock(), concurrency=1)
    arrivals = [(f"big{i}", "big", False) for i in range(50)]
    arrivals += [("emergency", "small", True), ("other", "x", False)]
    order = await _admission_order(lim, arrivals)
    assert order[0] == "emergency"


async def test_the_wait_estimate_counts_only_what_goes_first() -> None:
    lim = limiter(FakeClock(), rate=10, concurrency=1)
    release = asyncio.Event()

    async def action(key: str) -> None:
        async with lim.action(key):
            await release.wait()

    tasks = [asyncio.create_task(action("big")) for _ in range(101)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert lim.actions_waiting == 100
    assert lim.actions_ahead("big") == 100
    assert lim.actions_ahead("small") == 1  # one turn of "big", then its own
    assert lim.actions_ahead("small", urgent=True) == 0
    assert lim.expected_action_wait("small") == pytest.approx(1 * 2 / 10)
    release.set()
    await asyncio.gather(*tasks)


async def test_a_cancelled_waiter_neither_leaks_nor_blocks_a_slot() -> None:
    lim = limiter(FakeClock(), concurrency=1)
    release = asyncio.Event()
    admitted: list[str] = []

    async def action(name: str, key: str) -> None:
        async with lim.action(key):
            admitted.append(name)
            await release.wait()

    holder = asyncio.create_task(action("holder", "a"))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(action("doomed", "b"))
    later = asyncio.create_task(action("later", "a"))
    for _ in range(3):
        await asyncio.sleep(0)
    doomed.cancel()
    await asyncio.sleep(0)
    assert lim.actions_waiting == 1
    release.set()
    await asyncio.gather(holder, later)
    assert doomed.cancelled()
    assert admitted == ["holder", "later"]
    assert lim.admits_now()


@pytest.mark.parametrize(
    ("retry_after", "paused"),
    [(7.0, 7.0), (None, DEFAULT_THROTTLE_PAUSE_S), (86400.0, MAX_THROTTLE_PAUSE_S), (-5.0, 0.0)],
)
def test_a_pause_is_bounded(retry_after: float | None, paused: float) -> None:
    lim = limiter(FakeClock())
    lim.pause(retry_after)
    assert lim.paused_for() == pytest.approx(paused)
