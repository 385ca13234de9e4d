"""Status conditions; lastTransitionTime moves only when a condition's status flips."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from adobe_oauth_operator.rotation.reasons import Reason


class ConditionType(StrEnum):
    READY = "Ready"
    ROTATING = "Rotating"
    STALLED = "Stalled"
    DEGRADED = "Degraded"  # calls are failing and being retried with backoff
    TOKEN_FRESH = "TokenFresh"  # the vended access token is before its refresh point


@dataclass(frozen=True)
class Condition:
    """One entry of status.conditions."""

    type: ConditionType
    status: bool
    reason: Reason
    message: str
    last_transition_time: datetime


def set_condition(
    conditions: tuple[Condition, ...],
    type_: ConditionType,
    status: bool,
    reason: Reason,
    message: str,
    now: datetime,
) -> tuple[Condition, ...]:
    """Return conditions with `type_` set; keep its transition time unless the status flips."""
    existing = find(conditions, type_)
    if existing is not None and existing.status == status:
        updated = replace(existing, reason=reason, message=message)
    else:
        updated = Condition(type_, status, reason, message, now)
    others = tuple(c for c in conditions if c.type != type_)
    return tuple(sorted((*others, updated), key=lambda c: list(ConditionType).index(c.type)))


def find(conditions: tuple[Condition, ...], type_: ConditionType) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)
