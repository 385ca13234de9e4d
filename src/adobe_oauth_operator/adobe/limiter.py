"""One budget for every request to Adobe, whichever credential makes it.

Callers wait here, cheaply and in arrival order, never in the HTTP pool: at most `concurrency`
requests run at once (well below the pool's size) and their starts are spaced at least
1/`rate` seconds apart. A 429's Retry-After pauses every caller, not only the one refused.

Whole actions (an adoption: a token and a list) are admitted the same way, at most
`concurrency` at once and in arrival order, before their time bound starts: a thousand new
credentials queue for admission, not request by request, so an admitted action's requests
never wait behind the first requests of every other one (and time out). Each credential runs
one action at a time, so arrival order is also fair between credentials.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

DEFAULT_MAX_RPS = 20.0
DEFAULT_CONCURRENCY = 16
# A 429 without a usable Retry-After still pauses everyone this long.
DEFAULT_THROTTLE_PAUSE_S = 1.0


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
        self._actions = asyncio.Semaphore(concurrency)
        self._actions_waiting = 0
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
        return self._actions_waiting

    def admits_now(self) -> bool:
        """Whether an action arriving now is admitted without waiting."""
        return not self._actions.locked() and self._actions_waiting == 0

    def expected_action_wait(self, requests_per_action: float = 2.0) -> float:
        """Roughly how long an action arriving now waits for admission."""
        return self._actions_waiting * requests_per_action / self.rate

    @asynccontextmanager
    async def action(self) -> AsyncIterator[None]:
        """Wait for the action's admission; hold it while the action runs."""
        self._actions_waiting += 1
        try:
            await self._actions.acquire()
        finally:
            self._actions_waiting -= 1
        try:
            yield
        finally:
            self._actions.release()

    def pause(self, seconds: float | None) -> None:
        """Adobe throttled us: nobody starts a request for `seconds` (Retry-After)."""
        pause = DEFAULT_THROTTLE_PAUSE_S if seconds is None else seconds
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
