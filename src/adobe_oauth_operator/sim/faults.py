"""Injected failures: the next N calls to an endpoint fail, are delayed, or lose their answer."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from adobe_oauth_operator.sim.state import ENDPOINTS

DROP: Literal["drop"] = "drop"
MAX_DELAY_S = 600.0
# A Retry-After is only a header: as long as a real server might ask for (a day), never slept on.
MAX_RETRY_AFTER_S = 86400.0


class FaultError(ValueError):
    """A fault request that does not make sense."""


@dataclass(frozen=True)
class Fault:
    """How one call misbehaves; `status` None means only `delay_s`."""

    status: int | Literal["drop"] | None = None
    retry_after: float | None = None
    delay_s: float = 0.0
    after_commit: bool = False  # carry the call out first, then fail or delay the answer
    # Only calls for this credential (None: any): one credential's rotation held, others not.
    credential_id: str | None = None


class FaultQueue:
    """Pending faults per endpoint, consumed one per call in the order they were added."""

    def __init__(self) -> None:
        self._pending: dict[str, deque[Fault]] = {e: deque() for e in ENDPOINTS}

    def add(self, endpoint: str, fault: Fault, count: int = 1) -> None:
        self._pending[endpoint].extend([fault] * count)

    def take(self, endpoint: str, credential_id: str | None = None) -> Fault | None:
        """The first pending fault for a call of `endpoint` for `credential_id` (None: unknown,
        only faults for any credential apply)."""
        pending = self._pending[endpoint]
        for fault in pending:
            if fault.credential_id is None or fault.credential_id == credential_id:
                pending.remove(fault)
                return fault
        return None

    def pending(self) -> dict[str, int]:
        return {e: len(q) for e, q in self._pending.items()}

    def clear(self, credential_id: str | None = None) -> None:
        """Drop every pending fault, or only those for `credential_id`."""
        for endpoint, pending in self._pending.items():
            if credential_id is None:
                pending.clear()
            else:
                self._pending[endpoint] = deque(
                    f for f in pending if f.credential_id != credential_id
                )


def parse_fault(body: Mapping[str, Any]) -> tuple[str, Fault, int]:
    """`{"endpoint", "status"?, "count"?, "retry_after"?, "delay_s"?, "after_commit"?,
    "credential_id"?}`."""
    endpoint = body.get("endpoint")
    if endpoint not in ENDPOINTS:
        raise FaultError(f"endpoint must be one of {', '.join(ENDPOINTS)}")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise FaultError("count must be a positive integer")
    fault = Fault(
        status=_status(body.get("status")),
        retry_after=_seconds(body.get("retry_after"), "retry_after", None, MAX_RETRY_AFTER_S),
        delay_s=_seconds(body.get("delay_s"), "delay_s", 0.0, MAX_DELAY_S) or 0.0,
        after_commit=_flag(body.get("after_commit", False)),
        credential_id=_credential(body.get("credential_id")),
    )
    if fault.status is None and not fault.delay_s:
        raise FaultError("give a status, a delay_s, or both")
    return str(endpoint), fault, count


def _status(value: object) -> int | Literal["drop"] | None:
    if value is None:
        return None
    if value == DROP:
        return DROP
    if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
        raise FaultError('status must be an HTTP error status (400-599) or "drop"')
    return value


def _seconds(value: object, name: str, default: float | None, maximum: float) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"{name} must be a number of seconds")
    if not 0 <= value <= maximum:
        raise FaultError(f"{name} must be between 0 and {maximum:g}")
    return float(value)


def _credential(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).isdigit():
        raise FaultError("credential_id must be a numeric credential id")
    return str(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise FaultError("after_commit must be true or false")
    return value
