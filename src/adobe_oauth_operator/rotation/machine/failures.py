"""Failed actions: the retry record and its backoff, refunds, and recovery."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.backoff import retry_delay
from adobe_oauth_operator.rotation.conditions import ConditionType, find
from adobe_oauth_operator.rotation.machine.plan import Plan, set_cond, stall, warn_once
from adobe_oauth_operator.rotation.model import Phase, Retry, Spec, Status, Step
from adobe_oauth_operator.rotation.reasons import Reason


def on_failure(spec: Spec, status: Status, msg: m.ActionFailed, now: datetime) -> Plan:
    reason = Reason(msg.kind.value)
    status = _refund(status, msg)
    if msg.kind is m.ErrorKind.SECRET_LIMIT and status.rotation is not None:
        # Someone else added a secret between our list and our add: prepare again.
        rot = replace(status.rotation, step=Step.PREPARE)
        return Plan(replace(status, rotation=rot), action=m.ListSecrets(m.Using.APP_SECRET))
    retry = next_retry(status.retry, msg, now)
    status = replace(status, retry=retry)
    status = set_cond(status, ConditionType.DEGRADED, True, reason, retry_text(retry), now)
    delay = retry.next_retry_at - now
    if msg.kind.transient:
        events: tuple[m.Event, ...] = ()
        if retry.attempts == 1:
            events = (m.Event(True, reason, retry_text(retry)),)
        if status.rotation is not None:
            text = f"rotation {status.rotation.id}: {retry_text(retry)}"
            status = set_cond(status, ConditionType.ROTATING, True, reason, text, now)
        return Plan(status, events=events, requeue_after=delay)
    if not status.adopted:
        status = replace(status, phase=Phase.PENDING)
        previous = find(status.conditions, ConditionType.READY)
        status = set_cond(status, ConditionType.READY, False, reason, msg.message, now)
        return Plan(status, events=warn_once(previous, reason, msg.message), requeue_after=delay)
    return stall(status, reason, msg.message, now, delay)


def next_retry(previous: Retry | None, msg: m.ActionFailed, now: datetime) -> Retry:
    """Count the failure and schedule the next attempt (rotation.backoff): the time written to
    status, which no Tick acts before (backing_off)."""
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


def is_backing_off(status: Status, tick: m.Tick, now: datetime) -> bool:
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
    not the rotation call budget (a call that may have taken effect stays counted)."""
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


def recovery(status: Status, msg: m.Message, now: datetime) -> Plan | None:
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
    status = set_cond(status, ConditionType.DEGRADED, False, Reason.RECOVERED, text, now)
    return Plan(status, events=(m.Event(False, Reason.RECOVERED, text),))
