"""Fencing and the rotation call budget: each mutating action is recorded and counted first."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from adobe_oauth_operator.names import ROTATE_ANNOTATION
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType
from adobe_oauth_operator.rotation.machine.plan import Plan, set_cond, stall
from adobe_oauth_operator.rotation.model import InFlight, Rotation, Spec, Status
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import ACTION_LEASE, ROLLOUT_POLL

# The rotation call budget: mutating Adobe calls a rotation may make, harmless even if a logic bug
# loops; counted in status before each call, refreshed by a new rotate request.
MAX_ADDS_PER_ROTATION = 3
# Each lost add may need its orphan deleted, plus the old secret.
MAX_DELETES_PER_ROTATION = MAX_ADDS_PER_ROTATION + 1
# How often the Secret may be found changed back before the rotation stops (not an Adobe call).
MAX_REVERTS_PER_ROTATION = 3


def wait_for_other_holder(status: Status, holder: str, now: datetime) -> Plan | None:
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
        status = set_cond(status, ConditionType.ROTATING, True, Reason.ACTION_IN_FLIGHT, text, now)
    return Plan(status, requeue_after=min(remaining, ROLLOUT_POLL * 5))


def fence(spec: Spec, plan: Plan, holder: str, now: datetime) -> Plan:
    """Record a mutating action, and count it in the rotation call budget, in the status written
    before it."""
    status = plan.status
    if plan.action is None or not isinstance(plan.action, m.MUTATING):
        # Whatever was in flight has reported back: nothing of ours runs any more.
        return replace(plan, status=replace(status, in_flight=None))
    rot = status.rotation
    if rot is not None and isinstance(plan.action, m.AddSecret | m.DeleteSecret):
        spent = _rotation_call_budget_spent(rot, plan.action)
        if spent is not None:
            stalled = stall(
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


def _rotation_call_budget_spent(rot: Rotation, action: m.AddSecret | m.DeleteSecret) -> str | None:
    if isinstance(action, m.AddSecret) and rot.add_attempts >= MAX_ADDS_PER_ROTATION:
        what = f"{rot.add_attempts} adds"
    elif isinstance(action, m.DeleteSecret) and rot.delete_attempts >= MAX_DELETES_PER_ROTATION:
        what = f"{rot.delete_attempts} deletes"
    else:
        return None
    return (
        f"rotation {rot.id} has used its budget of {what} in Adobe and stopped instead of "
        "trying again; see the events for what failed, fix it, then request a rotation again "
        f"(kubectl annotate ... {ROTATE_ANNOTATION}=...) for a fresh budget"
    )
