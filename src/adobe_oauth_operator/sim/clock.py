"""The simulator's clock: wall time plus an offset that tests can advance."""

from __future__ import annotations

import time
from collections.abc import Callable


class SimClock:
    """Milliseconds since the epoch; only ever moves forward when advanced."""

    def __init__(self, wall: Callable[[], float] = time.time, offset_ms: int = 0) -> None:
        self._wall = wall
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        return int(self._wall() * 1000) + self.offset_ms

    def advance(self, seconds: float) -> None:
        """Move forward; going back would make timestamps and token expiry incoherent."""
        if not seconds >= 0:
            raise ValueError("the simulator clock only moves forward")
        self.offset_ms += round(seconds * 1000)
