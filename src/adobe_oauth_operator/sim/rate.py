"""The peak request rate the simulator saw: the most requests within any 1 s and any 10 s.

Arrival times include the client's and the simulator's scheduling delays, so on a busy machine
a client that spaces its starts evenly can still arrive bunched over one second; the 10 s peak
divided by ten is the steadier figure of its rate.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOWS_S = (1.0, 10.0)


class PeakRate:
    """Counts arrivals in sliding windows and keeps the highest count seen in each."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._recent: deque[float] = deque()
        self.peaks = dict.fromkeys(WINDOWS_S, 0)

    def record(self) -> None:
        now = self._monotonic()
        self._recent.append(now)
        while now - self._recent[0] >= WINDOWS_S[-1]:
            self._recent.popleft()
        for window in WINDOWS_S:
            # Arrivals within `window` of now are the newest ones at the deque's right end.
            count = sum(1 for _ in _newer_than(self._recent, now - window))
            self.peaks[window] = max(self.peaks[window], count)

    def reset(self) -> None:
        self._recent.clear()
        self.peaks = dict.fromkeys(WINDOWS_S, 0)

    def snapshot(self) -> dict[str, int]:
        return {f"peak_{int(w)}s": self.peaks[w] for w in WINDOWS_S}


def _newer_than(arrivals: deque[float], cutoff: float) -> list[float]:
    found = []
    for t in reversed(arrivals):
        if t <= cutoff:
            break
        found.append(t)
    return found
