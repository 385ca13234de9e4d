"""Before and between rotations: adoption, drift checks, the known-good copy, starting one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType, find
from adobe_oauth_operator.rotation.machine.drift import drift_adopted, known_good_action, restore
from adobe_oauth_operator.rotation.machine.plan import (
    Plan,
    in_progress,
    ready,
    schedule_text,
    until,
)
from adobe_oauth_operator.rotation.machine.schedule import reschedule, scheduled, trigger_of
from adobe_oauth_operator.rotation.model import Phase, Rotation, Spec, Status, Step, Trigger
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.sensitive import same_hmac


def decide_adoption(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.Adopted):
        adopted = replace(
            status,
            client_id=msg.client_id,
            current_secret_uuid=msg.secret_uuid,
            current_secret_created_at=msg.created_at,
            secret_fingerprint=msg.fingerprint,
            adopted_at=now,
            next_rotation_time=scheduled(spec, now + spec.interval, now) if spec.interval else None,
            last_rotate_request=status.last_rotate_request,
        )
        text = f"adopted client secret {msg.secret_uuid}; {schedule_text(adopted, spec)}"
        # The adopted value is verified: copy it now, not at the next pass hours later.
        copy = known_good_action(spec, adopted, msg.fingerprint)
        return Plan(
            ready(adopted, Reason.ADOPTED, text, now),
            action=copy,
            events=(m.Event(False, Reason.ADOPTED, text),),
            requeue_after=None if copy else until(adopted.next_rotation_time, now),
        )
    if isinstance(msg, m.Tick):
        # A rotate request made before adoption is satisfied by adoption, not replayed after it.
        status = replace(status, last_rotate_request=msg.rotate_request)
    return Plan(status, action=m.Adopt())


def decide_idle(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.DriftAdopted):
        return drift_adopted(spec, status, msg, now)
    if isinstance(msg, m.DriftRefused):
        return restore(spec, status, msg, now)
    if isinstance(msg, m.KnownGoodSaved | m.KnownGoodDeleted):
        # Recorded; the next pass (at once) looks at the Secret and any rotate request again.
        fingerprint = msg.fingerprint if isinstance(msg, m.KnownGoodSaved) else None
        status = replace(status, known_good_fingerprint=fingerprint)
        return Plan(status, requeue_after=timedelta(0))
    if not isinstance(msg, m.Tick):
        return Plan(status, requeue_after=until(status.next_rotation_time, now))
    if msg.pending_secret_present:
        # Left behind by a crash after the rotation ended: its value is in no secret Adobe holds.
        return Plan(status, action=m.DeletePending())
    if msg.app_fingerprint is not None:
        if status.secret_fingerprint is None:  # adopted before fingerprints: record it
            status = replace(status, secret_fingerprint=msg.app_fingerprint)
        elif not same_hmac(msg.app_fingerprint, status.secret_fingerprint):
            known_good = status.known_good_fingerprint
            return Plan(status, action=m.InspectDrift(msg.new_rotation_id, known_good))
    copy_action = known_good_action(spec, status, msg.app_fingerprint)
    if copy_action is not None:
        return Plan(status, action=copy_action)
    status = reschedule(spec, status, now)
    trigger = trigger_of(status, msg, now)
    if trigger is None:
        if (
            status.phase in (Phase.PENDING, Phase.STALLED)
            or find(status.conditions, ConditionType.READY) is None
        ):
            status = ready(status, Reason.UP_TO_DATE, schedule_text(status, spec), now)
        return Plan(status, requeue_after=until(status.next_rotation_time, now))
    rotation = Rotation(
        id=msg.new_rotation_id,
        step=Step.PREPARE,
        trigger=trigger,
        started_at=now,
        old_secret_uuid=status.current_secret_uuid or "",
    )
    status = replace(status, rotation=rotation, last_rotate_request=msg.rotate_request)
    text = f"{trigger.value} rotation {rotation.id} started; replacing {rotation.old_secret_uuid}"
    return Plan(
        in_progress(status, Reason.ROTATION_STARTED, text, now),
        action=m.Preflight(),
        events=(m.Event(trigger is Trigger.EMERGENCY, Reason.ROTATION_STARTED, text),),
    )
