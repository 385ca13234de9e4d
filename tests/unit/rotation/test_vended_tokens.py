"""Vended access tokens: the refresh schedule and the state machine's decisions, fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation import vended_tokens
from adobe_oauth_operator.rotation.conditions import ConditionType, find
from adobe_oauth_operator.rotation.machine import Plan, decide
from adobe_oauth_operator.rotation.model import (
    AccessTokenSpec,
    AccessTokenStatus,
    Phase,
    Rotation,
    Spec,
    Status,
    Step,
    Target,
    TokenFailure,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import RETRY_AFTER_CAP
from support.claims import claimed

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(seconds=86399)  # Adobe's default token lifetime
OLD, NEW = "a" * 32, "b" * 32
SCOPES = ("AdobeID", "openid")
SPEC = Spec(
    org_id="1",
    credential_id="2",
    secret_name="creds",
    scopes=SCOPES,
    access_token=AccessTokenSpec(secret_name="token"),
)
HELD = m.TokenObservation(True, "hmac-1", "x")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def tick(token: m.TokenObservation | None = HELD, **kw: object) -> m.Tick:
    return m.Tick(new_rotation_id="r1", token=token, **kw)  # type: ignore[arg-type]


def vended(uuid: str = OLD, issued: float = 0, lifetime: timedelta = DAY, **kw: object) -> Status:
    """Adopted, with a token made with `uuid` at `issued` and refreshed at 80 % of its life."""
    token = AccessTokenStatus(
        secret_name="token",
        key="ADOBE_ACCESS_TOKEN",
        scopes=SCOPES,
        secret_uuid=uuid,
        issued_at=at(issued),
        expires_at=at(issued) + lifetime,
        refresh_at=at(issued) + lifetime * 0.8,
        fingerprint="hmac-1",
        refreshes=1,
        readers_stamp=f"token-{at(issued):%Y%m%d-%H%M%S}",
    )
    status = Status(phase=Phase.READY, current_secret_uuid=OLD, client_id="cid", adopted_at=T0)
    status = claimed(SPEC, status)
    return replace(status, access_token=replace(token, **kw))  # type: ignore[arg-type]


def rotating(step: Step, status: Status) -> Status:
    rot = Rotation(
        id="r1",
        step=step,
        trigger=Trigger.ON_DEMAND,
        started_at=T0,
        old_secret_uuid=OLD,
        new_secret_uuid=NEW,
    )
    return replace(status, phase=Phase.ROTATING, rotation=rot)


def fresh(plan: Plan) -> tuple[bool, Reason] | None:
    c = find(plan.status.conditions, ConditionType.TOKEN_FRESH)
    return (c.status, c.reason) if c else None


def failure(kind: m.ErrorKind = m.ErrorKind.TRANSIENT, **kw: object) -> m.ActionFailed:
    return m.ActionFailed(kind, "Adobe is unavailable for now", action="VendToken", **kw)  # type: ignore[arg-type]


# -- the schedule -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lifetime", "refresh_before", "jitter", "left"),
    [
        (DAY, None, 0.0, DAY * 0.2),  # 20 % of the lifetime left
        (DAY, None, 0.999, DAY * 0.2 * 1.25 * 0.999 + DAY * 0.2 * 0.001),  # up to a quarter more
        (DAY, timedelta(hours=4), 0.0, timedelta(hours=4)),
        (DAY, timedelta(hours=4), 1.0, timedelta(hours=5)),
        (timedelta(hours=1), timedelta(hours=4), 0.0, timedelta(minutes=30)),  # at most half
        (timedelta(seconds=12), timedelta(seconds=6), 0.5, timedelta(seconds=6.75)),
    ],
)
def test_refresh_point(
    lifetime: timedelta, refresh_before: timedelta | None, jitter: float, left: timedelta
) -> None:
    point = vended_tokens.refresh_point(T0, T0 + lifetime, refresh_before, jitter)
    assert abs((T0 + lifetime - point) - left) < timedelta(milliseconds=1)


@pytest.mark.parametrize("jitter", [-1.0, 0.0, 0.25, 0.5, 0.75, 0.999, 1.0, 7.0])
def test_jitter_only_moves_a_refresh_earlier_and_by_at_most_a_quarter_of_the_margin(
    jitter: float,
) -> None:
    expires = T0 + DAY
    margin = DAY * 0.2
    point = vended_tokens.refresh_point(T0, expires, None, jitter)
    assert expires - margin * 1.25 <= point <= expires - margin


def test_a_token_without_lifetime_is_refreshed_at_once() -> None:
    assert vended_tokens.refresh_point(T0, T0, None, 0.5) == T0


def test_grants_per_day_at_adobes_default_lifetime() -> None:
    """Refreshed when 20-25 % of 86399 s is left: every 17.9-19.2 h, 1.25-1.34 grants a day."""
    earliest = vended_tokens.refresh_point(T0, T0 + DAY, None, 1.0) - T0
    latest = vended_tokens.refresh_point(T0, T0 + DAY, None, 0.0) - T0
    assert (earliest.total_seconds(), latest.total_seconds()) == pytest.approx((64799.25, 69119.2))
    per_day = (86400 / latest.total_seconds(), 86400 / earliest.total_seconds())
    assert per_day == pytest.approx((1.25, 1.333), abs=0.001)


# -- when the machine vends -----------------------------------------------------------------------
def test_after_adoption_the_first_token_is_vended_with_the_current_secret_and_fenced() -> None:
    status = replace(vended(), access_token=None)
    plan = decide(SPEC, status, tick(token=m.TokenObservation(False)), at(1), holder="op-1")
    assert plan.action == m.VendToken(m.Using.APP_SECRET, OLD)
    flight = plan.status.in_flight
    assert flight is not None and (flight.action, flight.holder) == ("VendToken", "op-1")
    assert plan.status.action_seq == status.action_seq + 1


def test_nothing_is_vended_before_adoption_or_without_spec_access_token() -> None:
    assert decide(SPEC, claimed(SPEC), tick(), T0).action == m.Adopt()
    untokened = replace(SPEC, access_token=None)
    plan = decide(untokened, claimed(untokened, vended()), tick(None), at(1))
    assert plan.action is None
    assert plan.status.access_token is None  # the status stops reporting a token
    assert fresh(plan) is None


def test_a_fresh_token_is_left_alone_and_the_resource_wakes_at_its_refresh_point() -> None:
    plan = decide(SPEC, vended(), tick(), at(60))
    assert plan.action is None
    assert plan.requeue_after == DAY * 0.8 - timedelta(seconds=60)


@pytest.mark.parametrize(
    ("why", "status", "observed", "now"),
    [
        ("refresh point", vended(), HELD, DAY.total_seconds() * 0.8),
        ("Secret deleted", vended(), m.TokenObservation(False), 60),
        ("Secret changed", vended(), m.TokenObservation(True, "other", "x"), 60),
        ("another key", vended(key="OTHER"), HELD, 60),
        ("other scopes", vended(scopes=("openid",)), HELD, 60),
        ("made with a secret no longer current", vended(uuid=NEW), HELD, 60),
    ],
)
def test_a_token_is_vended_again_when(
    why: str, status: Status, observed: m.TokenObservation, now: float
) -> None:
    plan = decide(SPEC, status, tick(token=observed), at(now))
    assert plan.action == m.VendToken(m.Using.APP_SECRET, OLD), why


def test_without_the_hmac_key_the_expiry_beside_the_token_tells_it_is_still_there() -> None:
    status = vended(fingerprint=None)
    text = vended_tokens.expires_at_text(at(0) + DAY)
    assert decide(SPEC, status, tick(m.TokenObservation(True, None, text)), at(60)).action is None
    other = m.TokenObservation(True, None, "2020-01-01T00:00:00Z")
    assert decide(SPEC, status, tick(other), at(60)).action is not None


def test_a_suspended_resource_still_refreshes_its_token() -> None:
    spec = replace(SPEC, suspend=True)
    plan = decide(spec, vended(), tick(), at(DAY.total_seconds()))
    assert plan.action == m.VendToken(m.Using.APP_SECRET, OLD)


def test_a_vended_token_is_recorded_with_its_schedule_and_announced_once() -> None:
    status = replace(vended(), access_token=None)
    msg = m.TokenVended(OLD, at(10) + DAY, "hmac-2", jitter=0.0)
    plan = decide(SPEC, status, msg, at(10))
    token = plan.status.access_token
    assert token is not None
    assert (token.issued_at, token.expires_at, token.refresh_at) == (
        at(10),
        at(10) + DAY,
        at(10) + DAY * 0.8,
    )
    assert (token.fingerprint, token.secret_uuid, token.refreshes) == ("hmac-2", OLD, 1)
    assert fresh(plan) == (True, Reason.TOKEN_ISSUED)
    assert [e.reason for e in plan.events] == [Reason.TOKEN_ISSUED]
    assert vended_tokens.expiry_timestamp_seconds(plan.status) == (at(10) + DAY).timestamp()
    # A routine refresh is quiet.
    again = decide(SPEC, plan.status, m.TokenVended(OLD, at(70000) + DAY, "hmac-3"), at(70000))
    assert again.events == ()
    assert again.status.access_token is not None and again.status.access_token.refreshes == 2


def test_after_a_refresh_outside_rotations_the_env_readers_are_restarted_once() -> None:
    plan = decide(SPEC, vended(), m.TokenVended(OLD, at(70000) + DAY, "hmac-3"), at(70000))
    assert plan.action == m.RestartTokenReaders("token-20261102-072640")
    assert plan.status.in_flight is not None  # fenced like every side effect
    target = Target("Deployment", "web")
    msg = m.TokenReadersRestarted("token-20261102-072640", ((target, m.RestartResult.RESTARTED),))
    done = decide(SPEC, plan.status, msg, at(70001))
    assert done.action is None
    assert [e.reason for e in done.events] == [Reason.RESTARTED]
    now_held = tick(m.TokenObservation(True, "hmac-3"))
    assert decide(SPEC, done.status, now_held, at(70002)).action is None
    # Lost after the refresh was recorded (a crash): a tick restarts them.
    assert decide(SPEC, plan.status, now_held, at(70002)).action == plan.action


def test_a_paused_env_reader_is_reported_not_waited_for() -> None:
    paused = Target("Deployment", "batch")
    msg = m.TokenReadersRestarted("token-x", ((paused, m.RestartResult.PAUSED),))
    plan = decide(SPEC, vended(), msg, at(10))
    assert [(e.warning, e.reason) for e in plan.events] == [(True, Reason.ROLLOUT_PAUSED)]
    assert "Deployment/batch" in plan.events[0].message
    assert plan.action is None


def test_during_a_rotation_its_own_restart_covers_the_env_readers() -> None:
    status = rotating(Step.ROLLOUT, vended(uuid=NEW, readers_stamp=None))
    plan = decide(SPEC, status, m.TargetsRestarted(()), at(60))
    assert plan.status.access_token is not None
    assert plan.status.access_token.readers_stamp == plan.status.access_token.stamp
    assert isinstance(plan.action, m.CheckRollouts)


def test_no_expiry_without_a_token() -> None:
    assert vended_tokens.expiry_timestamp_seconds(Status()) is None


# -- failures ---------------------------------------------------------------------------------
def test_a_failed_refresh_keeps_the_old_token_backs_off_and_warns_once() -> None:
    now = DAY.total_seconds() * 0.8
    plan = decide(SPEC, vended(), failure(jitter=0.0), at(now))
    assert plan.action is None
    token = plan.status.access_token
    assert token is not None and token.failure is not None
    assert token.fingerprint == "hmac-1"  # the old token stays
    # The shortest first delay of the shared schedule (rotation.backoff): 80 % of 5 s.
    assert token.failure.next_retry_at == at(now) + timedelta(seconds=4)
    assert plan.requeue_after == timedelta(seconds=4)
    assert fresh(plan) == (False, Reason.TRANSIENT_ERROR)
    assert [(e.warning, e.reason) for e in plan.events] == [(True, Reason.TOKEN_REFRESH_FAILED)]
    # While backing off, a tick does not try again; after it, it does.
    assert decide(SPEC, plan.status, tick(), at(now + 3.9)).action is None
    assert decide(SPEC, plan.status, tick(), at(now + 4)).action is not None
    second = decide(SPEC, plan.status, failure(jitter=0.0), at(now + 4))
    assert second.events == ()  # same reason: quiet
    assert second.status.access_token is not None
    assert second.status.access_token.failure is not None
    assert second.status.access_token.failure.attempts == 2


def test_a_refresh_failing_past_expiry_reports_the_expiry_once_and_the_window_on_recovery() -> None:
    status = vended(failure=TokenFailure(Reason.TRANSIENT_ERROR, "down", 3, at(69000), at(86000)))
    plan = decide(SPEC, status, failure(), at(86500))
    assert [e.reason for e in plan.events] == [Reason.TOKEN_EXPIRED]
    assert plan.events[0].warning
    c = find(plan.status.conditions, ConditionType.TOKEN_FRESH)
    assert c is not None and "EXPIRED" in c.message
    assert decide(SPEC, plan.status, failure(), at(87000)).events == ()
    back = decide(SPEC, plan.status, m.TokenVended(OLD, at(87000) + DAY, "hmac-9"), at(87000))
    token = back.status.access_token
    assert token is not None and token.failure is None
    assert (token.expired_from, token.expired_until) == (at(0) + DAY, at(87000))
    assert fresh(back) == (True, Reason.TOKEN_RECOVERED)
    [event] = back.events
    assert not event.warning and "held an expired token from" in event.message


def test_retry_after_is_honoured_and_capped() -> None:
    plan = decide(SPEC, vended(), failure(m.ErrorKind.THROTTLED, retry_after=timedelta(days=1)), T0)
    assert plan.requeue_after == RETRY_AFTER_CAP


def test_a_token_failure_is_not_a_rotation_failure() -> None:
    plan = decide(SPEC, vended(), failure(m.ErrorKind.INVALID_CLIENT), T0)
    assert plan.status.phase is Phase.READY
    assert plan.status.retry is None
    assert find(plan.status.conditions, ConditionType.STALLED) is None


# -- rotations ----------------------------------------------------------------------------------
def test_vending_switches_to_the_new_secret_right_after_it_is_verified() -> None:
    status = rotating(Step.VERIFY, vended())
    plan = decide(SPEC, status, m.Verified(), at(60))
    assert plan.status.rotation is not None and plan.status.rotation.step is Step.UPDATE_SECRET
    assert plan.action == m.VendToken(m.Using.PENDING_SECRET, NEW)
    after = decide(SPEC, plan.status, m.TokenVended(NEW, at(61) + DAY, "hmac-n"), at(61))
    assert isinstance(after.action, m.WriteAppSecret)
    assert [e.reason for e in after.events] == [Reason.TOKEN_SWITCHED]


def test_before_verification_tokens_are_still_made_with_the_old_secret() -> None:
    status = rotating(Step.VERIFY, replace(vended(), access_token=None))
    plan = decide(SPEC, status, tick(m.TokenObservation(False)), at(60))
    assert plan.action == m.VendToken(m.Using.APP_SECRET, OLD)


def test_the_old_secret_is_not_deleted_while_the_vended_token_depends_on_it() -> None:
    status = rotating(Step.DELETE_OLD, vended())
    plan = decide(SPEC, status, m.AppSecretWritten(), at(60))
    assert plan.action == m.VendToken(m.Using.PENDING_SECRET, NEW)
    done = decide(SPEC, plan.status, m.TokenVended(NEW, at(61) + DAY), at(61))
    assert isinstance(done.action, m.DeleteSecret) and done.action.secret_uuid == OLD


def test_a_rotation_waits_for_a_failing_switch_instead_of_deleting_the_old_secret() -> None:
    status = rotating(
        Step.DELETE_OLD,
        vended(failure=TokenFailure(Reason.TRANSIENT_ERROR, "down", 1, at(0), at(100))),
    )
    plan = decide(SPEC, status, tick(), at(60))
    assert plan.action is None
    assert plan.requeue_after == timedelta(seconds=40)
    c = find(plan.status.conditions, ConditionType.ROTATING)
    assert c is not None and c.reason is Reason.WAITING_FOR_TOKEN
    assert decide(SPEC, status, tick(), at(100)).action == m.VendToken(m.Using.PENDING_SECRET, NEW)


def test_without_spec_access_token_a_rotation_is_unchanged() -> None:
    spec = replace(SPEC, access_token=None)
    plan = decide(spec, rotating(Step.VERIFY, vended()), m.Verified(), at(60))
    assert isinstance(plan.action, m.WriteAppSecret)
