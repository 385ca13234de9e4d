"""The rotation state machine: (spec, status, message, now) -> plan.

A plan is the new status, at most one action and the events to emit. The caller persists the status
BEFORE running the action, so every side effect is preceded by a durable record of the step it
belongs to; a crash at any point is resumed by a Tick, which re-derives the action from status.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType, find, set_condition
from adobe_oauth_operator.rotation.durations import format_duration
from adobe_oauth_operator.rotation.model import (
    HISTORY_LIMIT,
    HistoryEntry,
    OnStillInUse,
    Phase,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    TargetProgress,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason

# A secret created this long before a rotation started still counts as created by it: Adobe's
# clock and ours are not the same clock.
CLOCK_SKEW = timedelta(minutes=1)
TRANSIENT_RETRY = timedelta(seconds=5)
ROLLOUT_POLL = timedelta(seconds=2)
FAILED_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class Plan:
    status: Status
    action: m.Action | None = None
    events: tuple[m.Event, ...] = ()
    requeue_after: timedelta | None = None


def decide(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    """Return what to persist and do next, given the latest message."""
    if isinstance(msg, m.ActionFailed):
        return _on_failure(spec, status, msg, now)
    if isinstance(msg, m.Tick):
        status = replace(status, observed_generation=msg.generation or status.observed_generation)
        if spec.suspend:
            return Plan(_suspended(status, now))
    if not status.adopted:
        return _adoption(spec, status, msg, now)
    if status.rotation is None:
        return _idle(spec, status, msg, now)
    return _rotating(spec, status, status.rotation, msg, now)


# -- adoption and idle --------------------------------------------------------------------------
def _adoption(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.Adopted):
        adopted = replace(
            status,
            client_id=msg.client_id,
            current_secret_uuid=msg.secret_uuid,
            adopted_at=now,
            next_rotation_time=now + spec.interval if spec.interval else None,
            last_rotate_request=status.last_rotate_request,
        )
        text = f"adopted client secret {msg.secret_uuid}; {_schedule_text(adopted)}"
        return Plan(
            _ready(adopted, Reason.ADOPTED, text, now),
            events=(m.Event(False, Reason.ADOPTED, text),),
            requeue_after=_until(adopted.next_rotation_time, now),
        )
    if isinstance(msg, m.Tick):
        # A rotate request made before adoption is satisfied by adoption, not replayed after it.
        status = replace(status, last_rotate_request=msg.rotate_request)
    return Plan(status, action=m.Adopt())


def _idle(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.PendingDeleted) or not isinstance(msg, m.Tick):
        return Plan(status, requeue_after=_until(status.next_rotation_time, now))
    if msg.pending_secret_present:
        # Left behind by a crash after the rotation ended: its value is in no secret Adobe holds.
        return Plan(status, action=m.DeletePending())
    status = _reschedule(spec, status, now)
    trigger = _trigger(status, msg, now)
    if trigger is None:
        if (
            status.phase in (Phase.PENDING, Phase.STALLED)
            or find(status.conditions, ConditionType.READY) is None
        ):
            status = _ready(status, Reason.UP_TO_DATE, _schedule_text(status), now)
        return Plan(status, requeue_after=_until(status.next_rotation_time, now))
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
        _progress(status, Reason.ROTATION_STARTED, text, now),
        action=m.ListSecrets(m.Using.APP_SECRET),
        events=(m.Event(trigger is Trigger.EMERGENCY, Reason.ROTATION_STARTED, text),),
    )


def _reschedule(spec: Spec, status: Status, now: datetime) -> Status:
    """Keep nextRotationTime in step with the interval, which the user may have changed."""
    if spec.interval is None:
        return replace(status, next_rotation_time=None)
    base = status.last_rotation_time or status.adopted_at or now
    wanted = base + spec.interval
    if status.consecutive_failures and status.next_rotation_time:
        return status  # a failed rotation set its own retry time
    return replace(status, next_rotation_time=wanted)


def _trigger(status: Status, tick: m.Tick, now: datetime) -> Trigger | None:
    if tick.rotate_request and tick.rotate_request != status.last_rotate_request:
        return Trigger.EMERGENCY if tick.emergency else Trigger.ON_DEMAND
    if status.next_rotation_time is not None and now >= status.next_rotation_time:
        return Trigger.SCHEDULED
    return None


# -- the rotation steps ---------------------------------------------------------------------------
def _rotating(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.Tick):
        plan = _on_tick_while_rotating(status, rot, msg)
        if plan is not None:
            return plan
    handler = _STEP_HANDLERS[rot.step]
    return handler(spec, status, rot, msg, now)


def _on_tick_while_rotating(status: Status, rot: Rotation, tick: m.Tick) -> Plan | None:
    """A new rotate request during a rotation: upgrade to emergency, otherwise note and ignore."""
    if not tick.rotate_request or tick.rotate_request == status.last_rotate_request:
        return None
    status = replace(status, last_rotate_request=tick.rotate_request)
    if tick.emergency and not rot.emergency:
        status = replace(status, rotation=replace(rot, trigger=Trigger.EMERGENCY))
        text = f"rotation {rot.id} upgraded to an emergency: the old secret goes after the rollout"
        return Plan(
            status,
            events=(m.Event(True, Reason.ROTATION_STARTED, text),),
            requeue_after=timedelta(0),
        )
    text = f"rotation {rot.id} is already in progress; the new request is folded into it"
    return Plan(
        status,
        events=(m.Event(False, Reason.ROTATION_REQUEST_IGNORED, text),),
        requeue_after=timedelta(0),
    )


def _prepare(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretDeleted):
        text = f"deleted client secret {msg.secret_uuid}, left by an unfinished attempt"
        return Plan(
            status,
            action=m.ListSecrets(m.Using.APP_SECRET),
            events=(m.Event(True, Reason.ORPHAN_DELETED, text),),
        )
    if not isinstance(msg, m.SecretsListed):
        return Plan(status, action=m.ListSecrets(m.Using.APP_SECRET))
    others = [s for s in msg.secrets if s.uuid != rot.old_secret_uuid]
    events: tuple[m.Event, ...] = ()
    if len(others) == len(msg.secrets):
        events = (
            m.Event(
                True,
                Reason.CURRENT_SECRET_GONE,
                f"the current client secret {rot.old_secret_uuid} no longer exists in "
                "Adobe; the rotation goes on to restore a working secret",
            ),
        )
    if len(msg.secrets) >= 2:
        orphans = [s for s in others if _created_by(rot, s)]
        if len(orphans) == len(others):
            return Plan(status, action=m.DeleteSecret(orphans[0].uuid, m.Using.APP_SECRET))
        foreign = ", ".join(s.uuid for s in others if not _created_by(rot, s))
        text = (
            f"the credential already holds 2 client secrets and {foreign} was not created by "
            "this rotation; delete the unused one in the Adobe Developer Console to continue"
        )
        return _stall(status, Reason.SECRET_LIMIT_REACHED, text, now, spec.check_interval)
    status = replace(status, rotation=replace(rot, step=Step.ADD))
    return Plan(
        _progress(status, Reason.ROTATING, f"rotation {rot.id}: adding a new secret", now),
        action=m.AddSecret(rot.id),
        events=events,
    )


def _add(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretAdded):
        return _added(status, rot, msg.secret_uuid, now)
    if isinstance(msg, m.AddOutcomeUnknown):
        text = (
            f"rotation {rot.id}: the response to adding a secret was lost; listing secrets "
            "to find and delete a secret whose value nobody received"
        )
        return Plan(
            status,
            action=m.InspectPending(rot.id),
            events=(m.Event(True, Reason.ADD_RESPONSE_LOST, text),),
        )
    if isinstance(msg, m.SecretDeleted):
        text = f"deleted client secret {msg.secret_uuid}, whose value was lost by an earlier add"
        return Plan(
            status,
            action=m.InspectPending(rot.id),
            events=(m.Event(True, Reason.ORPHAN_DELETED, text),),
        )
    if not isinstance(msg, m.PendingInspected):
        return Plan(status, action=m.InspectPending(rot.id))
    uuids = {s.uuid for s in msg.secrets}
    if msg.pending_uuid is not None and msg.pending_uuid in uuids:
        return _added(status, rot, msg.pending_uuid, now)
    strays = [s for s in msg.secrets if s.uuid != rot.old_secret_uuid]
    if not strays:
        return Plan(status, action=m.AddSecret(rot.id))
    if all(_created_by(rot, s) for s in strays):
        return Plan(status, action=m.DeleteSecret(strays[0].uuid, m.Using.APP_SECRET))
    text = (
        f"rotation {rot.id}: a client secret not created by this rotation appeared "
        f"({', '.join(s.uuid for s in strays)}); delete it in the Adobe Developer Console"
    )
    return _stall(status, Reason.SECRET_LIMIT_REACHED, text, now, spec.check_interval)


def _added(status: Status, rot: Rotation, uuid: str, now: datetime) -> Plan:
    rot = replace(rot, step=Step.VERIFY, new_secret_uuid=uuid)
    text = f"rotation {rot.id}: added client secret {uuid}; verifying it"
    return Plan(
        _progress(replace(status, rotation=rot), Reason.SECRET_ADDED, text, now),
        action=m.VerifyNewSecret(),
        events=(m.Event(False, Reason.SECRET_ADDED, text),),
    )


def _verify(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.Verified):
        rot = replace(rot, step=Step.UPDATE_SECRET)
        text = f"rotation {rot.id}: the new secret {rot.new_secret_uuid} works; updating the Secret"
        return Plan(
            _progress(replace(status, rotation=rot), Reason.VERIFIED, text, now),
            action=m.WriteAppSecret(rot.id, rot.new_secret_uuid or ""),
            events=(m.Event(False, Reason.VERIFIED, text),),
        )
    if isinstance(msg, m.VerifyRejected):
        text = (
            f"rotation {rot.id}: the new secret {rot.new_secret_uuid} was refused by IMS "
            f"({msg.message}); deleting it and keeping the old one"
        )
        return Plan(
            status,
            action=m.DeleteSecret(rot.new_secret_uuid or "", m.Using.APP_SECRET),
            events=(m.Event(True, Reason.VERIFICATION_FAILED, text),),
        )
    if isinstance(msg, m.SecretDeleted) and msg.secret_uuid == rot.new_secret_uuid:
        return _finish_failed(
            spec,
            status,
            rot,
            Reason.VERIFICATION_FAILED,
            "the new secret failed verification and was deleted; the old secret is unchanged",
            now,
        )
    return Plan(status, action=m.VerifyNewSecret())


def _update_secret(
    spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime
) -> Plan:
    if isinstance(msg, m.AppSecretWritten):
        rot = replace(rot, step=Step.ROLLOUT, rollout_started_at=now)
        text = (
            f"rotation {rot.id}: Secret {spec.secret_name} now holds {rot.new_secret_uuid}; "
            "restarting its consumers"
        )
        return Plan(
            _progress(replace(status, rotation=rot), Reason.SECRET_UPDATED, text, now),
            action=m.RestartTargets(rot.id),
            events=(m.Event(False, Reason.SECRET_UPDATED, text),),
        )
    return Plan(status, action=m.WriteAppSecret(rot.id, rot.new_secret_uuid or ""))


def _rollout(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.TargetsRestarted):
        return _on_restarted(spec, status, rot, msg, now)
    if isinstance(msg, m.RolloutsChecked):
        return _on_rollouts_checked(spec, status, rot, msg, now)
    return Plan(status, action=m.RestartTargets(rot.id))


def _on_restarted(
    spec: Spec, status: Status, rot: Rotation, msg: m.TargetsRestarted, now: datetime
) -> Plan:
    events = tuple(
        m.Event(False, Reason.RESTARTED, f"restarted {target} for rotation {rot.id}")
        for target, result in msg.results
        if result is m.RestartResult.RESTARTED
    )
    progress = tuple(
        TargetProgress(
            target, restarted=result in (m.RestartResult.RESTARTED, m.RestartResult.ALREADY)
        )
        for target, result in msg.results
    )
    status = replace(status, rotation=replace(rot, targets=progress))
    blocked = [
        (t, r) for t, r in msg.results if r in (m.RestartResult.PAUSED, m.RestartResult.NOT_FOUND)
    ]
    if blocked:
        paused = [str(t) for t, r in blocked if r is m.RestartResult.PAUSED]
        missing = [str(t) for t, r in blocked if r is m.RestartResult.NOT_FOUND]
        reason = Reason.ROLLOUT_PAUSED if paused else Reason.TARGET_NOT_FOUND
        parts = [f"paused, not restarted: {', '.join(paused)} (resume it to continue)"] * bool(
            paused
        ) + [f"not found: {', '.join(missing)} (fix spec.rollout.targets)"] * bool(missing)
        text = f"rotation {rot.id}: " + "; ".join(parts) + "; the old secret is kept"
        plan = _stall(status, reason, text, now, spec.check_interval)
        return replace(plan, events=events + plan.events)
    restarted = tuple(t for t, _ in msg.results)
    return Plan(status, action=m.CheckRollouts(rot.id, restarted), events=events)


def _on_rollouts_checked(
    spec: Spec, status: Status, rot: Rotation, msg: m.RolloutsChecked, now: datetime
) -> Plan:
    progress = tuple(TargetProgress(s.target, True, s.complete) for s in msg.states)
    rot = replace(rot, targets=progress)
    pending = [s for s in msg.states if not s.complete]
    if pending:
        status = replace(status, rotation=rot)
        started = rot.rollout_started_at or now
        detail = "; ".join(f"{s.target}: {s.message}" for s in pending)
        if now - started >= spec.rollout_timeout:
            text = (
                f"rotation {rot.id}: rollout not complete after "
                f"{format_duration(spec.rollout_timeout)} ({detail}); the old secret is kept"
            )
            return _stall(status, Reason.ROLLOUT_TIMEOUT, text, now, spec.check_interval)
        text = f"rotation {rot.id}: waiting for rollouts ({detail})"
        return Plan(
            _progress(status, Reason.ROTATING, text, now),
            requeue_after=min(ROLLOUT_POLL, spec.check_interval),
        )
    rot = replace(
        rot,
        rollout_completed_at=now,
        drain_deadline=now + spec.max_wait,
        step=Step.DELETE_OLD if rot.emergency else Step.DRAIN,
        next_check_at=now,
    )
    names = ", ".join(str(s.target) for s in msg.states) or "no workloads to restart"
    text = f"rotation {rot.id}: rollout complete ({names})"
    status = _progress(replace(status, rotation=rot), Reason.ROLLOUT_COMPLETE, text, now)
    action: m.Action = m.ListSecrets(m.Using.PENDING_SECRET)
    if rot.emergency:
        action = m.DeleteSecret(rot.old_secret_uuid, m.Using.PENDING_SECRET)
    return Plan(status, action=action, events=(m.Event(False, Reason.ROLLOUT_COMPLETE, text),))


def _drain(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if rot.emergency:
        return _to_delete_old(status, rot, now, events=())
    if not isinstance(msg, m.SecretsListed):
        if rot.next_check_at is not None and now < rot.next_check_at:
            return Plan(status, requeue_after=rot.next_check_at - now)
        return Plan(status, action=m.ListSecrets(m.Using.PENDING_SECRET))
    old = next((s for s in msg.secrets if s.uuid == rot.old_secret_uuid), None)
    if old is None:
        return _to_delete_old(status, rot, now, events=())
    completed = rot.rollout_completed_at or now
    quiet_since = max(completed, old.last_used_at or completed)
    rot = replace(rot, old_last_used_at=old.last_used_at, next_check_at=now + spec.check_interval)
    if now - quiet_since >= spec.drain_period:
        return _to_delete_old(status, rot, now, events=())
    used_after = old.last_used_at is not None and old.last_used_at > completed
    events: tuple[m.Event, ...] = ()
    if used_after and not rot.still_in_use_reported:
        rot = replace(rot, still_in_use_reported=True)
        events = (m.Event(True, Reason.STILL_IN_USE, _still_in_use_text(rot, old)),)
    status = replace(status, rotation=rot)
    deadline = rot.drain_deadline or completed + spec.max_wait
    if used_after and now >= deadline:
        if spec.on_still_in_use is OnStillInUse.DELETE:
            text = (
                f"{_still_in_use_text(rot, old)}; maxWait has passed and onStillInUse is "
                "Delete: deleting it"
            )
            return _to_delete_old(
                status, rot, now, events=(*events, m.Event(True, Reason.DELETING_IN_USE, text))
            )
        text = (
            f"{_still_in_use_text(rot, old)}; maxWait has passed and onStillInUse is Wait: "
            "both secrets are kept until it falls out of use"
        )
        plan = _stall(status, Reason.STILL_IN_USE, text, now, spec.check_interval)
        return replace(plan, events=events + plan.events)
    wait = spec.drain_period - (now - quiet_since)
    text = (
        f"rotation {rot.id}: waiting until the old secret {rot.old_secret_uuid} has been "
        f"unused for {format_duration(spec.drain_period)} ({format_duration(wait)} to go)"
    )
    return Plan(
        _progress(status, Reason.DRAINING, text, now),
        events=events,
        requeue_after=min(spec.check_interval, max(wait, timedelta(0))),
    )


def _still_in_use_text(rot: Rotation, old: SecretMeta) -> str:
    used = old.last_used_at.isoformat() if old.last_used_at else "never"
    return (
        f"the old client secret {rot.old_secret_uuid} was used at {used}, after every "
        "restarted workload switched: a consumer outside the rolled workloads still uses it"
    )


def _to_delete_old(
    status: Status, rot: Rotation, now: datetime, events: tuple[m.Event, ...]
) -> Plan:
    rot = replace(rot, step=Step.DELETE_OLD)
    text = f"rotation {rot.id}: deleting the old secret {rot.old_secret_uuid}"
    return Plan(
        _progress(replace(status, rotation=rot), Reason.ROTATING, text, now),
        action=m.DeleteSecret(rot.old_secret_uuid, m.Using.PENDING_SECRET),
        events=events,
    )


def _delete_old(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretDeleted) and msg.secret_uuid == rot.old_secret_uuid:
        return _finish_succeeded(spec, status, rot, now)
    return Plan(status, action=m.DeleteSecret(rot.old_secret_uuid, m.Using.PENDING_SECRET))


_STEP_HANDLERS = {
    Step.PREPARE: _prepare,
    Step.ADD: _add,
    Step.VERIFY: _verify,
    Step.UPDATE_SECRET: _update_secret,
    Step.ROLLOUT: _rollout,
    Step.DRAIN: _drain,
    Step.DELETE_OLD: _delete_old,
}


# -- endings ------------------------------------------------------------------------------------
def _finish_succeeded(spec: Spec, status: Status, rot: Rotation, now: datetime) -> Plan:
    text = (
        f"rotation {rot.id} done: client secret {rot.new_secret_uuid} replaced "
        f"{rot.old_secret_uuid}, which is deleted"
    )
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
        last_rotation_time=now,
        next_rotation_time=now + spec.interval if spec.interval else None,
        consecutive_failures=0,
        history=(entry, *status.history)[:HISTORY_LIMIT],
    )
    return Plan(
        _ready(status, Reason.ROTATED, f"{text}; {_schedule_text(status)}", now),
        action=m.DeletePending(),
        events=(m.Event(False, Reason.ROTATED, text),),
    )


def _finish_failed(
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
    retry = now + min(spec.interval, FAILED_RETRY) if spec.interval else None
    status = replace(
        status,
        rotation=None,
        phase=Phase.FAILED,
        next_rotation_time=retry,
        consecutive_failures=status.consecutive_failures + 1,
        history=(entry, *status.history)[:HISTORY_LIMIT],
    )
    status = _set(status, ConditionType.READY, False, reason, text, now)
    status = _set(status, ConditionType.ROTATING, False, reason, text, now)
    status = _set(status, ConditionType.STALLED, False, reason, text, now)
    return Plan(
        status, action=m.DeletePending(), events=(m.Event(True, Reason.ROTATION_FAILED, text),)
    )


def invalid_spec(status: Status, problem: str, now: datetime) -> Status:
    """The status for a spec the operator cannot act on (CRD validation should prevent it)."""
    text = f"the spec cannot be used: {problem}; fix it and the operator resumes"
    status = replace(status, phase=Phase.STALLED if status.adopted else Phase.PENDING)
    status = _set(status, ConditionType.READY, False, Reason.INVALID_SPEC, text, now)
    return _set(status, ConditionType.STALLED, True, Reason.INVALID_SPEC, text, now)


# -- failures -----------------------------------------------------------------------------------
def _on_failure(spec: Spec, status: Status, msg: m.ActionFailed, now: datetime) -> Plan:
    reason = Reason(msg.kind.value)
    if msg.kind is m.ErrorKind.SECRET_LIMIT and status.rotation is not None:
        # Someone else added a secret between our list and our add: prepare again.
        rot = replace(status.rotation, step=Step.PREPARE)
        return Plan(replace(status, rotation=rot), action=m.ListSecrets(m.Using.APP_SECRET))
    if msg.kind.retryable_soon:
        delay = max(msg.retry_after or TRANSIENT_RETRY, timedelta(0))
        return Plan(status, requeue_after=delay)
    if not status.adopted:
        status = replace(status, phase=Phase.PENDING)
        previous = find(status.conditions, ConditionType.READY)
        status = _set(status, ConditionType.READY, False, reason, msg.message, now)
        return Plan(
            status,
            events=_warn_once(previous, reason, msg.message),
            requeue_after=spec.check_interval,
        )
    return _stall(status, reason, msg.message, now, spec.check_interval)


def _warn_once(previous: object, reason: Reason, text: str) -> tuple[m.Event, ...]:
    """Emit a Warning only when the condition's reason or message changes: stay quiet on retries."""
    same = (
        getattr(previous, "reason", None) == reason and getattr(previous, "message", None) == text
    )
    return () if same else (m.Event(True, reason, text),)


# -- status helpers -----------------------------------------------------------------------------
def _set(
    status: Status, type_: ConditionType, value: bool, reason: Reason, text: str, now: datetime
) -> Status:
    return replace(
        status, conditions=set_condition(status.conditions, type_, value, reason, text, now)
    )


def _ready(status: Status, reason: Reason, text: str, now: datetime) -> Status:
    status = replace(status, phase=Phase.READY)
    status = _set(status, ConditionType.READY, True, reason, text, now)
    status = _set(status, ConditionType.ROTATING, False, reason, "no rotation in progress", now)
    return _set(status, ConditionType.STALLED, False, reason, "nothing is blocked", now)


def _progress(status: Status, reason: Reason, text: str, now: datetime) -> Status:
    status = replace(status, phase=Phase.ROTATING)
    status = _set(
        status,
        ConditionType.READY,
        True,
        Reason.ROTATING,
        "the Secret holds a working client secret; a rotation is in progress",
        now,
    )
    status = _set(status, ConditionType.ROTATING, True, reason, text, now)
    return _set(status, ConditionType.STALLED, False, reason, "nothing is blocked", now)


def _stall(status: Status, reason: Reason, text: str, now: datetime, retry: timedelta) -> Plan:
    previous = find(status.conditions, ConditionType.STALLED)
    was_stalled = previous is not None and previous.status
    status = replace(status, phase=Phase.STALLED)
    status = _set(status, ConditionType.READY, False, reason, text, now)
    if status.rotation is not None:
        status = _set(status, ConditionType.ROTATING, True, reason, text, now)
    status = _set(status, ConditionType.STALLED, True, reason, text, now)
    events = _warn_once(previous if was_stalled else None, reason, text)
    return Plan(status, events=events, requeue_after=retry)


def _suspended(status: Status, now: datetime) -> Status:
    text = "spec.suspend is true: no rotation starts and an in-flight one is paused"
    if status.rotation is None and status.adopted:
        return _set(status, ConditionType.ROTATING, False, Reason.SUSPENDED, text, now)
    return status


def _created_by(rot: Rotation, secret: SecretMeta) -> bool:
    return secret.uuid != rot.old_secret_uuid and secret.created_at >= rot.started_at - CLOCK_SKEW


def _schedule_text(status: Status) -> str:
    if status.next_rotation_time is None:
        return "rotation on demand only"
    return f"next rotation at {status.next_rotation_time.isoformat(timespec='seconds')}"


def _until(when: datetime | None, now: datetime) -> timedelta | None:
    if when is None:
        return None
    return max(when - now, timedelta(0))
