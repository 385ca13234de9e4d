"""Saying in status that the next step waits for the shared request budget: the one limit on
Adobe requests that every credential of the operator process shares (adobe/limiter.py)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

from adobe_oauth_operator.rotation.conditions import ConditionType, set_condition
from adobe_oauth_operator.rotation.model import Status
from adobe_oauth_operator.rotation.reasons import Reason


def waiting_for_request_budget(
    status: Status, wait_s: float, queued: int, now: datetime, paused_s: float = 0.0
) -> Status:
    """The condition describing the step in progress says it waits; otherwise no change.

    `queued`: other credentials' steps ahead of this one; `wait_s`: a rough estimate;
    `paused_s`: what is left of a pause Adobe asked for with Retry-After."""
    text = (
        f"waiting for the operator's Adobe request budget (shared by all credentials): "
        f"{queued} step(s) queued ahead, about {math.ceil(wait_s)}s"
    )
    if paused_s > 0:
        until = (now + timedelta(seconds=paused_s)).isoformat(timespec="seconds")
        text += f"; Adobe asked to pause requests (Retry-After) until {until}"
    if not status.adopted:
        condition, value = ConditionType.READY, False
    elif status.rotation is not None:
        condition, value = ConditionType.ROTATING, True
    else:
        return status
    conditions = set_condition(
        status.conditions, condition, value, Reason.WAITING_FOR_ADOBE_BUDGET, text, now
    )
    return replace(status, conditions=conditions)
