"""The rotation state machine: (spec, status, message, now, holder) -> plan.

A plan is the new status, at most one action and the events to emit. The caller persists the status
BEFORE running the action, so every side effect is preceded by a durable record of the step it
belongs to; a crash at any point is resumed by a Tick, which re-derives the action from status.
A mutating action is also recorded in the status itself (sequence number, holder, start), so the
write that precedes it changes the resource: two writers deciding on the same state cannot both
succeed, and a second operator waits for a recorded action instead of racing it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adobe_oauth_operator.rotation import claims, pinned, vended_tokens
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType
from adobe_oauth_operator.rotation.machine.adding import proven_ours
from adobe_oauth_operator.rotation.machine.endings import invalid_spec
from adobe_oauth_operator.rotation.machine.failures import (
    is_backing_off,
    next_retry,
    on_failure,
    recovery,
)
from adobe_oauth_operator.rotation.machine.fencing import (
    MAX_ADDS_PER_ROTATION,
    MAX_DELETES_PER_ROTATION,
    MAX_REVERTS_PER_ROTATION,
    fence,
    wait_for_other_holder,
)
from adobe_oauth_operator.rotation.machine.idle import decide_adoption, decide_idle
from adobe_oauth_operator.rotation.machine.plan import Plan, set_cond, stall, suspended
from adobe_oauth_operator.rotation.machine.steps import decide_rotating
from adobe_oauth_operator.rotation.model import SecretMeta, Spec, Status
from adobe_oauth_operator.rotation.reasons import Reason

# What other packages use; the modules of this package are its internals.
__all__ = [
    "MAX_ADDS_PER_ROTATION",
    "MAX_DELETES_PER_ROTATION",
    "MAX_REVERTS_PER_ROTATION",
    "Plan",
    "decide",
    "invalid_spec",
    "next_retry",
    "proven_ours",
]


def decide(spec: Spec, status: Status, msg: m.Message, now: datetime, holder: str = "") -> Plan:
    """Return what to persist and do next, given the latest message."""
    if isinstance(msg, m.Tick):
        waiting = wait_for_other_holder(status, holder, now)
        if waiting is not None:
            return waiting
    recovered = recovery(status, msg, now)
    plan = _decide(spec, recovered.status if recovered else status, msg, now)
    plan = _spend_emergency(status, msg, plan)
    if recovered is not None:
        plan = replace(plan, events=recovered.events + plan.events)
    plan = _pin(spec, _vend_first(spec, plan, now))
    plan = fence(spec, plan, holder, now)
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
    backing_off = isinstance(msg, m.Tick) and is_backing_off(status, msg, now)
    if isinstance(msg, m.ActionFailed):
        if msg.action == m.VendToken.__name__:
            status, warnings, delay = vended_tokens.failed(spec, status, msg, now)
            return Plan(status, events=warnings, requeue_after=delay)
        return on_failure(spec, status, msg, now)
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
            plan = stall(claim.status, *claim.stall, now, spec.check_interval)
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
        return Plan(suspended(status, now))
    changed = pinned.changed_text(spec, status)
    if changed is not None:
        plan = stall(status, Reason.SPEC_CHANGED_MID_ROTATION, changed, now, spec.check_interval)
    elif backing_off and status.retry is not None:
        # Woken before the next attempt status shows (a resync, a restart, a conflict): wait.
        plan = Plan(status, requeue_after=status.retry.next_retry_at - now)
    elif not status.adopted:
        plan = decide_adoption(spec, status, msg, now)
    elif status.rotation is None:
        plan = decide_idle(spec, status, msg, now)
    else:
        plan = decide_rotating(spec, status, status.rotation, msg, now)
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
    status = set_cond(
        plan.status, ConditionType.ROTATING, True, Reason.WAITING_FOR_TOKEN, text, now
    )
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
