"""One backoff: the schedule every failing action follows, and the next attempt status shows
being the one that happens, whatever wakes the resource meanwhile (resyncs, conflicts, restarts).

An outage is driven through the pure machine on a fixed clock: every action calling Adobe fails,
Kubernetes actions succeed, and the resource is woken every second besides its requeue.
The daemon's own backoffs (a broken pass, a conflict) use the same function with their schedules.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.backoff import CONFLICTS, ERRORS, retry_delay
from adobe_oauth_operator.rotation.machine import decide, next_retry
from adobe_oauth_operator.rotation.model import Phase, Retry, Rotation, Spec, Status, Step, Trigger
from adobe_oauth_operator.timings import BACKOFF_CAP, RETRY_AFTER_CAP
from support.claims import claimed

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "a" * 32, "b" * 32
SPEC = Spec(org_id="1", credential_id="2", secret_name="creds", check_interval=timedelta(seconds=1))
ME = "operator-a"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rotating(step: Step, **kw: object) -> Status:
    rot = Rotation(
        id="r1",
        step=step,
        trigger=Trigger.ON_DEMAND,
        started_at=T0,
        old_secret_uuid=OLD,
        new_secret_uuid=NEW if step not in (Step.PREPARE, Step.ADD) else None,
    )
    return Status(
        phase=Phase.ROTATING,
        current_secret_uuid=OLD,
        client_id="cid",
        adopted_at=T0,
        rotation=replace(rot, **kw),  # type: ignore[arg-type]
    )


STARTS = {
    "adopt": claimed(SPEC),  # the claim comes first, and is no Adobe call
    "prepare": rotating(Step.PREPARE),
    "add": rotating(Step.ADD, pre_add_uuids=(OLD,), add_attempted_at=T0, add_attempts=1),
    "verify": rotating(Step.VERIFY),
    "drain": rotating(
        Step.DRAIN,
        next_check_at=T0,
        rollout_completed_at=T0,
        delete_after=at(86_400),
        drain_deadline=at(3 * 86_400),
    ),
    "delete-old": rotating(Step.DELETE_OLD),
}


def outage(
    start: Status, jitter: float, horizon: float, wake_every: float | None = 1.0
) -> tuple[list[float], list[float]]:
    """The seconds at which Adobe was called, and the next-attempt times status showed after
    each failure; the resource wakes at its requeue and every `wake_every` seconds."""
    status, now = start, 0.0
    msg: m.Message = m.Tick("t")
    calls: list[float] = []
    shown: list[float] = []
    while now < horizon:
        plan = decide(SPEC, status, msg, at(now), ME)
        status = plan.status
        if plan.action is not None:
            if isinstance(plan.action, m.CALLS_ADOBE):
                calls.append(now)
                name = type(plan.action).__name__
                msg = m.ActionFailed(m.ErrorKind.TRANSIENT, "500", action=name, jitter=jitter)
            else:
                assert isinstance(plan.action, m.Preflight), plan.action
                msg = m.PreflightPassed()
            continue
        if isinstance(msg, m.ActionFailed):
            assert status.retry is not None
            shown.append((status.retry.next_retry_at - T0).total_seconds())
        assert plan.requeue_after is not None and plan.requeue_after > timedelta(0)
        sleep = plan.requeue_after.total_seconds()
        now += sleep if wake_every is None else min(sleep, wake_every)
        msg = m.Tick("t", rotate_request=status.last_rotate_request)
    return calls, shown


def test_the_schedule_doubles_from_5s_to_the_5min_cap_with_20_percent_jitter() -> None:
    ceilings = [retry_delay(n, 1.0).total_seconds() for n in range(1, 10)]
    assert ceilings == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    shortest = [retry_delay(n, 0.0).total_seconds() for n in range(1, 10)]
    assert shortest == [4, 8, 16, 32, 64, 128, 240, 240, 240]
    assert retry_delay(3, -5.0) == retry_delay(3, 0.0) and retry_delay(3, 9.0) == retry_delay(3, 1)
    assert retry_delay(10_000, 1.0) == BACKOFF_CAP


def test_retry_after_is_a_floor_and_capped() -> None:
    assert retry_delay(1, 0.0, timedelta(seconds=90)) == timedelta(seconds=90)
    assert retry_delay(7, 1.0, timedelta(seconds=90)) == BACKOFF_CAP
    assert retry_delay(1, 0.0, timedelta(days=3)) == RETRY_AFTER_CAP


def test_backoff_schedule_grows_to_the_cap_and_honours_retry_after() -> None:
    retry: Retry | None = None
    delays = []
    for _ in range(9):
        retry = next_retry(retry, m.ActionFailed(m.ErrorKind.TRANSIENT, "503", jitter=1.0), T0)
        delays.append((retry.next_retry_at - T0).total_seconds())
    assert delays == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    low = next_retry(None, m.ActionFailed(m.ErrorKind.TRANSIENT, "503", jitter=0.0), T0)
    assert low.next_retry_at - T0 == timedelta(seconds=4)  # jitter takes at most 20 % off
    told = m.ActionFailed(m.ErrorKind.THROTTLED, "429", timedelta(seconds=90), jitter=0.0)
    assert next_retry(None, told, T0).next_retry_at - T0 == timedelta(seconds=90)


def test_a_broken_pass_backs_off_on_the_same_steps_unjittered() -> None:
    delays = [retry_delay(n, 0.0, schedule=ERRORS).total_seconds() for n in range(1, 10)]
    assert delays == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    assert retry_delay(3, 0.0, schedule=ERRORS) == retry_delay(3, 1.0, schedule=ERRORS)


def test_conflicts_in_a_row_back_off_to_a_cap() -> None:
    delays = [retry_delay(n, 1.0, schedule=CONFLICTS).total_seconds() for n in range(1, 8)]
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert retry_delay(1, 0.0, schedule=CONFLICTS).total_seconds() == 0.5


@pytest.mark.parametrize("jitter", [0.0, 1.0])
@pytest.mark.parametrize("step", sorted(STARTS))
def test_an_outage_costs_every_step_the_same_few_calls(step: str, jitter: float) -> None:
    calls, shown = outage(STARTS[step], jitter, horizon=30 * 60)
    first_minute = [t for t in calls if t < 60]
    assert len(first_minute) <= 6
    # Each call after the first happens exactly when status said it would, not earlier or later.
    assert calls[1:] == shown[: len(calls) - 1]
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    at_cap = 300 * (0.8 + 0.2 * jitter)
    assert gaps[-3:] == [at_cap] * 3, "about one call per 5 minutes at the cap"
    assert gaps == sorted(gaps), "never faster after a failure"


@pytest.mark.parametrize("step", sorted(STARTS))
def test_waking_early_changes_nothing(step: str) -> None:
    every_second, _ = outage(STARTS[step], 0.0, horizon=20 * 60, wake_every=1.0)
    on_requeue_only, _ = outage(STARTS[step], 0.0, horizon=20 * 60, wake_every=None)
    assert every_second == on_requeue_only
    assert every_second[:5] == [0, 4, 12, 28, 60]


def test_a_rotate_request_or_a_spec_change_is_acted_on_at_once() -> None:
    failed = decide(
        SPEC,
        rotating(Step.PREPARE, next_check_at=T0),
        m.ActionFailed(m.ErrorKind.TRANSIENT, "500", action="ListSecrets", jitter=1.0),
        T0,
        ME,
    )
    status = replace(failed.status, observed_generation=3, last_rotate_request="a")
    assert status.retry is not None and status.retry.next_retry_at == at(5)
    waiting = decide(SPEC, status, m.Tick("t", rotate_request="a", generation=3), at(1), ME)
    assert waiting.action is None and waiting.requeue_after == timedelta(seconds=4)
    assert waiting.status == status, "a tick while backing off writes nothing"
    asked = decide(SPEC, status, m.Tick("t", rotate_request="b", generation=3), at(1), ME)
    assert asked.action == m.Preflight()
    edited = decide(SPEC, status, m.Tick("t", rotate_request="a", generation=4), at(1), ME)
    assert edited.action == m.Preflight()
    due = decide(SPEC, status, m.Tick("t", rotate_request="a", generation=3), at(5), ME)
    assert due.action == m.Preflight()
