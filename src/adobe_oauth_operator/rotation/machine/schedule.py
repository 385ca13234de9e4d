"""When a rotation is due: the interval, the window, and what triggers one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import Spec, Status, Trigger


def reschedule(spec: Spec, status: Status, now: datetime) -> Status:
    """Keep nextRotationTime in step with the interval, which the user may have changed."""
    if spec.interval is None:
        return replace(status, next_rotation_time=None)
    base = status.last_rotation_time or status.adopted_at or now
    due = base + spec.interval
    if status.consecutive_failures and status.next_rotation_time:
        due = status.next_rotation_time  # a failed rotation set its own retry time
    return replace(status, next_rotation_time=scheduled(spec, due, now))


def scheduled(spec: Spec, due: datetime, now: datetime) -> datetime:
    """When a scheduled rotation due at `due` may start: the first instant inside the window.

    Stable from pass to pass (it is written to status): an overdue rotation whose window has
    closed waits for the next opening, and starts once that opening is reached.
    """
    window = spec.window
    if window is None:
        return due
    at = window.first_instant_from(due)
    if at <= now and not window.contains(now):
        at = window.first_instant_from(now)
    return at


def trigger_of(status: Status, tick: m.Tick, now: datetime) -> Trigger | None:
    if tick.rotate_request and tick.rotate_request != status.last_rotate_request:
        return Trigger.EMERGENCY if tick.emergency else Trigger.ON_DEMAND
    if status.next_rotation_time is not None and now >= status.next_rotation_time:
        return Trigger.SCHEDULED
    return None
