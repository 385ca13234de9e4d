"""The shared request budget: one limit for every request to Adobe, whichever credential makes it.

Callers wait here, cheaply and in arrival order, never in the HTTP pool: at most `concurrency`
requests run at once (well below the pool's size) and their starts are spaced at least
1/`rate` seconds apart. A 429's Retry-After pauses every caller, not only the one refused.

Whole actions (an adoption: a token and a list) are admitted at most `concurrency` at once,
before their time bound starts: a thousand new credentials queue for admission, not request by
request, so an admitted action's requests never wait behind the first requests of every other one
(and time out). Admission is fair between tenants: emergency rotations first, then one action per
namespace in turn (arrival order within a namespace), so a namespace with a thousand credentials
delays another's step by at most one turn, not by its whole queue.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from adobe_oauth_operator.timings import RETRY_AFTER_CAP, THROTTLE_PAUSE

DEFAULT_MAX_RPS = 20.0
DEFAULT_CONCURRENCY = 16
DEFAULT_THROTTLE_PAUSE_S = THROTTLE_PAUSE.total_seconds()
# A Retry-After longer than the cap pauses everyone only that long (one cap with the backoff's).
MAX_THROTTLE_PAUSE_S = RETRY_AFTER_CAP.total_seconds()


class FairAdmission:
    """At most `slots` holders; waiters are served urgent ones first (in arrival order), then
    round-robin over keys, arrival order within a key."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._by_key: dict[str, deque[asyncio.Future[None]]] = {}  # insertion order: the turn

    @property
    def waiting(self) -> int:
        return len(self._urgent) + sum(len(q) for q in self._by_key.values())

    def admits_now(self) -> bool:
        return self._free > 0 and self.waiting == 0

    def ahead_of(self, key: str, urgent: bool) -> int:
        """Roughly how many waiters are served before one arriving now with `key`."""
        if urgent:
            return len(self._urgent)
        own = len(self._by_key.get(key, ())) + 1
        turns = sum(min(len(q), own) for k, q in self._by_key.items() if k != key)
        return len(self._urgent) + turns + own - 1

    async def acquire(self, key: str, urgent: bool = False) -> None:
        if self.admits_now():
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._by_key.setdefault(key, deque())
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted, then cancelled before it ran: pass the slot on
            else:
                self._forget(key, queue, waiter)
            raise

    def release(self) -> None:
        waiter = self._next()
        if waiter is None:
            self._free += 1
        else:
            waiter.set_result(None)  # the slot passes straight to it

    def _next(self) -> asyncio.Future[None] | None:
        while self._urgent:
            waiter = self._urgent.popleft()
            if not waiter.done():
                return waiter
        while self._by_key:
            key = next(iter(self._by_key))
            queue = self._by_key.pop(key)
            waiter = queue.popleft()
            if queue:
                self._by_key[key] = queue  # to the back of the turn
            if not waiter.done():
                return waiter
        return None

    def _forget(
        self, key: str, queue: deque[asyncio.Future[None]], waiter: asyncio.Future[None]
    ) -> None:
        if waiter in queue:
            queue.remove(waiter)
        if not queue and self._by_key.get(key) is queue:
            del self._by_key[key]


class AdobeLimiter:
    """At most `rate` request starts per second and `concurrency` requests in flight, FIFO."""

    def __init__(
        self,
        rate: float = DEFAULT_MAX_RPS,
        concurrency: int = DEFAULT_CONCURRENCY,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.rate = rate
        self.concurrency = concurrency
        self._monotonic = monotonic
        self._sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._actions = FairAdmission(concurrency)
        self._gate = asyncio.Lock()  # FIFO: its waiters are woken in arrival order
        self._next_start = 0.0
        self._paused_until = 0.0
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Callers queued for their turn (not yet started)."""
        return self._waiting

    def expected_wait(self) -> float:
        """Roughly how long a caller arriving now waits before its request starts."""
        now = self._monotonic()
        ahead = self._waiting / self.rate
        return max(0.0, self._paused_until - now) + max(0.0, self._next_start - now) + ahead

    @property
    def actions_waiting(self) -> int:
        """Actions queued for admission."""
        return self._actions.waiting

    def admits_now(self) -> bool:
        """Whether an action arriving now is admitted without waiting."""
        return self._actions.admits_now()

    def actions_ahead(self, key: str = "", urgent: bool = False) -> int:
        """Roughly how many queued actions go before one arriving now for `key`."""
        return self._actions.ahead_of(key, urgent)

    def expected_action_wait(
        self, key: str = "", urgent: bool = False, requests_per_action: float = 2.0
    ) -> float:
        """Roughly how long an action arriving now for `key` waits for admission."""
        return self._actions.ahead_of(key, urgent) * requests_per_action / self.rate

    def paused_for(self) -> float:
        """Seconds left of a pause Adobe asked for (Retry-After); 0 when none."""
        return max(0.0, self._paused_until - self._monotonic())

    @asynccontextmanager
    async def action(self, key: str = "", urgent: bool = False) -> AsyncIterator[None]:
        """Wait for the action's admission (`key`: its tenant, the namespace; `urgent`: an
        emergency rotation, served first); hold it while the action runs."""
        await self._actions.acquire(key, urgent)
        try:
            yield
        finally:
            self._actions.release()

    def pause(self, seconds: float | None) -> None:
        """Adobe throttled us: nobody starts a request for `seconds` (Retry-After, at most
        MAX_THROTTLE_PAUSE_S)."""
        pause = DEFAULT_THROTTLE_PAUSE_S if seconds is None else seconds
        pause = min(max(pause, 0.0), MAX_THROTTLE_PAUSE_S)
        self._paused_until = max(self._paused_until, self._monotonic() + pause)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a free slot and the next start time; hold the slot while the request runs."""
        self._waiting += 1
        try:
            await self._slots.acquire()
            try:
                await self._wait_for_start()
            except BaseException:
                self._slots.release()
                raise
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()

    async def _wait_for_start(self) -> None:
        async with self._gate:
            while True:
                now = self._monotonic()
                start = max(self._next_start, self._paused_until, now)
                if start <= now:
                    break
                await self._sleep(start - now)  # a pause may have grown meanwhile: look again
            self._next_start = now + 1.0 / self.rate
