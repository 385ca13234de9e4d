"""The rotation state machine, driven message by message with a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType, find
from adobe_oauth_operator.rotation.machine import Plan, decide, invalid_spec
from adobe_oauth_operator.rotation.model import (
    JobConsumer,
    JobKind,
    OnStillInUse,
    Phase,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    Target,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason
from support.claims import claimed

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OLD, NEW, STRAY = "a" * 32, "b" * 32, "c" * 32
SPEC = Spec(
    org_id="1",
    credential_id="2",
    secret_name="creds",
    drain_period=timedelta(minutes=15),
    check_interval=timedelta(seconds=60),
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def secret(uuid: str, created: float = -86400, used: float | None = None) -> SecretMeta:
    return SecretMeta(uuid, at(created), at(used) if used is not None else None)


def tick(request: str | None = None, emergency: bool = False, **kw: object) -> m.Tick:
    return m.Tick(new_rotation_id="r1", rotate_request=request, emergency=emergency, **kw)  # type: ignore[arg-type]


def adopted(**kw: object) -> Status:
    base = claimed(
        SPEC, Status(phase=Phase.READY, current_secret_uuid=OLD, client_id="cid", adopted_at=T0)
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def rotating(step: Step, trigger: Trigger = Trigger.ON_DEMAND, **kw: object) -> Status:
    rot = Rotation(
        id="r1",
        step=step,
        trigger=trigger,
        started_at=T0,
        old_secret_uuid=OLD,
        new_secret_uuid=NEW if step not in (Step.PREPARE, Step.ADD) else None,
    )
    return adopted(phase=Phase.ROTATING, rotation=replace(rot, **kw))  # type: ignore[arg-type]


def cond(plan: Plan, type_: ConditionType) -> tuple[bool, Reason] | None:
    c = find(plan.status.conditions, type_)
    return (c.status, c.reason) if c else None


# -- adoption ---------------------------------------------------------------------------------
def test_unadopted_resource_asks_to_adopt_and_consumes_an_earlier_rotate_request() -> None:
    plan = decide(SPEC, claimed(SPEC), tick("req-1"), T0)
    assert plan.action == m.Adopt()
    assert plan.status.last_rotate_request == "req-1"


def test_adoption_records_uuid_and_schedule_without_rotating() -> None:
    spec = replace(SPEC, interval=timedelta(hours=720))
    plan = decide(spec, claimed(spec), m.Adopted(OLD, "cid"), T0)
    assert plan.status.current_secret_uuid == OLD
    assert plan.status.phase is Phase.READY
    assert plan.status.next_rotation_time == T0 + timedelta(hours=720)
    assert plan.action is None
    assert plan.requeue_after == timedelta(hours=720)
    assert cond(plan, ConditionType.READY) == (True, Reason.ADOPTED)
    assert [e.reason for e in plan.events] == [Reason.ADOPTED]


@pytest.mark.parametrize(
    ("kind", "phase_reason"),
    [
        (m.ErrorKind.SECRET_MISSING, Reason.SECRET_MISSING),
        (m.ErrorKind.INVALID_CLIENT, Reason.INVALID_CLIENT),
        (m.ErrorKind.PERMISSION_DENIED, Reason.PERMISSION_DENIED),
    ],
)
def test_adoption_failure_is_pending_with_actionable_reason_and_one_warning(
    kind: m.ErrorKind, phase_reason: Reason
) -> None:
    failure = m.ActionFailed(kind, "what went wrong")
    first = decide(SPEC, claimed(SPEC), failure, T0)
    assert first.status.phase is Phase.PENDING
    assert cond(first, ConditionType.READY) == (False, phase_reason)
    assert [e.warning for e in first.events] == [True]
    again = decide(SPEC, first.status, failure, at(60))
    assert again.events == (), "a repeated failure stays quiet"
    assert first.status.retry is not None and first.status.retry.attempts == 1
    assert again.status.retry is not None and again.status.retry.attempts == 2
    assert first.requeue_after is not None and again.requeue_after is not None
    assert again.requeue_after > first.requeue_after, "retries back off"


def test_transient_failure_is_shown_and_requeues_honouring_retry_after() -> None:
    status = rotating(Step.PREPARE)
    failure = m.ActionFailed(
        m.ErrorKind.THROTTLED, "slow down", timedelta(seconds=42), action="ListSecrets"
    )
    plan = decide(SPEC, status, failure, T0)
    assert plan.requeue_after == timedelta(seconds=42)
    assert plan.action is None
    assert plan.status.phase is Phase.ROTATING, "a transient failure is not a stall"
    assert plan.status.retry is not None
    assert (plan.status.retry.action, plan.status.retry.attempts) == ("ListSecrets", 1)
    assert plan.status.retry.next_retry_at == T0 + timedelta(seconds=42)
    assert cond(plan, ConditionType.DEGRADED) == (True, Reason.THROTTLED)
    assert [(e.warning, e.reason) for e in plan.events] == [(True, Reason.THROTTLED)]


# -- triggers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "msg", "now", "trigger"),
    [
        (adopted(), tick(), at(1), None),
        (adopted(last_rotate_request="x"), tick("x"), at(1), None),
        (adopted(last_rotate_request="x"), tick("y"), at(1), Trigger.ON_DEMAND),
        (adopted(), tick("y", emergency=True), at(1), Trigger.EMERGENCY),
        (adopted(adopted_at=T0), tick(), at(3600), Trigger.SCHEDULED),
        (adopted(adopted_at=T0), tick(), at(3599), None),
        (adopted(last_rotation_time=at(100)), tick(), at(3650), None),
    ],
)
def test_what_starts_a_rotation(
    status: Status, msg: m.Tick, now: datetime, trigger: Trigger | None
) -> None:
    spec = replace(SPEC, interval=timedelta(hours=1))
    plan = decide(spec, status, msg, now)
    if trigger is None:
        assert plan.status.rotation is None
        assert plan.action is None
    else:
        assert plan.status.rotation is not None
        assert plan.status.rotation.trigger is trigger
        assert plan.status.rotation.step is Step.PREPARE
        assert plan.status.phase is Phase.ROTATING
        assert plan.action == m.Preflight()


def test_no_schedule_without_interval_and_suspend_blocks_everything() -> None:
    assert decide(SPEC, adopted(), tick(), at(10**7)).status.rotation is None
    suspended = replace(SPEC, suspend=True)
    plan = decide(suspended, adopted(), tick("go"), T0)
    assert plan.action is None and plan.status.rotation is None
    mid = decide(suspended, rotating(Step.ADD), tick(), T0)
    assert mid.action is None


def test_leftover_pending_secret_is_deleted_when_idle() -> None:
    plan = decide(SPEC, adopted(), tick(pending_secret_present=True), T0)
    assert plan.action == m.DeletePending()


def test_new_request_during_rotation_upgrades_to_emergency_in_the_same_pass() -> None:
    plan = decide(SPEC, rotating(Step.DRAIN), tick("later", emergency=True), T0)
    assert plan.status.rotation is not None
    assert plan.status.rotation.trigger is Trigger.EMERGENCY
    assert plan.action == m.DeleteSecret(OLD, m.Using.PENDING_SECRET, m.DeleteGuard.APP_HOLDS_NEW)
    assert plan.events[0].reason is Reason.ROTATION_STARTED


# -- prepare ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("secrets", "action", "step", "stalled"),
    [
        ((secret(OLD),), m.AddSecret("r1"), Step.ADD, False),
        ((secret(OLD), secret(STRAY, created=5)), None, Step.PREPARE, True),
        ((secret(OLD), secret(STRAY, created=-20)), None, Step.PREPARE, True),
        ((secret(OLD), secret(STRAY, created=-3600)), None, Step.PREPARE, True),
        ((secret(STRAY, created=-3600),), m.AddSecret("r1"), Step.ADD, False),
    ],
    ids=["one-secret", "new-but-not-ours", "added-just-before", "foreign", "current-gone"],
)
def test_prepare_never_attributes_without_an_add_attempt(
    secrets: tuple[SecretMeta, ...], action: m.Action | None, step: Step, stalled: bool
) -> None:
    """Before this rotation sent an add, no secret can be its own: anything else is foreign."""
    plan = decide(SPEC, rotating(Step.PREPARE), m.SecretsListed(secrets), at(10))
    assert plan.action == action
    assert plan.status.rotation is not None and plan.status.rotation.step is step
    assert (plan.status.phase is Phase.STALLED) is stalled
    if stalled:
        assert cond(plan, ConditionType.STALLED) == (True, Reason.SECRET_LIMIT_REACHED)
        assert (
            STRAY
            in (
                find(plan.status.conditions, ConditionType.STALLED) or pytest.fail("no condition")
            ).message
        )


# -- add --------------------------------------------------------------------------------------
def test_add_records_uuid_then_verifies() -> None:
    plan = decide(SPEC, rotating(Step.ADD), m.SecretAdded(NEW, at(1)), at(1))
    assert plan.status.rotation is not None
    assert (plan.status.rotation.step, plan.status.rotation.new_secret_uuid) == (Step.VERIFY, NEW)
    assert plan.status.rotation.new_secret_created_at == at(1)
    assert plan.action == m.VerifyNewSecret()


@pytest.mark.parametrize(
    ("msg", "action", "step"),
    [
        (tick(), m.InspectPending("r1"), Step.ADD),
        (m.AddOutcomeUnknown(), m.InspectPending("r1"), Step.ADD),
        (m.PendingInspected((secret(OLD),), None), m.AddSecret("r1"), Step.ADD),
        (
            m.PendingInspected((secret(OLD), secret(STRAY, created=2)), None),
            m.DeleteSecret(STRAY, m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW),
            Step.ADD,
        ),
        (
            m.PendingInspected((secret(OLD), secret(NEW, created=2)), NEW),
            m.VerifyNewSecret(),
            Step.VERIFY,
        ),
        (m.PendingInspected((secret(OLD),), NEW), m.AddSecret("r1"), Step.ADD),
    ],
    ids=[
        "resume",
        "lost-response",
        "nothing-created",
        "orphan",
        "pending-recovered",
        "pending-but-deleted-in-adobe",
    ],
)
def test_add_reconciles_after_crash_or_lost_response(
    msg: m.Message, action: m.Action, step: Step
) -> None:
    status = rotating(Step.ADD, pre_add_uuids=(OLD,), add_attempted_at=at(1), add_attempts=1)
    plan = decide(SPEC, status, msg, at(3))
    assert plan.action == action
    assert plan.status.rotation is not None and plan.status.rotation.step is step


def test_secret_limit_on_add_goes_back_to_prepare() -> None:
    plan = decide(SPEC, rotating(Step.ADD), m.ActionFailed(m.ErrorKind.SECRET_LIMIT, "full"), T0)
    assert plan.status.rotation is not None and plan.status.rotation.step is Step.PREPARE
    assert plan.action == m.ListSecrets(m.Using.APP_SECRET)


# -- verify, update, rollout ------------------------------------------------------------------
def test_verify_failure_deletes_new_secret_with_old_one_and_fails() -> None:
    plan = decide(SPEC, rotating(Step.VERIFY), m.VerifyRejected("invalid_client"), at(1))
    assert plan.action == m.DeleteSecret(NEW, m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW)
    done = decide(SPEC, plan.status, m.SecretDeleted(NEW), at(2))
    assert done.status.rotation is None
    assert done.status.phase is Phase.FAILED
    assert done.status.current_secret_uuid == OLD
    assert done.status.history[0].succeeded is False
    assert done.action == m.DeletePending()
    assert cond(done, ConditionType.READY) == (False, Reason.VERIFICATION_FAILED)


def test_verified_then_secret_written_then_restart() -> None:
    plan = decide(SPEC, rotating(Step.VERIFY), m.Verified(), at(1))
    assert plan.action == m.WriteAppSecret("r1", NEW)
    plan = decide(SPEC, plan.status, m.AppSecretWritten(), at(2))
    assert plan.action == m.RestartTargets("r1")
    assert plan.status.rotation is not None
    assert plan.status.rotation.rollout_started_at == at(2)


DEPLOY, STS = Target("Deployment", "web"), Target("StatefulSet", "db")


def test_restart_events_only_for_targets_actually_restarted() -> None:
    results = ((DEPLOY, m.RestartResult.RESTARTED), (STS, m.RestartResult.ALREADY))
    plan = decide(
        SPEC, rotating(Step.ROLLOUT, rollout_started_at=T0), m.TargetsRestarted(results), at(1)
    )
    assert plan.action == m.CheckRollouts("r1", (DEPLOY, STS))
    assert [e.message for e in plan.events] == ["restarted Deployment/web for rotation r1"]


def test_paused_deployment_stalls_with_warning() -> None:
    results = ((DEPLOY, m.RestartResult.PAUSED),)
    plan = decide(
        SPEC, rotating(Step.ROLLOUT, rollout_started_at=T0), m.TargetsRestarted(results), at(1)
    )
    assert plan.status.phase is Phase.STALLED
    assert cond(plan, ConditionType.STALLED) == (True, Reason.ROLLOUT_PAUSED)
    assert any(e.warning and "Deployment/web" in e.message for e in plan.events)


def test_rollout_waits_then_times_out_keeping_old_secret() -> None:
    states = (m.RolloutStatus(DEPLOY, False, "1 of 2 updated replicas are available"),)
    status = rotating(Step.ROLLOUT, rollout_started_at=T0)
    waiting = decide(SPEC, status, m.RolloutsChecked(states), at(60))
    assert waiting.status.phase is Phase.ROTATING
    assert waiting.requeue_after is not None and waiting.requeue_after <= timedelta(seconds=2)
    late = decide(SPEC, status, m.RolloutsChecked(states), at(15 * 60))
    assert late.status.phase is Phase.STALLED
    assert cond(late, ConditionType.STALLED) == (True, Reason.ROLLOUT_TIMEOUT)
    assert late.action is None


@pytest.mark.parametrize(
    ("trigger", "step"), [(Trigger.ON_DEMAND, Step.DRAIN), (Trigger.EMERGENCY, Step.DELETE_OLD)]
)
def test_rollout_complete_goes_to_drain_or_straight_to_delete(trigger: Trigger, step: Step) -> None:
    states = (m.RolloutStatus(DEPLOY, True, "done"),)
    plan = decide(
        SPEC,
        rotating(Step.ROLLOUT, trigger, rollout_started_at=T0),
        m.RolloutsChecked(states),
        at(30),
    )
    rot = plan.status.rotation
    assert rot is not None and rot.step is step
    assert rot.rollout_completed_at == at(30)
    assert rot.drain_deadline == at(30) + SPEC.max_wait


# -- drain ------------------------------------------------------------------------------------
DELETE_OLD = m.DeleteSecret(OLD, m.Using.PENDING_SECRET, m.DeleteGuard.APP_HOLDS_NEW)


def draining(**kw: object) -> Status:
    fields: dict[str, object] = {
        "rollout_completed_at": T0,
        "drain_deadline": T0 + SPEC.max_wait,
        "next_check_at": T0,
    }
    return rotating(Step.DRAIN, **{**fields, **kw})


@pytest.mark.parametrize(
    ("old_used", "now", "delete", "still_in_use"),
    [
        (None, 15 * 60, True, False),
        (-5, 15 * 60, True, False),
        (-5, 14 * 60, False, False),
        (60, 15 * 60, False, True),
        (60, 16 * 60, True, False),
    ],
    ids=[
        "never-used",
        "used-before-rollout",
        "drain-not-over",
        "used-after-rollout",
        "quiet-long-enough-after-late-use",
    ],
)
def test_drain(old_used: float | None, now: float, delete: bool, still_in_use: bool) -> None:
    listed = m.SecretsListed((secret(OLD, used=old_used), secret(NEW, created=1)))
    plan = decide(SPEC, draining(), listed, at(now))
    assert (plan.action == DELETE_OLD) is delete
    assert any(e.reason is Reason.STILL_IN_USE for e in plan.events) is still_in_use
    if not delete:
        assert plan.requeue_after is not None and plan.requeue_after <= SPEC.check_interval


def test_still_in_use_warning_is_emitted_once() -> None:
    listed = m.SecretsListed((secret(OLD, used=60), secret(NEW)))
    first = decide(SPEC, draining(), listed, at(120))
    second = decide(SPEC, first.status, listed, at(180))
    assert [e.reason for e in first.events] == [Reason.STILL_IN_USE]
    assert second.events == ()


@pytest.mark.parametrize(
    ("policy", "deletes"), [(OnStillInUse.WAIT, False), (OnStillInUse.DELETE, True)]
)
def test_on_still_in_use_after_max_wait(policy: OnStillInUse, deletes: bool) -> None:
    spec = replace(SPEC, on_still_in_use=policy)
    now = SPEC.max_wait.total_seconds() + 1
    listed = m.SecretsListed((secret(OLD, used=now - 30), secret(NEW)))
    plan = decide(spec, draining(), listed, at(now))
    assert (plan.action == DELETE_OLD) is deletes
    if not deletes:
        assert plan.status.phase is Phase.STALLED
        assert cond(plan, ConditionType.STALLED) == (True, Reason.STILL_IN_USE)
        assert plan.status.rotation is not None, "both secrets kept, still draining"


def test_drain_waits_for_its_check_interval_without_listing() -> None:
    status = draining()
    assert status.rotation is not None
    status = replace(status, rotation=replace(status.rotation, next_check_at=at(60)))
    plan = decide(SPEC, status, tick(), at(20))
    assert plan.action is None
    assert plan.requeue_after == timedelta(seconds=40)


# -- the end ----------------------------------------------------------------------------------
def test_old_secret_deleted_finishes_rotation() -> None:
    spec = replace(SPEC, interval=timedelta(hours=720))
    plan = decide(spec, rotating(Step.DELETE_OLD), m.SecretDeleted(OLD), at(100))
    s = plan.status
    assert (s.rotation, s.current_secret_uuid, s.phase) == (None, NEW, Phase.READY)
    assert s.last_rotation_time == at(100)
    assert s.next_rotation_time == at(100) + timedelta(hours=720)
    assert s.history[0].succeeded and s.history[0].new_secret_uuid == NEW
    assert plan.action == m.DeletePending()
    assert cond(plan, ConditionType.READY) == (True, Reason.ROTATED)
    assert cond(plan, ConditionType.ROTATING) == (False, Reason.ROTATED)


def test_history_keeps_the_last_ten() -> None:
    status = rotating(Step.DELETE_OLD)
    for i in range(12):
        status = decide(SPEC, status, m.SecretDeleted(OLD), at(i)).status
        status = replace(
            status,
            current_secret_uuid=OLD,
            rotation=Rotation(f"r{i}", Step.DELETE_OLD, Trigger.ON_DEMAND, at(i), OLD, NEW),
        )
    assert len(status.history) == 10


def test_invalid_spec_is_reported_as_a_condition() -> None:
    status = invalid_spec(Status(), "interval: 'x' is not a duration", T0)
    ready = find(status.conditions, ConditionType.READY)
    assert ready is not None and ready.reason is Reason.INVALID_SPEC and not ready.status
    assert "interval" in ready.message


# -- a long drain, and emergencies that cut it short ------------------------------------------
LONG = replace(SPEC, drain_period=timedelta(hours=24), max_wait=timedelta(hours=72))
HOUR = 3600.0


@pytest.mark.parametrize(
    ("old_used", "now", "delete_after", "deletes"),
    [
        (None, 60, 24 * HOUR, False),
        (-5, 23 * HOUR, 24 * HOUR, False),
        (-5, 24 * HOUR, 24 * HOUR, True),
        (10 * HOUR, 30 * HOUR, 34 * HOUR, False),
        (10 * HOUR, 34 * HOUR, 34 * HOUR, True),
    ],
    ids=[
        "unused: rollout end + 24h",
        "used before rollout: not yet",
        "used before rollout: rollout end + 24h reached",
        "token renewed 10h later: moves to then + 24h",
        "quiet for 24h after the late use",
    ],
)
def test_long_drain_shows_last_use_and_delete_after(
    old_used: float | None, now: float, delete_after: float, deletes: bool
) -> None:
    listed = m.SecretsListed((secret(OLD, used=old_used), secret(NEW, created=1)))
    status = draining(drain_deadline=T0 + LONG.max_wait)
    plan = decide(LONG, status, listed, at(now))
    rot = plan.status.rotation
    assert rot is not None
    assert rot.delete_after == at(delete_after)
    assert (plan.action == DELETE_OLD) is deletes
    if not deletes:
        drain = plan.status.to_dict()["rotation"]["drain"]
        used = secret(OLD, used=old_used).last_used_at
        assert drain["deleteAfter"] == at(delete_after).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
        assert (drain["oldSecretLastUsed"] is None) is (used is None)


def test_entering_the_drain_shows_delete_after_at_once() -> None:
    states = (m.RolloutStatus(DEPLOY, True, "done"),)
    status = rotating(Step.ROLLOUT, rollout_started_at=T0)
    plan = decide(LONG, status, m.RolloutsChecked(states), at(30))
    assert plan.status.rotation is not None
    assert plan.status.rotation.delete_after == at(30 + 24 * HOUR)
    wire = plan.status.to_dict()["rotation"]
    assert wire["drain"]["deleteAfter"].startswith("2026-11-02T12:00:30")
    assert Status.from_dict(plan.status.to_dict()).rotation == plan.status.rotation


def test_drain_field_is_absent_outside_the_drain() -> None:
    status = rotating(Step.DELETE_OLD, delete_after=at(60))
    assert status.to_dict()["rotation"]["drain"] is None


def _stalled_in_use() -> Status:
    """maxWait passed, the old secret still used, onStillInUse Wait: Adobe holds both."""
    listed = m.SecretsListed((secret(OLD, used=71 * HOUR), secret(NEW, created=1)))
    plan = decide(LONG, draining(drain_deadline=T0 + LONG.max_wait), listed, at(72 * HOUR + 1))
    assert plan.status.phase is Phase.STALLED and plan.action is None
    return plan.status


def _with(status: Status, **kw: object) -> Status:
    assert status.rotation is not None
    return replace(status, rotation=replace(status.rotation, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "now"),
    [
        (draining(drain_deadline=T0 + LONG.max_wait), 60),
        (_with(draining(drain_deadline=T0 + LONG.max_wait), next_check_at=at(HOUR)), 60),
        (_with(draining(), old_last_used_at=at(10 * HOUR), delete_after=at(34 * HOUR)), 11 * HOUR),
        (_stalled_in_use(), 72 * HOUR + 2),
    ],
    ids=[
        "drain just begun",
        "between two checks",
        "old secret recently used",
        "stalled after maxWait, both secrets kept",
    ],
)
def test_emergency_after_a_finished_rollout_deletes_without_waiting(
    status: Status, now: float
) -> None:
    plan = decide(LONG, status, tick("leak", emergency=True), at(now))
    rot = plan.status.rotation
    assert rot is not None and rot.trigger is Trigger.EMERGENCY
    assert rot.step is Step.DELETE_OLD
    assert plan.action == DELETE_OLD
    assert plan.status.phase is Phase.ROTATING
    assert plan.events[0].reason is Reason.ROTATION_STARTED
    assert plan.status.to_dict()["rotation"]["drain"] is None


@pytest.mark.parametrize(
    "step", [Step.PREPARE, Step.ADD, Step.VERIFY, Step.UPDATE_SECRET, Step.ROLLOUT]
)
def test_emergency_before_the_rollout_ends_deletes_as_soon_as_it_completes(step: Step) -> None:
    plan = decide(LONG, rotating(step, rollout_started_at=T0), tick("leak", emergency=True), at(1))
    assert plan.status.rotation is not None
    assert plan.status.rotation.trigger is Trigger.EMERGENCY
    assert plan.action != DELETE_OLD, "never before the rollout is complete"
    rolling = _with(plan.status, step=Step.ROLLOUT)
    states = (m.RolloutStatus(DEPLOY, True, "done"),)
    done = decide(LONG, rolling, m.RolloutsChecked(states), at(90))
    assert done.status.rotation is not None and done.status.rotation.step is Step.DELETE_OLD
    assert done.action == DELETE_OLD


def test_jobs_are_listed_and_a_running_one_reported() -> None:
    jobs = (
        JobConsumer(JobKind.CRON_JOB, "nightly"),
        JobConsumer(JobKind.JOB, "nightly-123", running_since=at(-600)),
    )
    # Started after the Secret changed: it runs the new value, nothing to say about it.
    fresh = JobConsumer(JobKind.JOB, "nightly-124", running_since=at(0.5))
    results = ((DEPLOY, m.RestartResult.RESTARTED),)
    status = rotating(Step.ROLLOUT, rollout_started_at=T0)
    plan = decide(SPEC, status, m.TargetsRestarted(results, (*jobs, fresh)), at(1))
    assert plan.action == m.CheckRollouts("r1", (DEPLOY,)), "jobs are never restarted"
    assert plan.status.rotation is not None and plan.status.rotation.jobs == jobs
    reasons = [e.reason for e in plan.events]
    assert reasons == [Reason.RESTARTED, Reason.JOBS_NOT_RESTARTED, Reason.JOB_STILL_RUNNING]
    assert "CronJob/nightly, Job/nightly-123" in plan.events[1].message
    assert "Job/nightly-123" in plan.events[2].message
    assert not any(e.warning for e in plan.events)
    wire = plan.status.to_dict()["rotation"]["jobs"]
    assert wire[0] == {
        "kind": "CronJob",
        "name": "nightly",
        "runningSince": None,
        "message": "picks up the new value at its next run",
    }
    assert wire[1]["runningSince"] is not None
    assert Status.from_dict(plan.status.to_dict()).rotation == plan.status.rotation
    # The jobs stay listed through the drain.
    states = (m.RolloutStatus(DEPLOY, True, "done"),)
    drained = decide(SPEC, plan.status, m.RolloutsChecked(states), at(5))
    assert drained.status.rotation is not None and drained.status.rotation.jobs == jobs
    # ... and in the rotation's history entry once it is done.
    deleting = _with(drained.status, step=Step.DELETE_OLD)
    done = decide(SPEC, deleting, m.SecretDeleted(OLD), at(10))
    assert done.status.history[0].message.endswith(
        "not restarted, each picks up the new value at its next run: CronJob/nightly, "
        "Job/nightly-123"
    )
