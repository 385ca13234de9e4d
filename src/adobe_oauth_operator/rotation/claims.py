"""One owner per Secret and per Adobe credential: the claim a resource records before it acts.

Before adoption, and whenever the spec names another credential or Secret while no rotation
runs, a resource records an unconfirmed claim in its status (that write is fenced like every
other), then asks the executor to check it (CheckClaims): the app Secret is annotated with its
owner, no Secret name it uses is one another resource derives, and once its own claim is visible
among all resources, no other resource claims the same orgId and credentialId. Only then is the
claim confirmed and the resource adopted or rotated. Two resources that claim at the same time
both see each other (each checks after its own write shows, in the order the API server wrote
them), so at most one confirms: seeing another unconfirmed claim withdraws ours and tries again
a little later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType, find, set_condition
from adobe_oauth_operator.rotation.model import Claim, Phase, Spec, Status
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import (
    CONTENDED_RETRY_BASE,
    CONTENDED_RETRY_SPREAD,
    NOT_VISIBLE_POLL,
)

CLAIM_REASONS = (
    Reason.SECRET_CLAIMED,
    Reason.CREDENTIAL_CLAIMED,
    Reason.SECRET_NAME_RESERVED,
)


@dataclass(frozen=True)
class ClaimStep:
    """What the claim needs before anything else runs; `stall` (reason, text) when refused."""

    status: Status
    action: m.Action | None = None
    requeue_after: timedelta | None = None
    stall: tuple[Reason, str] | None = None


def wanted(spec: Spec, now: datetime) -> Claim:
    """The claim the spec asks for, unconfirmed; `since` as status stores it (milliseconds), so
    the claim read back from the watch is equal to the one written."""
    token = spec.access_token.secret_name if spec.access_token is not None else None
    since = now.replace(microsecond=now.microsecond // 1000 * 1000)
    return Claim(spec.org_id, spec.credential_id, spec.secret_name, token, since=since)


def holds(spec: Spec, status: Status) -> bool:
    """The resource holds what its spec names: it may adopt and rotate."""
    claim = status.claim
    return claim is not None and claim.confirmed and claim.same_names(wanted(spec, claim.since))


def claim_step(spec: Spec, status: Status, msg: m.Message, now: datetime) -> ClaimStep | None:
    """The next step of claiming; None when the claim is held, or a rotation runs (it keeps the
    credential it started on, see rotation/pinned.py)."""
    if status.rotation is not None:
        return None
    if isinstance(msg, m.ClaimsChecked):
        return _answered(spec, status, msg, now)
    if holds(spec, status):
        return None
    claim = status.claim
    if claim is not None and not claim.confirmed and claim.same_names(wanted(spec, now)):
        return ClaimStep(status, action=m.CheckClaims(claim.since))
    intent = wanted(spec, now)
    return ClaimStep(replace(status, claim=intent), action=m.CheckClaims(intent.since))


def _answered(spec: Spec, status: Status, msg: m.ClaimsChecked, now: datetime) -> ClaimStep:
    claim = status.claim
    if claim is None or claim.confirmed or not claim.same_names(wanted(spec, now)):
        return ClaimStep(status, requeue_after=timedelta(0))  # the spec changed: claim anew
    if msg.outcome is m.ClaimOutcome.NOT_VISIBLE:
        return ClaimStep(status, requeue_after=NOT_VISIBLE_POLL)
    if msg.outcome is m.ClaimOutcome.CONTENDED:
        jitter = min(max(msg.jitter, 0.0), 1.0)
        delay = CONTENDED_RETRY_BASE + CONTENDED_RETRY_SPREAD * jitter
        return ClaimStep(replace(status, claim=None), requeue_after=delay)
    if msg.outcome is m.ClaimOutcome.REFUSED:
        reason = msg.reason or Reason.CREDENTIAL_CLAIMED
        return ClaimStep(replace(status, claim=None), stall=(reason, msg.message))
    return ClaimStep(_confirmed(status, claim, now), requeue_after=timedelta(0))


def _confirmed(status: Status, claim: Claim, now: datetime) -> Status:
    """Hold the claim; a stall that waited for it is over."""
    status = replace(status, claim=replace(claim, confirmed=True))
    stalled = find(status.conditions, ConditionType.STALLED)
    if stalled is None or not stalled.status or stalled.reason not in CLAIM_REASONS:
        return status
    text = (
        f"holds Secret {claim.secret_name} and orgId {claim.org_id}, credentialId "
        f"{claim.credential_id} alone"
    )
    conditions = set_condition(
        status.conditions, ConditionType.STALLED, False, Reason.CLAIMED, text, now
    )
    if not status.adopted:
        conditions = set_condition(
            conditions, ConditionType.READY, False, Reason.CLAIMED, f"{text}; adopting", now
        )
        return replace(status, conditions=conditions, phase=Phase.PENDING)
    return replace(status, conditions=conditions)
