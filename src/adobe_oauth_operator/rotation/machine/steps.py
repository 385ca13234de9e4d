"""A rotation in flight: the handler of its step, and a rotate request arriving meanwhile."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.machine import adding, rollout
from adobe_oauth_operator.rotation.machine.plan import Plan
from adobe_oauth_operator.rotation.model import Phase, Rotation, Spec, Status, Trigger
from adobe_oauth_operator.rotation.reasons import Reason


def decide_rotating(
    spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime
) -> Plan:
    events: tuple[m.Event, ...] = ()
    if isinstance(msg, m.Tick):
        status, events = _absorb_request(status, rot, msg)
        rot = status.rotation or rot
    plan = _STEPS[rot.step](spec, status, rot, msg, now)
    return replace(plan, events=events + plan.events)


def _absorb_request(
    status: Status, rot: Rotation, tick: m.Tick
) -> tuple[Status, tuple[m.Event, ...]]:
    """A new rotate request during a rotation: upgrade to emergency, or fold it in.

    It also grants a stalled rotation a fresh rotation call budget: the person asked to try again.
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


_STEPS = {**adding.STEPS, **rollout.STEPS}
