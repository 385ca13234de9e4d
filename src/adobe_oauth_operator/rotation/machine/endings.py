"""How a rotation ends (succeeded, failed) and the status of a spec that cannot be used."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType
from adobe_oauth_operator.rotation.machine.plan import Plan, ready, schedule_text, set_cond
from adobe_oauth_operator.rotation.machine.schedule import scheduled
from adobe_oauth_operator.rotation.model import (
    HISTORY_LIMIT,
    HistoryEntry,
    Phase,
    Rotation,
    Spec,
    Status,
)
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import FAILED_ROTATION_RETRY


def finish_succeeded(spec: Spec, status: Status, rot: Rotation, now: datetime) -> Plan:
    text = (
        f"rotation {rot.id} done: client secret {rot.new_secret_uuid} replaced "
        f"{rot.old_secret_uuid}, which is deleted"
    )
    if rot.jobs:
        listed = ", ".join(str(j) for j in rot.jobs)
        text += f"; not restarted, each picks up the new value at its next run: {listed}"
    entry = HistoryEntry(
        rot.id,
        rot.trigger,
        rot.started_at,
        now,
        True,
        rot.old_secret_uuid,
        rot.new_secret_uuid,
        text,
    )
    status = replace(
        status,
        rotation=None,
        current_secret_uuid=rot.new_secret_uuid,
        # None when unknown: never the age of the secret just replaced.
        current_secret_created_at=rot.new_secret_created_at,
        last_rotation_time=now,
        next_rotation_time=scheduled(spec, now + spec.interval, now) if spec.interval else None,
        consecutive_failures=0,
        history=(entry, *status.history)[:HISTORY_LIMIT],
    )
    return Plan(
        ready(status, Reason.ROTATED, f"{text}; {schedule_text(status, spec)}", now),
        action=m.DeletePending(),
        events=(m.Event(False, Reason.ROTATED, text),),
    )


def finish_failed(
    spec: Spec, status: Status, rot: Rotation, reason: Reason, why: str, now: datetime
) -> Plan:
    text = f"rotation {rot.id} failed: {why}"
    entry = HistoryEntry(
        rot.id,
        rot.trigger,
        rot.started_at,
        now,
        False,
        rot.old_secret_uuid,
        rot.new_secret_uuid,
        text,
    )
    retry = (
        scheduled(spec, now + min(spec.interval, FAILED_ROTATION_RETRY), now)
        if spec.interval
        else None
    )
    status = replace(
        status,
        rotation=None,
        phase=Phase.FAILED,
        next_rotation_time=retry,
        consecutive_failures=status.consecutive_failures + 1,
        history=(entry, *status.history)[:HISTORY_LIMIT],
    )
    status = set_cond(status, ConditionType.READY, False, reason, text, now)
    status = set_cond(status, ConditionType.ROTATING, False, reason, text, now)
    status = set_cond(status, ConditionType.STALLED, False, reason, text, now)
    return Plan(
        status, action=m.DeletePending(), events=(m.Event(True, Reason.ROTATION_FAILED, text),)
    )


def invalid_spec(status: Status, problem: str, now: datetime) -> Status:
    """The status for a spec the operator cannot act on (CRD validation should prevent it)."""
    text = f"the spec cannot be used: {problem}; fix it and the operator resumes"
    status = replace(status, phase=Phase.STALLED if status.adopted else Phase.PENDING)
    status = set_cond(status, ConditionType.READY, False, Reason.INVALID_SPEC, text, now)
    return set_cond(status, ConditionType.STALLED, True, Reason.INVALID_SPEC, text, now)
