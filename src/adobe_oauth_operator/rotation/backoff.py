"""When a failing action is tried again: one schedule for every step and for token refreshes.

The Adobe client makes one attempt per call, so this schedule is the only retry layer and the
next-attempt time written to status is when the next call happens: 5 s after the first failure,
doubling up to 5 minutes, each delay 80-100 % of its ceiling (enough spread that credentials
failing together do not retry together), never earlier than the server's Retry-After (capped).
"""

from __future__ import annotations

from datetime import timedelta

BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=5)
# The share of a delay that jitter may take off: the shortest delay is 80 % of its ceiling.
JITTER_SPREAD = 0.2
# Adobe's Retry-After is honoured up to this long, for every caller (the shared limiter's pause)
# and for the refused credential's next attempt: a day-long or bogus value cannot stop rotations
# for a day; if Adobe still throttles then, the next 429 pauses again.
RETRY_AFTER_CAP = timedelta(minutes=10)


def retry_delay(attempts: int, jitter: float, retry_after: timedelta | None = None) -> timedelta:
    """The wait after the `attempts`-th failure in a row; `jitter` in [0, 1] (clamped)."""
    ceiling: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(max(attempts, 1) - 1, 16))
    delay = ceiling * (1.0 - JITTER_SPREAD * (1.0 - min(max(jitter, 0.0), 1.0)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay
