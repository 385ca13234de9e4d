"""The rotation state machine: (spec, status, message, now, holder) -> plan.

A plan is the new status, at most one action and the events to emit. The caller persists the status
BEFORE running the action, so every side effect is preceded by a durable record of the step it
belongs to; a crash at any point is resumed by a Tick, which re-derives the action from status.
A mutating action is also recorded in the status itself (sequence number, holder, start), so the
write that precedes it changes the resource: two writers deciding on the same state cannot both
succeed, and a second operator waits for a recorded action instead of racing it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from adobe_oauth_operator.names import ROTATE_ANNOTATION
from adobe_oauth_operator.rotation import claims, pinned, vended_tokens
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.backoff import retry_delay
from adobe_oauth_operator.rotation.conditions import ConditionType, find, set_condition
from adobe_oauth_operator.rotation.durations import format_duration
from adobe_oauth_operator.rotation.model import (
    HISTORY_LIMIT,
    HistoryEntry,
    InFlight,
    JobConsumer,
    OnDrift,
    OnStillInUse,
    Phase,
    Retry,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    TargetProgress,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.sensitive import same_hmac
from adobe_oauth_operator.timings import (
    ACTION_LEASE,
    CLOCK_SKEW,
    FAILED_ROTATION_RETRY,
    ROLLOUT_POLL,
)

# The per-rotation budget of mutating Adobe calls: harmless even if a logic bug loops.
MAX_ADDS = 3
MAX_DELETES = MAX_ADDS + 1  # each lost add may need its orphan deleted, plus the old secret
MAX_REVERTS = 3


@dataclass(frozen=True)
class Plan:
    status: Status
    action: m.Action | None = None
    events: tuple[m.Event, ...] = ()
    requeue_after: timedelta | None = None


def decide(spec: Spec, status: Status, msg: m.Message, now: datetime, holder: str = "") -> Plan:
    """Return what to persist and do next, given the latest message."""
    if isinstance(msg, m.Tick):
        waiting = _wait_for_other_holder(status, holder, now)
        if waiting is not None:
            return waiting
    recovered = _recovered(status, msg, now)
    plan = _decide(spec, recovered.status if recovered else status, msg, now)
    plan = _spend_emergency(status, msg, plan)
    if recovered is not None:
        plan = replace(plan, events=recovered.events + plan.events)
    plan = _pin(spec, _vend_first(spec, plan, now))
    plan = _fence(spec, plan, holder, now)
    return _wake_for_token(plan, now)


def _pin(spec: Spec, plan: Plan) -> Plan:
    """Record the credential of a rotation and stamp it on its deletes (rotation/pinned.py)."""
    status = pinned.record(spec, plan.status)
    return replace(plan, status=status, action=pinned.stamp(status, plan.action))


def _spend_emergency(before: Status, msg: m.Message, plan: Plan) -> Plan:
    """Record the request an emergency came with once that request is taken: one-shot.

    The caller then removes the emergency annotation, so the next plain request is plain.
    """
    if not (isinstance(msg, m.Tick) and msg.emergency and msg.rotate_request):
        return plan
    taken = plan.status.last_rotate_request == msg.rotate_request != before.last_rotate_request
    if not taken:
        return plan
    return replace(plan, status=replace(plan.status, last_emergency_request=msg.rotate_request))


def _decide(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    backing_off = isinstance(msg, m.Tick) and _backing_off(status, msg, now)
    if isinstance(msg, m.ActionFailed):
        if msg.action == m.VendToken.__name__:
            status, warnings, delay = vended_tokens.failed(spec, status, msg, now)
            return Plan(status, events=warnings, requeue_after=delay)
        return _on_failure(spec, status, msg, now)
    if isinstance(msg, m.SecretsListed | m.PendingInspected):
        status = _note_created(status, msg.secrets)
    events: tuple[m.Event, ...] = ()
    if isinstance(msg, m.TokenVended):
        status, events = vended_tokens.vended(spec, status, msg, now)
    elif isinstance(msg, m.TokenReadersRestarted):
        status, events = vended_tokens.readers_restarted(status, msg)
    elif isinstance(msg, m.TargetsRestarted):
        status = vended_tokens.rotation_restarted(status)
    if isinstance(msg, m.Tick):
        status = replace(status, observed_generation=msg.generation or status.observed_generation)
        status = vended_tokens.forget_if_unset(spec, status)
    claim = claims.claim_step(spec, status, msg, now)
    if claim is not None:
        # Nothing runs before the claim is held: not even a token written into a Secret name
        # another resource uses.
        if claim.stall is not None:
            plan = _stall(claim.status, *claim.stall, now, spec.check_interval)
        else:
            plan = Plan(claim.status, action=claim.action, requeue_after=claim.requeue_after)
        return replace(plan, events=events + plan.events)
    if isinstance(msg, m.Tick):
        # Applications depend on the vended token even while rotations are suspended.
        vend = vended_tokens.vend_action(status)
        if vend is not None and vended_tokens.why_vend(spec, status, msg.token, now) is not None:
            return Plan(status, action=vend)
    if isinstance(msg, m.Tick | m.TokenVended):
        readers = vended_tokens.readers_action(status, now)
        if readers is not None and spec.access_token is not None:
            return Plan(status, action=readers, events=events)
    if isinstance(msg, m.Tick) and spec.suspend:
        return Plan(_suspended(status, now))
    changed = pinned.changed_text(spec, status)
    if changed is not None:
        plan = _stall(status, Reason.SPEC_CHANGED_MID_ROTATION, changed, now, spec.check_interval)
    elif backing_off and status.retry is not None:
        # Woken before the next attempt status shows (a resync, a restart, a conflict): wait.
        plan = Plan(status, requeue_after=status.retry.next_retry_at - now)
    elif not status.adopted:
        plan = _adoption(spec, status, msg, now)
    elif status.rotation is None:
        plan = _idle(spec, status, msg, now)
    else:
        plan = _rotating(spec, status, status.rotation, msg, now)
    return replace(plan, events=events + plan.events)


def _vend_first(spec: Spec, plan: Plan, now: datetime) -> Plan:
    """Before the Secret gets the new client secret, and before the old one is deleted, the
    vended token is made with the new one: no vended token depends on a secret about to go."""
    rot, action = plan.status.rotation, plan.action
    if rot is None or not vended_tokens.needs_switch(spec, plan.status):
        return plan
    if isinstance(action, m.WriteAppSecret):
        before = f"Secret {spec.secret_name} gets it"
    elif isinstance(action, m.DeleteSecret) and action.secret_uuid == rot.old_secret_uuid:
        before = f"the old client secret {rot.old_secret_uuid} is deleted"
    else:
        return plan
    retry_at = vended_tokens.in_backoff(plan.status, now)
    vend = vended_tokens.vend_action(plan.status)
    if retry_at is None and vend is not None:
        return replace(plan, action=vend)
    text = f"rotation {rot.id}: {vended_tokens.waiting_text(plan.status, before)}"
    status = _set(plan.status, ConditionType.ROTATING, True, Reason.WAITING_FOR_TOKEN, text, now)
    return Plan(status, events=plan.events, requeue_after=(retry_at or now) - now)


def _wake_for_token(plan: Plan, now: datetime) -> Plan:
    """An idle resource still wakes up for its token's refresh point or next retry."""
    wake = vended_tokens.next_wake(plan.status, now)
    if plan.action is not None or wake is None:
        return plan
    current = plan.requeue_after
    return replace(plan, requeue_after=wake if current is None else min(current, wake))


def _note_created(status: Status, secrets: tuple[SecretMeta, ...]) -> Status:
    """Fill in the creation times status lacks from a secrets list (an older operator kept none)."""
    created = {s.uuid: s.created_at for s in secrets}
    if status.current_secret_created_at is None and status.current_secret_uuid in created:
        status = replace(status, current_secret_created_at=created[status.current_secret_uuid])
    rot = status.rotation
    if rot is not None and rot.new_secret_created_at is None and rot.new_secret_uuid in created:
        rot = replace(rot, new_secret_created_at=created[rot.new_secret_uuid])
        status = replace(status, rotation=rot)
    return status


# -- adoption and idle --------------------------------------------------------------------------
def _adoption(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.Adopted):
        adopted = replace(
            status,
            client_id=msg.client_id,
            current_secret_uuid=msg.secret_uuid,
            current_secret_created_at=msg.created_at,
            secret_fingerprint=msg.fingerprint,
            adopted_at=now,
            next_rotation_time=_scheduled(spec, now + spec.interval, now)
            if spec.interval
            else None,
            last_rotate_request=status.last_rotate_request,
        )
        text = f"adopted client secret {msg.secret_uuid}; {_schedule_text(adopted, spec)}"
        # The adopted value is verified: copy it now, not at the next pass hours later.
        copy = _known_good_action(spec, adopted, msg.fingerprint)
        return Plan(
            _ready(adopted, Reason.ADOPTED, text, now),
            action=copy,
            events=(m.Event(False, Reason.ADOPTED, text),),
            requeue_after=None if copy else _until(adopted.next_rotation_time, now),
        )
    if isinstance(msg, m.Tick):
        # A rotate request made before adoption is satisfied by adoption, not replayed after it.
        status = replace(status, last_rotate_request=msg.rotate_request)
    return Plan(status, action=m.Adopt())


def _idle(spec: Spec, status: Status, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.DriftAdopted):
        return _drift_adopted(spec, status, msg, now)
    if isinstance(msg, m.DriftRefused):
        return _restore(spec, status, msg, now)
    if isinstance(msg, m.KnownGoodSaved | m.KnownGoodDeleted):
        # Recorded; the next pass (at once) looks at the Secret and any rotate request again.
        fingerprint = msg.fingerprint if isinstance(msg, m.KnownGoodSaved) else None
        status = replace(status, known_good_fingerprint=fingerprint)
        return Plan(status, requeue_after=timedelta(0))
    if not isinstance(msg, m.Tick):
        return Plan(status, requeue_after=_until(status.next_rotation_time, now))
    if msg.pending_secret_present:
        # Left behind by a crash after the rotation ended: its value is in no secret Adobe holds.
        return Plan(status, action=m.DeletePending())
    if msg.app_fingerprint is not None:
        if status.secret_fingerprint is None:  # adopted before fingerprints: record it
            status = replace(status, secret_fingerprint=msg.app_fingerprint)
        elif not same_hmac(msg.app_fingerprint, status.secret_fingerprint):
            known_good = status.known_good_fingerprint
            return Plan(status, action=m.InspectDrift(msg.new_rotation_id, known_good))
    copy_action = _known_good_action(spec, status, msg.app_fingerprint)
    if copy_action is not None:
        return Plan(status, action=copy_action)
    status = _reschedule(spec, status, now)
    trigger = _trigger(status, msg, now)
    if trigger is None:
        if (
            status.phase in (Phase.PENDING, Phase.STALLED)
            or find(status.conditions, ConditionType.READY) is None
        ):
            status = _ready(status, Reason.UP_TO_DATE, _schedule_text(status, spec), now)
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
        action=m.Preflight(),
        events=(m.Event(trigger is Trigger.EMERGENCY, Reason.ROTATION_STARTED, text),),
    )


def _drift_adopted(spec: Spec, status: Status, msg: m.DriftAdopted, now: datetime) -> Plan:
    """Someone put another working client secret of this credential into the Secret: use it."""
    text = (
        f"Secret {spec.secret_name} was changed outside the operator; Adobe accepts its client "
        f"secret {msg.secret_uuid}, which is now the current one (was {status.current_secret_uuid})"
    )
    status = replace(
        status,
        current_secret_uuid=msg.secret_uuid,
        current_secret_created_at=msg.created_at,
        secret_fingerprint=msg.fingerprint,
    )
    copy = _known_good_action(spec, status, msg.fingerprint)
    return Plan(
        _ready(status, Reason.SECRET_CHANGED, text, now),
        action=copy,
        events=(m.Event(False, Reason.SECRET_CHANGED, text),),
        requeue_after=None if copy else _until(status.next_rotation_time, now),
    )


def _known_good_action(spec: Spec, status: Status, app_fingerprint: str | None) -> m.Action | None:
    """Keep the known-good copy equal to the verified value the Secret holds (onDrift: Rotate),
    and keep none at all with onDrift: Report."""
    if spec.on_drift is OnDrift.REPORT:
        return m.DeleteKnownGood() if status.known_good_fingerprint is not None else None
    verified = status.secret_fingerprint
    if (
        verified is None
        or not same_hmac(app_fingerprint, verified)
        or same_hmac(status.known_good_fingerprint, verified)
        or status.current_secret_uuid is None
    ):
        return None
    return m.SaveKnownGood(verified, status.current_secret_uuid)


def _restore(spec: Spec, status: Status, msg: m.DriftRefused, now: datetime) -> Plan:
    """The Secret holds a refused value: rotate from the known-good copy to a new working secret.

    A failed restore is not tried again within FAILED_ROTATION_RETRY: each attempt may add a secret.
    """
    last = status.history[0] if status.history else None
    refused = (
        f"Secret {spec.secret_name} was changed outside the operator and IMS refuses the client "
        "id and secret it now holds"
    )
    if last is not None and last.trigger is Trigger.DRIFT and not last.succeeded:
        retry_at = last.finished_at + FAILED_ROTATION_RETRY
        if now < retry_at:
            text = (
                f"{refused}; the restoring rotation {last.id} failed ({last.message}); the next "
                f"attempt is at {retry_at.isoformat(timespec='seconds')}, or put a working "
                "client secret of this credential into the Secret"
            )
            return _stall(status, Reason.SECRET_DRIFTED, text, now, retry_at - now)
    rotation = Rotation(
        id=msg.rotation_id,
        step=Step.PREPARE,
        trigger=Trigger.DRIFT,
        started_at=now,
        old_secret_uuid=status.current_secret_uuid or "",
        from_known_good=True,
    )
    text = (
        f"{refused}; rotation {rotation.id} started from the known-good copy of "
        f"{rotation.old_secret_uuid} to put a new working client secret into it "
        "(spec.rotation.onDrift: Rotate)"
    )
    status = replace(status, rotation=rotation)
    return Plan(
        _progress(status, Reason.SECRET_DRIFTED, text, now),
        action=m.Preflight(),
        events=(m.Event(True, Reason.SECRET_DRIFTED, text),),
    )


def _reschedule(spec: Spec, status: Status, now: datetime) -> Status:
    """Keep nextRotationTime in step with the interval, which the user may have changed."""
    if spec.interval is None:
        return replace(status, next_rotation_time=None)
    base = status.last_rotation_time or status.adopted_at or now
    due = base + spec.interval
    if status.consecutive_failures and status.next_rotation_time:
        due = status.next_rotation_time  # a failed rotation set its own retry time
    return replace(status, next_rotation_time=_scheduled(spec, due, now))


def _scheduled(spec: Spec, due: datetime, now: datetime) -> datetime:
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


def _trigger(status: Status, tick: m.Tick, now: datetime) -> Trigger | None:
    if tick.rotate_request and tick.rotate_request != status.last_rotate_request:
        return Trigger.EMERGENCY if tick.emergency else Trigger.ON_DEMAND
    if status.next_rotation_time is not None and now >= status.next_rotation_time:
        return Trigger.SCHEDULED
    return None


# -- the rotation steps ---------------------------------------------------------------------------
def _rotating(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    events: tuple[m.Event, ...] = ()
    if isinstance(msg, m.Tick):
        status, events = _absorb_request(status, rot, msg)
        rot = status.rotation or rot
    plan = _STEP_HANDLERS[rot.step](spec, status, rot, msg, now)
    return replace(plan, events=events + plan.events)


def _absorb_request(
    status: Status, rot: Rotation, tick: m.Tick
) -> tuple[Status, tuple[m.Event, ...]]:
    """A new rotate request during a rotation: upgrade to emergency, or fold it in.

    It also grants a stalled rotation a fresh retry budget: the person asked to try again.
    """
    if not tick.rotate_request or tick.rotate_request == status.last_rotate_request:
        return status, ()
    status = replace(status, last_rotate_request=tick.rotate_request)
    if status.phase is Phase.STALLED:
        rot = replace(rot, add_attempts=0, delete_attempts=0, reverts=0)
    if tick.emergency and not rot.emergency:
        rot = replace(rot, trigger=Trigger.EMERGENCY)
        text = f"rotation {rot.id} upgraded to an emergency: the old secret goes after the rollout"
        return replace(status, rotation=rot), (m.Event(True, Reason.ROTATION_STARTED, text),)
    text = f"rotation {rot.id} is already in progress; the new request is folded into it"
    event = m.Event(False, Reason.ROTATION_REQUEST_IGNORED, text)
    return replace(status, rotation=rot), (event,)


def _prepare(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretDeleted):
        text = f"deleted client secret {msg.secret_uuid}, left by an unfinished add of {rot.id}"
        return Plan(
            status,
            action=m.ListSecrets(m.Using.APP_SECRET),
            events=(m.Event(True, Reason.ORPHAN_DELETED, text),),
        )
    if isinstance(msg, m.PreflightPassed):
        return Plan(status, action=m.ListSecrets(m.Using.APP_SECRET))
    if not isinstance(msg, m.SecretsListed):
        return Plan(status, action=m.Preflight())
    events: tuple[m.Event, ...] = ()
    if all(s.uuid != rot.old_secret_uuid for s in msg.secrets):
        events = (
            m.Event(
                True,
                Reason.CURRENT_SECRET_GONE,
                f"the current client secret {rot.old_secret_uuid} no longer exists in "
                "Adobe; the rotation goes on to restore a working secret",
            ),
        )
    plan = _settle_strays(spec, status, rot, msg.secrets, now)
    if plan is None:
        plan = _add_now(status, rot, msg.secrets, now)
    return replace(plan, events=events + plan.events)


def _settle_strays(
    spec: Spec, status: Status, rot: Rotation, secrets: tuple[SecretMeta, ...], now: datetime
) -> Plan | None:
    """Delete a secret proven to be ours whose value is lost; stall on a foreign one at the limit.

    None when nothing stands in the way of an add.
    """
    others = [s for s in secrets if s.uuid != rot.old_secret_uuid]
    ours = [s for s in others if proven_ours(rot, s)]
    if ours:
        return Plan(
            status,
            action=m.DeleteSecret(ours[0].uuid, m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW),
        )
    if len(secrets) < 2:
        return None
    foreign = "; ".join(_described(s) for s in others)
    text = (
        f"rotation {rot.id}: the credential already holds 2 client secrets and this operator did "
        f"not create {foreign}; it never deletes a secret it cannot prove it created: delete the "
        "unused one in the Adobe Developer Console to continue"
    )
    return _stall(status, Reason.SECRET_LIMIT_REACHED, text, now, spec.check_interval)


def _described(secret: SecretMeta) -> str:
    if secret.created_at is None:
        return f"{secret.uuid} (creation time unknown)"
    return f"{secret.uuid} (created {secret.created_at.isoformat(timespec='seconds')})"


def _add_now(status: Status, rot: Rotation, secrets: tuple[SecretMeta, ...], now: datetime) -> Plan:
    """Record what Adobe holds right before the add: the evidence that attributes the result."""
    rot = replace(
        rot,
        step=Step.ADD,
        pre_add_uuids=tuple(sorted(s.uuid for s in secrets)),
        add_attempted_at=now,
    )
    status = replace(status, rotation=rot)
    return Plan(
        _progress(status, Reason.ROTATING, f"rotation {rot.id}: adding a new secret", now),
        action=m.AddSecret(rot.id),
    )


def proven_ours(rot: Rotation, secret: SecretMeta) -> bool:
    """Created by this rotation's latest add: absent from the list taken right before it, and
    created no earlier than the add was sent (less the clock skew)."""
    return (
        rot.add_attempted_at is not None
        and secret.uuid != rot.old_secret_uuid
        and secret.uuid not in rot.pre_add_uuids
        and secret.created_at is not None
        and secret.created_at >= rot.add_attempted_at - CLOCK_SKEW
    )


def _add(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretAdded):
        if msg.secret_uuid is None or msg.created_at is None:
            return _learn_added(status, rot, msg.secret_uuid, now)
        return _added(status, rot, msg.secret_uuid, msg.created_at, now)
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
    listed = next((s for s in msg.secrets if s.uuid == msg.pending_uuid), None)
    if listed is not None:
        return _added(status, rot, listed.uuid, listed.created_at, now)
    if msg.unnamed_value_held:
        return _name_added(spec, status, rot, msg.secrets, now)
    plan = _settle_strays(spec, status, rot, msg.secrets, now)
    return plan if plan is not None else _add_now(status, rot, msg.secrets, now)


def _learn_added(status: Status, rot: Rotation, uuid: str | None, now: datetime) -> Plan:
    """Adobe's add answer (as its OpenAPI description documents it) lacked the uuid or the
    creation time: the value is safe in the pending Secret; the next list tells the rest."""
    missing = "uuid and creation time" if uuid is None else "creation time"
    text = (
        f"rotation {rot.id}: added a client secret; Adobe's answer did not name its {missing}, "
        "listing the secrets to learn it (the new value is kept in the pending Secret)"
    )
    return Plan(_progress(status, Reason.ROTATING, text, now), action=m.InspectPending(rot.id))


def _name_added(
    spec: Spec, status: Status, rot: Rotation, secrets: tuple[SecretMeta, ...], now: datetime
) -> Plan:
    """The pending Secret holds the value of an add whose answer named no uuid: the new secret
    is the one secret proven created by that add. Anything else deletes nothing."""
    new = [s for s in secrets if proven_ours(rot, s)]
    if len(new) == 1:
        return _added(status, rot, new[0].uuid, new[0].created_at, now)
    unexplained = [s for s in secrets if s.uuid != rot.old_secret_uuid and s not in new]
    if len(new) > 1:
        what = f"{len(new)} client secrets were created since it was sent"
    elif unexplained:
        what = "no client secret is proven created by it"
    else:
        what = "Adobe does not list a new client secret yet"
    listed = "; ".join(_described(s) for s in secrets) or "none"
    text = (
        f"rotation {rot.id}: the add answer named no uuid and {what} (listed: {listed}); "
        "the new value is kept in the pending Secret and nothing is deleted: if another tool "
        "added a secret to this credential, delete it in the Adobe Developer Console to continue"
    )
    return _stall(status, Reason.NEW_SECRET_UNIDENTIFIED, text, now, spec.check_interval)


def _added(
    status: Status, rot: Rotation, uuid: str, created_at: datetime | None, now: datetime
) -> Plan:
    rot = replace(rot, step=Step.VERIFY, new_secret_uuid=uuid, new_secret_created_at=created_at)
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
            action=m.WriteAppSecret(rot.restart_id, rot.new_secret_uuid or ""),
            events=(m.Event(False, Reason.VERIFIED, text),),
        )
    if isinstance(msg, m.VerifyRejected):
        text = (
            f"rotation {rot.id}: the new secret {rot.new_secret_uuid} was refused by IMS "
            f"({msg.message}); deleting it and keeping the old one"
        )
        return Plan(
            status,
            action=m.DeleteSecret(
                rot.new_secret_uuid or "", m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW
            ),
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
        status = replace(status, secret_fingerprint=msg.fingerprint or status.secret_fingerprint)
        text = (
            f"rotation {rot.id}: Secret {spec.secret_name} now holds {rot.new_secret_uuid}; "
            "restarting its consumers"
        )
        return Plan(
            _progress(replace(status, rotation=rot), Reason.SECRET_UPDATED, text, now),
            action=m.RestartTargets(rot.restart_id),
            events=(m.Event(False, Reason.SECRET_UPDATED, text),),
        )
    return Plan(status, action=m.WriteAppSecret(rot.restart_id, rot.new_secret_uuid or ""))


def _rollout(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.TargetsRestarted):
        return _on_restarted(spec, status, rot, msg, now)
    if isinstance(msg, m.RolloutsChecked):
        return _on_rollouts_checked(spec, status, rot, msg, now)
    return Plan(status, action=m.RestartTargets(rot.restart_id))


def _on_restarted(
    spec: Spec, status: Status, rot: Rotation, msg: m.TargetsRestarted, now: datetime
) -> Plan:
    events = tuple(
        m.Event(False, Reason.RESTARTED, f"restarted {target} for rotation {rot.restart_id}")
        for target, result in msg.results
        if result is m.RestartResult.RESTARTED
    )
    progress = tuple(
        TargetProgress(
            target, restarted=result in (m.RestartResult.RESTARTED, m.RestartResult.ALREADY)
        )
        for target, result in msg.results
    )
    jobs = _old_value_jobs(rot, msg.jobs)
    status = replace(status, rotation=replace(rot, targets=progress, jobs=jobs))
    events += _job_events(rot, jobs)
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
    return Plan(status, action=m.CheckRollouts(rot.restart_id, restarted), events=events)


def _old_value_jobs(rot: Rotation, jobs: tuple[JobConsumer, ...]) -> tuple[JobConsumer, ...]:
    """CronJobs, and the Jobs that started before the Secret changed: those run the old value."""
    changed = rot.rollout_started_at
    return tuple(
        j for j in jobs if j.running_since is None or changed is None or j.running_since < changed
    )


def _job_events(rot: Rotation, jobs: tuple[JobConsumer, ...]) -> tuple[m.Event, ...]:
    """Say once per restart which consumers are left alone, and which still run the old value."""
    if not jobs:
        return ()
    listed = ", ".join(str(j) for j in jobs)
    events = [
        m.Event(
            False,
            Reason.JOBS_NOT_RESTARTED,
            f"rotation {rot.id}: {listed} read the Secret and are not restarted; each picks up "
            "the new value at its next run",
        )
    ]
    events += [
        m.Event(False, Reason.JOB_STILL_RUNNING, f"rotation {rot.id}: {j} is {j.note}")
        for j in jobs
        if j.running_since is not None
    ]
    return tuple(events)


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
        delete_after=now + spec.drain_period,
        step=Step.DELETE_OLD if rot.emergency else Step.DRAIN,
        next_check_at=now,
    )
    names = ", ".join(str(s.target) for s in msg.states) or "no workloads to restart"
    text = f"rotation {rot.id}: rollout complete ({names})"
    status = _progress(replace(status, rotation=rot), Reason.ROLLOUT_COMPLETE, text, now)
    action: m.Action = m.ListSecrets(m.Using.PENDING_SECRET)
    if rot.emergency:
        action = _delete_old_action(rot)
    return Plan(status, action=action, events=(m.Event(False, Reason.ROLLOUT_COMPLETE, text),))


def _drain(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.AppSecretReverted):
        return _reverted(spec, status, rot, msg, now)
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
    rot = replace(
        rot,
        old_last_used_at=old.last_used_at,
        delete_after=quiet_since + spec.drain_period,
        next_check_at=now + spec.check_interval,
    )
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
        f"unused for {format_duration(spec.drain_period)} ({format_duration(wait)} to go: "
        f"deleted after {_iso(rot.delete_after)} unless it is used again)"
    )
    return Plan(
        _progress(status, Reason.DRAINING, text, now),
        events=events,
        requeue_after=min(spec.check_interval, max(wait, timedelta(0))),
    )


def _iso(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "unknown"


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
        action=_delete_old_action(rot),
        events=events,
    )


def _delete_old_action(rot: Rotation) -> m.DeleteSecret:
    """The executor deletes the old secret only after re-reading the Secret holds the new one."""
    return m.DeleteSecret(rot.old_secret_uuid, m.Using.PENDING_SECRET, m.DeleteGuard.APP_HOLDS_NEW)


def _delete_old(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretDeleted) and msg.secret_uuid == rot.old_secret_uuid:
        return _finish_succeeded(spec, status, rot, now)
    if isinstance(msg, m.AppSecretReverted):
        return _reverted(spec, status, rot, msg, now)
    return Plan(status, action=_delete_old_action(rot))


def _reverted(
    spec: Spec, status: Status, rot: Rotation, msg: m.AppSecretReverted, now: datetime
) -> Plan:
    """The Secret was changed behind our back: keep the old secret, write the new one back, roll."""
    if rot.reverts >= MAX_REVERTS:
        text = (
            f"rotation {rot.id}: Secret {spec.secret_name} was changed back {rot.reverts + 1} "
            f"times ({msg.detail}); stop the tool or person that rewrites it, then request a "
            f"rotation again; both secrets are kept"
        )
        return _stall(status, Reason.SECRET_REVERTED, text, now, spec.check_interval)
    rot = replace(
        rot,
        step=Step.UPDATE_SECRET,
        reverts=rot.reverts + 1,
        rollout_started_at=None,
        rollout_completed_at=None,
        next_check_at=None,
        still_in_use_reported=False,
        targets=(),
    )
    text = (
        f"rotation {rot.id}: Secret {spec.secret_name} no longer holds the new client secret "
        f"{rot.new_secret_uuid} ({msg.detail}); the old secret {rot.old_secret_uuid} is kept, the "
        "new value is written back and the consumers restarted again"
    )
    return Plan(
        _progress(replace(status, rotation=rot), Reason.SECRET_REVERTED, text, now),
        action=m.WriteAppSecret(rot.restart_id, rot.new_secret_uuid or ""),
        events=(m.Event(True, Reason.SECRET_REVERTED, text),),
    )


# Steps before the Secret receives the new value: a restoring rotation leaves it refused until then.
_BEFORE_WRITE = (Step.PREPARE, Step.ADD, Step.VERIFY, Step.UPDATE_SECRET)

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
        next_rotation_time=_scheduled(spec, now + spec.interval, now) if spec.interval else None,
        consecutive_failures=0,
        history=(entry, *status.history)[:HISTORY_LIMIT],
    )
    return Plan(
        _ready(status, Reason.ROTATED, f"{text}; {_schedule_text(status, spec)}", now),
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
    retry = (
        _scheduled(spec, now + min(spec.interval, FAILED_ROTATION_RETRY), now)
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


# -- failures, backoff and recovery -------------------------------------------------------------
def _on_failure(spec: Spec, status: Status, msg: m.ActionFailed, now: datetime) -> Plan:
    reason = Reason(msg.kind.value)
    status = _refund(status, msg)
    if msg.kind is m.ErrorKind.SECRET_LIMIT and status.rotation is not None:
        # Someone else added a secret between our list and our add: prepare again.
        rot = replace(status.rotation, step=Step.PREPARE)
        return Plan(replace(status, rotation=rot), action=m.ListSecrets(m.Using.APP_SECRET))
    retry = next_retry(status.retry, msg, now)
    status = replace(status, retry=retry)
    status = _set(status, ConditionType.DEGRADED, True, reason, retry_text(retry), now)
    delay = retry.next_retry_at - now
    if msg.kind.transient:
        events: tuple[m.Event, ...] = ()
        if retry.attempts == 1:
            events = (m.Event(True, reason, retry_text(retry)),)
        if status.rotation is not None:
            text = f"rotation {status.rotation.id}: {retry_text(retry)}"
            status = _set(status, ConditionType.ROTATING, True, reason, text, now)
        return Plan(status, events=events, requeue_after=delay)
    if not status.adopted:
        status = replace(status, phase=Phase.PENDING)
        previous = find(status.conditions, ConditionType.READY)
        status = _set(status, ConditionType.READY, False, reason, msg.message, now)
        return Plan(status, events=_warn_once(previous, reason, msg.message), requeue_after=delay)
    return _stall(status, reason, msg.message, now, delay)


def next_retry(previous: Retry | None, msg: m.ActionFailed, now: datetime) -> Retry:
    """Count the failure and schedule the next attempt (rotation.backoff): the time written to
    status, which no Tick acts before (_backing_off)."""
    attempts = (previous.attempts if previous else 0) + 1
    delay = retry_delay(attempts, msg.jitter, msg.retry_after)
    return Retry(
        action=msg.action,
        reason=Reason(msg.kind.value),
        message=msg.message,
        attempts=attempts,
        since=previous.since if previous else now,
        next_retry_at=now + delay,
    )


def _backing_off(status: Status, tick: m.Tick, now: datetime) -> bool:
    """A failed action's next attempt is still ahead, and nobody asked for anything new: a rotate
    request or a spec change (it may fix the cause) is acted on at once."""
    retry = status.retry
    if retry is None or now >= retry.next_retry_at:
        return False
    requested = (
        tick.rotate_request is not None and tick.rotate_request != status.last_rotate_request
    )
    respecified = tick.generation is not None and tick.generation != status.observed_generation
    return not (requested or respecified)


def retry_text(retry: Retry) -> str:
    call = f"{retry.action} " if retry.action else ""
    return (
        f"{call}failed {retry.attempts} time(s) since {retry.since.isoformat(timespec='seconds')}"
        f" ({retry.message}); next attempt at {retry.next_retry_at.isoformat(timespec='seconds')}"
    )


def _refund(status: Status, msg: m.ActionFailed) -> Status:
    """A mutating call refused as throttled or transient changed nothing: backoff bounds those,
    not the budget (a call that may have taken effect stays counted)."""
    rot, flight = status.rotation, status.in_flight
    if (
        rot is None
        or flight is None
        or msg.kind not in (m.ErrorKind.THROTTLED, m.ErrorKind.TRANSIENT)
    ):
        return status
    if flight.action == m.AddSecret.__name__:
        rot = replace(rot, add_attempts=max(0, rot.add_attempts - 1))
    elif flight.action == m.DeleteSecret.__name__:
        rot = replace(rot, delete_attempts=max(0, rot.delete_attempts - 1))
    return replace(status, rotation=rot)


def _recovered(status: Status, msg: m.Message, now: datetime) -> Plan | None:
    """An action succeeded after failures: clear the retry record, say so once."""
    if status.retry is None or isinstance(msg, m.ActionFailed | m.Tick):
        return None
    retry = status.retry
    answered = m.ANSWERS.get(type(msg))
    if retry.action and (answered is None or answered.__name__ != retry.action):
        return None  # another call worked; the failing one has not been tried again yet
    text = (
        f"{retry.action or 'the operator'} works again after {retry.attempts} failed attempt(s) "
        f"(last: {retry.message})"
    )
    status = replace(status, retry=None)
    status = _set(status, ConditionType.DEGRADED, False, Reason.RECOVERED, text, now)
    return Plan(status, events=(m.Event(False, Reason.RECOVERED, text),))


# -- fencing --------------------------------------------------------------------------------------
def _wait_for_other_holder(status: Status, holder: str, now: datetime) -> Plan | None:
    """Another operator recorded an action that may still be running: let it finish first."""
    flight = status.in_flight
    if flight is None or flight.holder == holder:
        return None
    expires = flight.started_at + ACTION_LEASE
    remaining = expires - now
    if remaining <= timedelta(0):
        return None  # abandoned (its operator died): take over from the recorded step
    text = (
        f"waiting for operator {flight.holder} to finish {flight.action} (action {flight.seq}, "
        f"started {flight.started_at.isoformat(timespec='seconds')}); taken over at "
        f"{expires.isoformat(timespec='seconds')} if it never reports back"
    )
    # The text is the same on every look, so it is written once, not once per look.
    if status.rotation is not None:
        status = _set(status, ConditionType.ROTATING, True, Reason.ACTION_IN_FLIGHT, text, now)
    return Plan(status, requeue_after=min(remaining, ROLLOUT_POLL * 5))


def _fence(spec: Spec, plan: Plan, holder: str, now: datetime) -> Plan:
    """Record a mutating action, and count it in the budget, in the status written before it."""
    status = plan.status
    if plan.action is None or not isinstance(plan.action, m.MUTATING):
        # Whatever was in flight has reported back: nothing of ours runs any more.
        return replace(plan, status=replace(status, in_flight=None))
    rot = status.rotation
    if rot is not None and isinstance(plan.action, m.AddSecret | m.DeleteSecret):
        spent = _over_budget(rot, plan.action)
        if spent is not None:
            stalled = _stall(
                replace(status, in_flight=None),
                Reason.RETRY_BUDGET_EXHAUSTED,
                spent,
                now,
                spec.check_interval,
            )
            return replace(stalled, events=plan.events + stalled.events, requeue_after=None)
        if isinstance(plan.action, m.AddSecret):
            rot = replace(rot, add_attempts=rot.add_attempts + 1)
        else:
            rot = replace(rot, delete_attempts=rot.delete_attempts + 1)
    seq = status.action_seq + 1
    flight = InFlight(seq, type(plan.action).__name__, holder, now)
    return replace(plan, status=replace(status, rotation=rot, action_seq=seq, in_flight=flight))


def _over_budget(rot: Rotation, action: m.AddSecret | m.DeleteSecret) -> str | None:
    if isinstance(action, m.AddSecret) and rot.add_attempts >= MAX_ADDS:
        what = f"{rot.add_attempts} adds"
    elif isinstance(action, m.DeleteSecret) and rot.delete_attempts >= MAX_DELETES:
        what = f"{rot.delete_attempts} deletes"
    else:
        return None
    return (
        f"rotation {rot.id} has used its budget of {what} in Adobe and stopped instead of "
        "trying again; see the events for what failed, fix it, then request a rotation again "
        f"(kubectl annotate ... {ROTATE_ANNOTATION}=...) for a fresh budget"
    )


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
    status = _set(status, ConditionType.STALLED, False, reason, "nothing is blocked", now)
    if status.retry is not None or find(status.conditions, ConditionType.DEGRADED) is None:
        # Ready again: whatever was failing no longer stands in the way.
        status = replace(status, retry=None)
        status = _set(
            status, ConditionType.DEGRADED, False, Reason.NO_FAILURES, "no failing calls", now
        )
    return status


def _progress(status: Status, reason: Reason, text: str, now: datetime) -> Status:
    status = replace(status, phase=Phase.ROTATING)
    rot = status.rotation
    if rot is not None and rot.from_known_good and rot.step in _BEFORE_WRITE:
        status = _set(
            status,
            ConditionType.READY,
            False,
            Reason.SECRET_DRIFTED,
            f"the Secret holds a client secret IMS refuses; rotation {rot.id} is replacing it "
            "with a new working one",
            now,
        )
    else:
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


def _schedule_text(status: Status, spec: Spec) -> str:
    if status.next_rotation_time is None:
        return "rotation on demand only"
    text = f"next rotation at {status.next_rotation_time.isoformat(timespec='seconds')}"
    return f"{text} (window {spec.window})" if spec.window else text


def _until(when: datetime | None, now: datetime) -> timedelta | None:
    if when is None:
        return None
    return max(when - now, timedelta(0))
