"""What a decision returns (Plan), and the phase and conditions each outcome writes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType, find, set_condition
from adobe_oauth_operator.rotation.model import Phase, Spec, Status, Step
from adobe_oauth_operator.rotation.reasons import Reason


@dataclass(frozen=True)
class Plan:
    """The status to persist before anything else, then at most one action, the events to emit,
    and when to look again (None: at the next event or the resync)."""

    status: Status
    action: m.Action | None = None
    events: tuple[m.Event, ...] = ()
    requeue_after: timedelta | None = None


# Steps before the Secret receives the new value: a restoring rotation leaves it refused until then.
_BEFORE_WRITE = (Step.PREPARE, Step.ADD, Step.VERIFY, Step.UPDATE_SECRET)


def set_cond(
    status: Status, type_: ConditionType, value: bool, reason: Reason, text: str, now: datetime
) -> Status:
    return replace(
        status, conditions=set_condition(status.conditions, type_, value, reason, text, now)
    )


def ready(status: Status, reason: Reason, text: str, now: datetime) -> Status:
    status = replace(status, phase=Phase.READY)
    status = set_cond(status, ConditionType.READY, True, reason, text, now)
    status = set_cond(status, ConditionType.ROTATING, False, reason, "no rotation in progress", now)
    status = set_cond(status, ConditionType.STALLED, False, reason, "nothing is blocked", now)
    if status.retry is not None or find(status.conditions, ConditionType.DEGRADED) is None:
        # Ready again: whatever was failing no longer stands in the way.
        status = replace(status, retry=None)
        status = set_cond(
            status, ConditionType.DEGRADED, False, Reason.NO_FAILURES, "no failing calls", now
        )
    return status


def in_progress(status: Status, reason: Reason, text: str, now: datetime) -> Status:
    status = replace(status, phase=Phase.ROTATING)
    rot = status.rotation
    if rot is not None and rot.from_known_good and rot.step in _BEFORE_WRITE:
        status = set_cond(
            status,
            ConditionType.READY,
            False,
            Reason.SECRET_DRIFTED,
            f"the Secret holds a client secret IMS refuses; rotation {rot.id} is replacing it "
            "with a new working one",
            now,
        )
    else:
        status = set_cond(
            status,
            ConditionType.READY,
            True,
            Reason.ROTATING,
            "the Secret holds a working client secret; a rotation is in progress",
            now,
        )
    status = set_cond(status, ConditionType.ROTATING, True, reason, text, now)
    return set_cond(status, ConditionType.STALLED, False, reason, "nothing is blocked", now)


def stall(status: Status, reason: Reason, text: str, now: datetime, retry: timedelta) -> Plan:
    previous = find(status.conditions, ConditionType.STALLED)
    was_stalled = previous is not None and previous.status
    status = replace(status, phase=Phase.STALLED)
    status = set_cond(status, ConditionType.READY, False, reason, text, now)
    if status.rotation is not None:
        status = set_cond(status, ConditionType.ROTATING, True, reason, text, now)
    status = set_cond(status, ConditionType.STALLED, True, reason, text, now)
    events = warn_once(previous if was_stalled else None, reason, text)
    return Plan(status, events=events, requeue_after=retry)


def warn_once(previous: object, reason: Reason, text: str) -> tuple[m.Event, ...]:
    """Emit a Warning only when the condition's reason or message changes: stay quiet on retries."""
    same = (
        getattr(previous, "reason", None) == reason and getattr(previous, "message", None) == text
    )
    return () if same else (m.Event(True, reason, text),)


def suspended(status: Status, now: datetime) -> Status:
    text = "spec.suspend is true: no rotation starts and an in-flight one is paused"
    if status.rotation is None and status.adopted:
        return set_cond(status, ConditionType.ROTATING, False, Reason.SUSPENDED, text, now)
    return status


def schedule_text(status: Status, spec: Spec) -> str:
    if status.next_rotation_time is None:
        return "rotation on demand only"
    text = f"next rotation at {status.next_rotation_time.isoformat(timespec='seconds')}"
    return f"{text} (window {spec.window})" if spec.window else text


def until(when: datetime | None, now: datetime) -> timedelta | None:
    if when is None:
        return None
    return max(when - now, timedelta(0))
