"""Vended access tokens (spec.accessToken): when to refresh, with which client secret, and what
status and events say about it. Pure: the state machine calls these, the executor does the I/O.

The schedule: a token granted at `issued` with lifetime L is refreshed `margin` before it expires
(refreshBefore, else 20 % of L, at most half of L), pulled earlier by up to a quarter of the
margin at random so many credentials do not refresh at once. Jitter only ever moves a refresh
earlier, so a vended token is never older than its refresh point.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.backoff import retry_delay
from adobe_oauth_operator.rotation.conditions import ConditionType, set_condition
from adobe_oauth_operator.rotation.model import (
    AccessTokenSpec,
    AccessTokenStatus,
    Spec,
    Status,
    Step,
    TokenFailure,
)
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.sensitive import same_hmac

DEFAULT_REFRESH_FRACTION = 0.2
MAX_MARGIN_FRACTION = 0.5
JITTER_FRACTION = 0.25
# From Verify on, the new client secret is proven to work and the old one is about to go.
_NEW_SECRET_STEPS = (Step.UPDATE_SECRET, Step.ROLLOUT, Step.DRAIN, Step.DELETE_OLD)


def refresh_point(
    issued_at: datetime, expires_at: datetime, refresh_before: timedelta | None, jitter: float
) -> datetime:
    """When a token granted at `issued_at` is replaced; `jitter` in [0, 1) moves it earlier."""
    lifetime = expires_at - issued_at
    if lifetime <= timedelta(0):
        return issued_at
    margin = refresh_before if refresh_before is not None else lifetime * DEFAULT_REFRESH_FRACTION
    margin = min(margin, lifetime * MAX_MARGIN_FRACTION)
    spread = margin * JITTER_FRACTION * min(max(jitter, 0.0), 1.0)
    return expires_at - margin - spread


def vending_source(status: Status) -> tuple[m.Using, str] | None:
    """The client secret tokens are made with now: the new one as soon as it is verified."""
    rot = status.rotation
    if rot is not None and rot.step in _NEW_SECRET_STEPS and rot.new_secret_uuid:
        return m.Using.PENDING_SECRET, rot.new_secret_uuid
    if status.current_secret_uuid:
        return m.Using.APP_SECRET, status.current_secret_uuid
    return None


def vend_action(status: Status) -> m.VendToken | None:
    source = vending_source(status)
    return m.VendToken(*source) if source is not None else None


def needs_switch(spec: Spec, status: Status) -> bool:
    """The vended token was not made with the client secret tokens are made with now."""
    source = vending_source(status)
    if spec.access_token is None or source is None:
        return False
    token = status.access_token
    return token is None or token.expires_at is None or token.secret_uuid != source[1]


def in_backoff(status: Status, now: datetime) -> datetime | None:
    """When the next refresh may be tried, while a failed one backs off; else None."""
    token = status.access_token
    if token is None or token.failure is None or now >= token.failure.next_retry_at:
        return None
    return token.failure.next_retry_at


def why_vend(
    spec: Spec, status: Status, observed: m.TokenObservation | None, now: datetime
) -> str | None:
    """Why a fresh token is needed now; None when the vended one is fine (or backing off)."""
    wanted = spec.access_token
    if wanted is None or vending_source(status) is None or in_backoff(status, now):
        return None
    token = status.access_token
    if token is None or token.expires_at is None:
        return "no access token has been vended yet"
    if (token.secret_name, token.key) != (wanted.secret_name, wanted.key):
        return f"spec.accessToken now names Secret {wanted.secret_name}, key {wanted.key}"
    if token.scopes != _scopes(spec):
        return f"the vended token's scopes changed to {','.join(_scopes(spec)) or 'none'}"
    if needs_switch(spec, status):
        return "switching to the client secret in use now"
    if observed is not None and not _holds(observed, token):
        return f"Secret {token.secret_name} no longer holds the vended token"
    if token.failure is not None:
        return f"retrying after {token.failure.attempts} failed attempt(s)"
    if token.refresh_at is not None and now >= token.refresh_at:
        return "the token reached its refresh point"
    return None


def _holds(observed: m.TokenObservation, token: AccessTokenStatus) -> bool:
    if not observed.present:
        return False
    if token.fingerprint is not None:
        return same_hmac(observed.fingerprint, token.fingerprint)
    # Without the HMAC key only the expiry written beside the token can be compared.
    return token.expires_at is not None and observed.expires_at == expires_at_text(token.expires_at)


def expires_at_text(when: datetime) -> str:
    """ADOBE_ACCESS_TOKEN_EXPIRES_AT: RFC 3339 in UTC, whole seconds rounded down."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scopes(spec: Spec) -> tuple[str, ...]:
    return tuple(sorted(set(spec.token_scopes)))


def forget_if_unset(spec: Spec, status: Status) -> Status:
    """spec.accessToken removed: status stops reporting a token (the Secret is left in place)."""
    if spec.access_token is not None or (
        status.access_token is None
        and all(c.type is not ConditionType.TOKEN_FRESH for c in status.conditions)
    ):
        return status
    conditions = tuple(c for c in status.conditions if c.type is not ConditionType.TOKEN_FRESH)
    return replace(status, access_token=None, conditions=conditions)


def vended(
    spec: Spec, status: Status, msg: m.TokenVended, now: datetime
) -> tuple[Status, tuple[m.Event, ...]]:
    """Record a token just written to the Secret; say so when it is news."""
    wanted = spec.access_token or AccessTokenSpec(secret_name="")
    prev = status.access_token
    refresh_at = refresh_point(now, msg.expires_at, wanted.refresh_before, msg.jitter)
    token = AccessTokenStatus(
        secret_name=wanted.secret_name,
        key=wanted.key,
        scopes=_scopes(spec),
        secret_uuid=msg.secret_uuid,
        issued_at=now,
        expires_at=msg.expires_at,
        refresh_at=refresh_at,
        fingerprint=msg.fingerprint,
        refreshes=(prev.refreshes if prev else 0) + 1,
        expired_from=prev.expired_from if prev else None,
        expired_until=prev.expired_until if prev else None,
        readers_stamp=prev.readers_stamp if prev else None,
    )
    where = f"Secret {token.secret_name} (key {token.key})"
    fresh = (
        f"{where} holds a token made with client secret {msg.secret_uuid}, valid until "
        f"{_iso(msg.expires_at)}; next refresh at {_iso(refresh_at)}"
    )
    event: m.Event | None = None
    reason = Reason.TOKEN_REFRESHED
    if prev is not None and prev.failure is not None:
        reason = Reason.TOKEN_RECOVERED
        text = (
            f"refreshing the access token works again after {prev.failure.attempts} failed "
            f"attempt(s) (last: {prev.failure.message})"
        )
        if prev.expires_at is not None and now > prev.expires_at:
            token = replace(token, expired_from=prev.expires_at, expired_until=now)
            text += (
                f"; {where} held an expired token from {_iso(prev.expires_at)} to {_iso(now)} "
                f"({_span(now - prev.expires_at)})"
            )
        event = m.Event(False, reason, f"{text}; {fresh}")
    elif prev is None or prev.expires_at is None:
        reason = Reason.TOKEN_ISSUED
        event = m.Event(False, reason, f"vended an access token: {fresh}")
    elif prev.secret_uuid != msg.secret_uuid:
        reason = Reason.TOKEN_SWITCHED
        event = m.Event(
            False,
            reason,
            f"token vending switched from client secret {prev.secret_uuid} to "
            f"{msg.secret_uuid}: {fresh}",
        )
    status = replace(status, access_token=token)
    status = _fresh_condition(status, True, reason, fresh, now)
    return status, (event,) if event else ()


def failed(
    spec: Spec, status: Status, msg: m.ActionFailed, now: datetime
) -> tuple[Status, tuple[m.Event, ...], timedelta]:
    """A refresh failed: back off like every failing action (rotation.backoff), keep the old
    token, make it visible; returns the delay."""
    wanted = spec.access_token or AccessTokenSpec(secret_name="")
    token = status.access_token or AccessTokenStatus(wanted.secret_name, wanted.key)
    previous = token.failure
    attempts = (previous.attempts if previous else 0) + 1
    delay = retry_delay(attempts, msg.jitter, msg.retry_after)
    reason = Reason(msg.kind.value)
    failure = TokenFailure(
        reason=reason,
        message=msg.message,
        attempts=attempts,
        since=previous.since if previous else now,
        next_retry_at=now + delay,
        expiry_reported=previous.expiry_reported if previous else False,
    )
    expired = token.expires_at is not None and now >= token.expires_at
    text = (
        f"refreshing the access token in Secret {token.secret_name} failed {attempts} time(s) "
        f"since {_iso(failure.since)} ({msg.message}); next attempt at {_iso(now + delay)}; "
        + _held(token, expired)
    )
    events: list[m.Event] = []
    if previous is None or previous.reason != reason:
        events.append(m.Event(True, Reason.TOKEN_REFRESH_FAILED, text))
    if expired and not failure.expiry_reported and token.expires_at is not None:
        failure = replace(failure, expiry_reported=True)
        events.append(
            m.Event(
                True,
                Reason.TOKEN_EXPIRED,
                f"the access token in Secret {token.secret_name} expired at "
                f"{_iso(token.expires_at)} and could not be refreshed ({msg.message}); "
                "applications using it are refused until a refresh succeeds",
            )
        )
    status = replace(status, access_token=replace(token, failure=failure))
    return _fresh_condition(status, False, reason, text, now), tuple(events), delay


def _held(token: AccessTokenStatus, expired: bool) -> str:
    if token.expires_at is None:
        return "the Secret holds no token yet"
    if expired:
        return f"the token it holds EXPIRED at {_iso(token.expires_at)}"
    return f"the token it holds stays in place, valid until {_iso(token.expires_at)}"


def waiting_text(status: Status, before: str) -> str:
    token = status.access_token
    source = vending_source(status)
    failure = token.failure if token else None
    retry = f"; next attempt at {_iso(failure.next_retry_at)}" if failure else ""
    uuid = source[1] if source else "?"
    return (
        f"waiting to vend the access token with the new client secret {uuid} before {before}, "
        f"so no vended token depends on the old one{retry}"
    )


def readers_action(status: Status, now: datetime) -> m.RestartTokenReaders | None:
    """Restart the token Secret's env readers after a refresh, outside rotations (a rotation
    restarts them itself), unless a failed restart is backing off."""
    token = status.access_token
    if status.rotation is not None or token is None or token.stamp is None:
        return None
    if token.readers_stamp == token.stamp:
        return None
    retry = status.retry
    backing_off = retry is not None and now < retry.next_retry_at
    if backing_off and retry is not None and retry.action == m.RestartTokenReaders.__name__:
        return None
    return m.RestartTokenReaders(token.stamp)


def readers_restarted(
    status: Status, msg: m.TokenReadersRestarted
) -> tuple[Status, tuple[m.Event, ...]]:
    token = status.access_token
    if token is None:
        return status, ()
    events = tuple(
        m.Event(
            False,
            Reason.RESTARTED,
            f"restarted {target}: it reads the access token Secret {token.secret_name} through "
            f"env, which does not change in running pods (refresh {msg.stamp})",
        )
        for target, result in msg.results
        if result is m.RestartResult.RESTARTED
    ) + tuple(
        m.Event(
            True,
            Reason.ROLLOUT_PAUSED,
            f"{target} reads the access token Secret {token.secret_name} through env but its "
            f"rollout is paused, so it was not restarted for refresh {msg.stamp}: its pods keep "
            f"the previous token until it expires at {_iso(token.expires_at)}"
            if token.expires_at
            else f"{target} is paused and was not restarted for refresh {msg.stamp}",
        )
        for target, result in msg.results
        if result is m.RestartResult.PAUSED
    )
    return replace(status, access_token=replace(token, readers_stamp=msg.stamp)), events


def rotation_restarted(status: Status) -> Status:
    """A rotation's restart, after the switch, also gave the env readers the current token."""
    token = status.access_token
    if token is None or token.stamp is None:
        return status
    return replace(status, access_token=replace(token, readers_stamp=token.stamp))


def next_wake(status: Status, now: datetime) -> timedelta | None:
    """How long until the token needs a look: its refresh point or its next retry."""
    token = status.access_token
    if token is None:
        return None
    due = token.failure.next_retry_at if token.failure is not None else token.refresh_at
    if due is None:
        return None
    return max(due - now, timedelta(0))


def expiry_timestamp_seconds(status: Status) -> float | None:
    """The vended token's expiry as a Unix time, for the metric
    adobe_oauth_access_token_expiry_timestamp_seconds; None when no token was vended."""
    token = status.access_token
    if token is None or token.expires_at is None:
        return None
    return token.expires_at.timestamp()


def _fresh_condition(
    status: Status, fresh: bool, reason: Reason, text: str, now: datetime
) -> Status:
    return replace(
        status,
        conditions=set_condition(
            status.conditions, ConditionType.TOKEN_FRESH, fresh, reason, text, now
        ),
    )


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
