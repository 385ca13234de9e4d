"""Bounded retries with exponential backoff, full jitter and respect for Retry-After.

The operator's client makes one attempt per call (the default policy): the rotation state machine
is its only retry layer, so the backoff its status shows is the one that happens (see
docs/operations.md, "Retries and backoff"). A one-shot tool with no such layer above it
(`kubectl aoc check`) asks for a few attempts instead.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from adobe_oauth_operator.adobe.errors import AdobeError, ThrottledError, TransientError
from adobe_oauth_operator.rotation.backoff import Schedule, retry_delay

logger = logging.getLogger("adobe_oauth_operator.adobe")

T = TypeVar("T")

RETRYABLE: tuple[type[AdobeError], ...] = (ThrottledError, TransientError)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a throttled or transiently failing call is retried (by default
    never: one attempt)."""

    max_attempts: int = 1
    max_total_s: float = 60.0
    base_backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    random: Callable[[], float] = field(default=_random.random, compare=False)
    monotonic: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def start(self) -> RetryAllowance:
        """A fresh allowance of attempts and time for one logical call."""
        return RetryAllowance(self, started=self.monotonic())

    def backoff(self, retry_number: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(n-1))] for the n-th retry."""
        schedule = Schedule(
            timedelta(seconds=self.base_backoff_s), timedelta(seconds=self.max_backoff_s), 1.0
        )
        return retry_delay(retry_number, self.random(), schedule=schedule).total_seconds()


@dataclass
class RetryAllowance:
    """The attempts and time left for one logical call (not the shared request budget, which
    limits the requests of all calls together: adobe/limiter.py)."""

    policy: RetryPolicy
    started: float
    attempts: int = 1

    async def allows_retry(self, error: AdobeError) -> bool:
        """Sleep and return True before another attempt; False when the allowance is used up."""
        if not isinstance(error, RETRYABLE) or self.attempts >= self.policy.max_attempts:
            return False
        delay = self._delay(error)
        elapsed = self.policy.monotonic() - self.started
        if elapsed + delay > self.policy.max_total_s:
            return False
        logger.debug(
            "adobe %s failed (%s), retry %d in %.2fs",
            error.operation,
            type(error).__name__,
            self.attempts,
            delay,
        )
        self.attempts += 1
        await self.policy.sleep(delay)
        return True

    def _delay(self, error: AdobeError) -> float:
        delay = self.policy.backoff(self.attempts)
        if isinstance(error, ThrottledError) and error.retry_after is not None:
            # The server's word is a lower bound: retrying earlier would only be refused again.
            delay = max(delay, error.retry_after)
        return delay


async def call_with_retries(policy: RetryPolicy, call: Callable[[], Awaitable[T]]) -> T:
    """Run `call` until it succeeds, fails for good, or the policy's allowance is used up."""
    allowance = policy.start()
    while True:
        try:
            return await call()
        except RETRYABLE as error:
            if not await allowance.allows_retry(error):
                raise
