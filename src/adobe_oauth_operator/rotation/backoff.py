"""When something that failed is tried again: one exponential backoff with jitter, for all.

Its callers: every failing action of the state machine (machine.next_retry) and every failing
token refresh (vended_tokens.failed), both with the ACTIONS schedule; the daemon's pass that
broke outside an action (ERRORS) or lost its write to a conflict (CONFLICTS). The Adobe client
makes one attempt per call, so for actions this is the only retry layer and the next-attempt
time written to status is when the next call happens: 5 s after the first failure, doubling up
to 5 minutes, each delay 80-100 % of its ceiling (enough spread that credentials failing
together do not retry together), never earlier than the server's Retry-After (capped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from adobe_oauth_operator.timings import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    CONFLICT_BACKOFF_BASE,
    CONFLICT_BACKOFF_CAP,
    RETRY_AFTER_CAP,
)

# Doublings stop counting here: the cap is reached long before, and 2**n stays small.
_MAX_DOUBLINGS = 16


@dataclass(frozen=True)
class Schedule:
    """A backoff: `base` after the first failure, doubling up to `cap`; `spread` is the share
    of each delay that jitter may take off (0: none, the delay is always its ceiling)."""

    base: timedelta
    cap: timedelta
    spread: float


# The shortest delay is 80 % of its ceiling.
ACTIONS = Schedule(BACKOFF_BASE, BACKOFF_CAP, spread=0.2)
# The same steps unjittered: one resource's broken passes, nothing many resources do at once.
ERRORS = Schedule(BACKOFF_BASE, BACKOFF_CAP, spread=0.0)
# Conflicts come from another writer of the same resource at the same moment: a wide spread
# (50-100 %) keeps the two from colliding again, a short cap acts on the change soon.
CONFLICTS = Schedule(CONFLICT_BACKOFF_BASE, CONFLICT_BACKOFF_CAP, spread=0.5)


def retry_delay(
    attempts: int,
    jitter: float,
    retry_after: timedelta | None = None,
    schedule: Schedule = ACTIONS,
) -> timedelta:
    """The wait after the `attempts`-th failure in a row; `jitter` in [0, 1] (clamped), 1 being
    the ceiling; never less than `retry_after`, itself capped at RETRY_AFTER_CAP."""
    doublings = min(max(attempts, 1) - 1, _MAX_DOUBLINGS)
    ceiling: timedelta = min(schedule.cap, schedule.base * 2**doublings)
    delay = ceiling * (1.0 - schedule.spread * (1.0 - min(max(jitter, 0.0), 1.0)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay
