"""The peak request rate the simulator saw: the most requests in any window of one second."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 1.0


class PeakRate:
    """Counts arrivals in a sliding window and keeps the highest count seen."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._recent: deque[float] = deque()
        self.peak = 0

    def record(self) -> None:
        now = self._monotonic()
        self._recent.append(now)
        while now - self._recent[0] >= WINDOW_S:
            self._recent.popleft()
        self.peak = max(self.peak, len(self._recent))

    def reset(self) -> None:
        self._recent.clear()
        self.peak = 0

    def snapshot(self) -> dict[str, float]:
        return {"peak_per_window": self.peak, "window_s": WINDOW_S}
