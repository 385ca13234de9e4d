"""The state machine's safety rules: fencing, ownership proof, call budget, recovery, reverts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType, find
from adobe_oauth_operator.rotation.machine import (
    MAX_ADDS_PER_ROTATION,
    MAX_DELETES_PER_ROTATION,
    MAX_REVERTS_PER_ROTATION,
    decide,
)
from adobe_oauth_operator.rotation.model import (
    HistoryEntry,
    InFlight,
    OnDrift,
    Phase,
    Retry,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import ACTION_LEASE
from support.claims import claimed

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OLD, NEW, STRAY = "a" * 32, "b" * 32, "c" * 32
SPEC = Spec(org_id="1", credential_id="2", secret_name="creds")
ME, OTHER = "operator-a", "operator-b"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def secret(uuid: str, created: float) -> SecretMeta:
    return SecretMeta(uuid, at(created), None)


def rotating(step: Step, **kw: object) -> Status:
    rot = Rotation(
        id="r1", step=step, trigger=Trigger.ON_DEMAND, started_at=T0, old_secret_uuid=OLD
    )
    return Status(
        phase=Phase.ROTATING,
        current_secret_uuid=OLD,
        client_id="cid",
        adopted_at=T0,
        rotation=replace(rot, **kw),  # type: ignore[arg-type]
    )


def reason_of(status: Status, type_: ConditionType) -> Reason | None:
    c = find(status.conditions, type_)
    return c.reason if c and c.status else None


# -- owned-secret proof -----------------------------------------------------------------------
ATTEMPTED = {"pre_add_uuids": (OLD,), "add_attempted_at": at(100), "add_attempts": 1}


@pytest.mark.parametrize(
    ("stray_created", "listed_before", "ours"),
    [
        (101, False, True),  # created by our add
        (70, False, True),  # within the clock skew of the add, and not there before it
        (80, True, False),  # added in the Console 20 s before: it was in the list
        (-3600, False, False),  # far too old to be the answer to our add
    ],
    ids=["after-add", "skew", "console-20s-before", "old"],
)
def test_a_secret_is_deleted_only_with_evidence_it_is_ours(
    stray_created: float, listed_before: bool, ours: bool
) -> None:
    pre = (OLD, STRAY) if listed_before else (OLD,)
    status = rotating(Step.ADD, **{**ATTEMPTED, "pre_add_uuids": pre})
    listed = m.PendingInspected((secret(OLD, -86400), secret(STRAY, stray_created)), None)
    plan = decide(SPEC, status, listed, at(110), ME)
    if ours:
        assert plan.action == m.DeleteSecret(STRAY, m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW)
    else:
        assert plan.action is None
        assert plan.status.phase is Phase.STALLED
        assert reason_of(plan.status, ConditionType.STALLED) is Reason.SECRET_LIMIT_REACHED
        stalled = find(plan.status.conditions, ConditionType.STALLED)
        assert stalled is not None and STRAY in stalled.message and "created" in stalled.message


def test_the_list_before_an_add_is_persisted_with_the_attempt() -> None:
    plan = decide(SPEC, rotating(Step.PREPARE), m.SecretsListed((secret(OLD, -86400),)), at(5), ME)
    rot = plan.status.rotation
    assert plan.action == m.AddSecret("r1")
    assert rot is not None
    assert (rot.pre_add_uuids, rot.add_attempted_at, rot.add_attempts) == ((OLD,), at(5), 1)


# -- fencing ----------------------------------------------------------------------------------
def test_every_mutating_action_changes_the_status_written_before_it() -> None:
    status = rotating(Step.VERIFY, new_secret_uuid=NEW)
    plan = decide(SPEC, status, m.Verified(), at(1), ME)
    assert isinstance(plan.action, m.WriteAppSecret)
    assert plan.status.action_seq == status.action_seq + 1
    assert plan.status.in_flight == InFlight(1, "WriteAppSecret", ME, at(1))
    again = decide(SPEC, plan.status, m.Tick("x"), at(2), ME)  # resumed after a crash
    assert again.action == plan.action
    assert again.status.action_seq == 2, "a re-run is a new record: a stale writer gets 409"


def test_a_read_only_action_clears_the_record_without_a_new_sequence_number() -> None:
    status = replace(rotating(Step.ADD), action_seq=4, in_flight=InFlight(4, "AddSecret", ME, T0))
    plan = decide(SPEC, status, m.AddOutcomeUnknown(), at(1), ME)
    assert plan.action == m.InspectPending("r1")
    assert (plan.status.action_seq, plan.status.in_flight) == (4, None)


@pytest.mark.parametrize(
    ("holder", "elapsed", "waits"),
    [(OTHER, 10, True), (OTHER, ACTION_LEASE.total_seconds() + 1, False), (ME, 10, False)],
    ids=["other-running", "other-abandoned", "own-after-restart"],
)
def test_an_action_recorded_by_another_operator_is_waited_for(
    holder: str, elapsed: float, waits: bool
) -> None:
    status = replace(
        rotating(Step.ADD), action_seq=7, in_flight=InFlight(7, "AddSecret", holder, T0)
    )
    plan = decide(SPEC, status, m.Tick("x"), at(elapsed), ME)
    if waits:
        assert plan.action is None
        assert plan.status.in_flight == status.in_flight, "the other holder's record stays"
        assert reason_of(plan.status, ConditionType.ROTATING) is Reason.ACTION_IN_FLIGHT
        assert plan.requeue_after is not None and plan.requeue_after > timedelta(0)
        again = decide(SPEC, plan.status, m.Tick("x"), at(elapsed + 5), ME)
        assert again.status == plan.status, "looking again writes nothing new"
    else:
        assert plan.action == m.InspectPending("r1")


# -- the budget -------------------------------------------------------------------------------
def test_adds_beyond_the_budget_stall_instead_of_calling_adobe() -> None:
    status = rotating(Step.ADD, **{**ATTEMPTED, "add_attempts": MAX_ADDS_PER_ROTATION})
    plan = decide(SPEC, status, m.PendingInspected((secret(OLD, -86400),), None), at(200), ME)
    assert plan.action is None
    assert plan.status.phase is Phase.STALLED
    assert reason_of(plan.status, ConditionType.STALLED) is Reason.RETRY_BUDGET_EXHAUSTED
    assert any(e.warning and e.reason is Reason.RETRY_BUDGET_EXHAUSTED for e in plan.events)


def test_deletes_beyond_the_budget_stall() -> None:
    status = rotating(
        Step.DELETE_OLD, new_secret_uuid=NEW, delete_attempts=MAX_DELETES_PER_ROTATION
    )
    plan = decide(SPEC, status, m.Tick("x"), at(1), ME)
    assert plan.action is None
    assert reason_of(plan.status, ConditionType.STALLED) is Reason.RETRY_BUDGET_EXHAUSTED


def test_a_throttled_delete_is_refunded_but_a_lost_add_is_not() -> None:
    status = replace(
        rotating(Step.DELETE_OLD, new_secret_uuid=NEW, delete_attempts=2),
        in_flight=InFlight(3, "DeleteSecret", ME, T0),
    )
    plan = decide(SPEC, status, m.ActionFailed(m.ErrorKind.THROTTLED, "429"), at(1), ME)
    assert plan.status.rotation is not None and plan.status.rotation.delete_attempts == 1
    added = replace(rotating(Step.ADD, **ATTEMPTED), in_flight=InFlight(3, "AddSecret", ME, T0))
    plan = decide(SPEC, added, m.AddOutcomeUnknown(), at(1), ME)
    assert plan.status.rotation is not None and plan.status.rotation.add_attempts == 1


def test_a_new_rotate_request_gives_a_stalled_rotation_a_fresh_budget() -> None:
    status = replace(
        rotating(Step.ADD, **{**ATTEMPTED, "add_attempts": MAX_ADDS_PER_ROTATION}),
        phase=Phase.STALLED,
    )
    plan = decide(SPEC, status, m.Tick("x", rotate_request="again"), at(1), ME)
    assert plan.action == m.InspectPending("r1")
    assert plan.status.rotation is not None and plan.status.rotation.add_attempts == 0


# -- backoff and honesty ----------------------------------------------------------------------
def test_recovery_clears_the_failure_and_says_so_once() -> None:
    status = rotating(Step.PREPARE)
    failed = decide(
        SPEC, status, m.ActionFailed(m.ErrorKind.TRANSIENT, "503", action="ListSecrets"), T0, ME
    )
    failed = decide(
        SPEC,
        failed.status,
        m.ActionFailed(m.ErrorKind.TRANSIENT, "503", action="ListSecrets"),
        at(5),
        ME,
    )
    assert failed.events == (), "only the first failure warns"
    degraded = find(failed.status.conditions, ConditionType.DEGRADED)
    assert degraded is not None and degraded.status
    assert (
        "ListSecrets failed 2 time(s)" in degraded.message and "next attempt at" in degraded.message
    )
    ok = decide(SPEC, failed.status, m.SecretsListed((secret(OLD, -86400),)), at(30), ME)
    assert ok.status.retry is None
    assert reason_of(ok.status, ConditionType.DEGRADED) is None
    assert [e.reason for e in ok.events] == [Reason.RECOVERED]
    assert isinstance(ok.action, m.AddSecret)


def test_another_call_succeeding_does_not_hide_the_failing_one() -> None:
    failing = m.ActionFailed(m.ErrorKind.TRANSIENT, "500", action="ListSecrets")
    first = decide(SPEC, rotating(Step.PREPARE), failing, T0, ME)
    passed = decide(SPEC, first.status, m.PreflightPassed(), at(5), ME)
    assert passed.status.retry == first.status.retry, "preflight worked, the list did not yet"
    assert passed.events == ()
    second = decide(SPEC, passed.status, failing, at(6), ME)
    assert second.status.retry is not None and second.status.retry.attempts == 2


# -- preflight --------------------------------------------------------------------------------
def test_preflight_comes_before_adobe_is_touched() -> None:
    assert decide(SPEC, rotating(Step.PREPARE), m.Tick("x"), T0, ME).action == m.Preflight()
    passed = decide(SPEC, rotating(Step.PREPARE), m.PreflightPassed(), T0, ME)
    assert passed.action == m.ListSecrets(m.Using.APP_SECRET)
    failed = decide(
        SPEC,
        rotating(Step.PREPARE),
        m.ActionFailed(m.ErrorKind.TARGET_NOT_FOUND, "Deployment/web does not exist"),
        T0,
        ME,
    )
    assert failed.action is None
    assert reason_of(failed.status, ConditionType.STALLED) is Reason.TARGET_NOT_FOUND


# -- verified deletes -------------------------------------------------------------------------
def test_a_reverted_secret_is_written_back_and_rolled_again_keeping_the_old_secret() -> None:
    status = rotating(Step.DELETE_OLD, new_secret_uuid=NEW, rollout_completed_at=T0)
    plan = decide(SPEC, status, m.AppSecretReverted("it holds a different value"), at(1), ME)
    rot = plan.status.rotation
    assert rot is not None and (rot.step, rot.reverts) == (Step.UPDATE_SECRET, 1)
    assert plan.action == m.WriteAppSecret("r1-1", NEW)
    assert [(e.warning, e.reason) for e in plan.events] == [(True, Reason.SECRET_REVERTED)]
    written = decide(SPEC, plan.status, m.AppSecretWritten(), at(2), ME)
    assert written.action == m.RestartTargets("r1-1"), "pods roll again under a new stamp"


def test_a_secret_reverted_again_and_again_stalls() -> None:
    status = rotating(Step.DELETE_OLD, new_secret_uuid=NEW, reverts=MAX_REVERTS_PER_ROTATION)
    plan = decide(SPEC, status, m.AppSecretReverted("changed"), at(1), ME)
    assert plan.action is None
    assert reason_of(plan.status, ConditionType.STALLED) is Reason.SECRET_REVERTED


def test_new_fields_survive_the_wire_form() -> None:
    status = replace(
        rotating(
            Step.ADD, pre_add_uuids=(OLD, STRAY), add_attempted_at=at(3), add_attempts=2, reverts=1
        ),
        action_seq=9,
        in_flight=InFlight(9, "AddSecret", ME, at(3)),
        retry=Retry("AddSecret", Reason.TRANSIENT_ERROR, "503", 2, at(1), at(9)),
    )
    assert Status.from_dict(status.to_dict()) == status


# -- drift: the Secret changed behind the operator's back ---------------------------------------
def idle(**kw: object) -> Status:
    base = Status(
        phase=Phase.READY,
        current_secret_uuid=OLD,
        client_id="cid",
        adopted_at=T0,
        secret_fingerprint="f-old",
    )
    return replace(claimed(SPEC, base), **kw)  # type: ignore[arg-type]


def test_a_changed_fingerprint_is_inspected_and_an_unchanged_one_is_not() -> None:
    copied = idle(known_good_fingerprint="f-old")
    assert decide(SPEC, copied, m.Tick("x", app_fingerprint="f-old"), T0, ME).action is None
    changed = decide(SPEC, copied, m.Tick("x", app_fingerprint="f-new"), T0, ME)
    assert changed.action == m.InspectDrift("x", "f-old")
    first = decide(SPEC, idle(secret_fingerprint=None), m.Tick("x", app_fingerprint="f1"), T0, ME)
    assert first.status.secret_fingerprint == "f1"
    assert first.action == m.SaveKnownGood("f1", OLD), "recorded, then copied"


def test_another_working_secret_in_the_secret_is_adopted() -> None:
    plan = decide(SPEC, idle(), m.DriftAdopted(NEW, "f-new"), T0, ME)
    assert (plan.status.current_secret_uuid, plan.status.secret_fingerprint) == (NEW, "f-new")
    assert plan.status.phase is Phase.READY
    assert [(e.warning, e.reason) for e in plan.events] == [(False, Reason.SECRET_CHANGED)]


def test_a_refused_secret_in_the_secret_is_reported_and_rechecked_with_backoff() -> None:
    refused = m.ActionFailed(m.ErrorKind.SECRET_DRIFTED, "IMS refuses it", action="InspectDrift")
    plan = decide(SPEC, idle(known_good_fingerprint="f-old"), refused, T0, ME)
    assert plan.status.phase is Phase.STALLED
    assert reason_of(plan.status, ConditionType.STALLED) is Reason.SECRET_DRIFTED
    assert [e.reason for e in plan.events] == [Reason.SECRET_DRIFTED]
    assert plan.status.secret_fingerprint == "f-old", "the known-good fingerprint is kept"
    restored = decide(SPEC, plan.status, m.Tick("x", app_fingerprint="f-old"), at(60), ME)
    assert restored.status.phase is Phase.READY and restored.status.retry is None


# -- onDrift: the known-good copy and the restoring rotation --------------------------------------
REPORT = replace(SPEC, on_drift=OnDrift.REPORT)


@pytest.mark.parametrize(
    ("spec", "status", "app", "action"),
    [
        (SPEC, idle(), "f-old", m.SaveKnownGood("f-old", OLD)),  # no copy yet: make one
        (SPEC, idle(known_good_fingerprint="f-older"), "f-old", m.SaveKnownGood("f-old", OLD)),
        (SPEC, idle(known_good_fingerprint="f-old"), "f-old", None),  # up to date
        (SPEC, idle(), None, None),  # no HMAC key or no Secret: nothing verified to copy
        (REPORT, idle(known_good_fingerprint="f-old"), "f-old", m.DeleteKnownGood()),
        (REPORT, idle(), "f-old", None),  # Report keeps no copy
    ],
    ids=["first-copy", "stale-copy", "current-copy", "unknown", "report-deletes", "report-none"],
)
def test_the_known_good_copy_follows_the_verified_value(
    spec: Spec, status: Status, app: str | None, action: m.Action | None
) -> None:
    plan = decide(spec, status, m.Tick("x", app_fingerprint=app), T0, ME)
    assert plan.action == action
    if action is not None:
        assert plan.status.in_flight is not None, "the copy is written only after a fenced write"


@pytest.mark.parametrize(
    ("spec", "msg", "action"),
    [
        (SPEC, m.Adopted(OLD, "client", "f-old"), m.SaveKnownGood("f-old", OLD)),
        (SPEC, m.DriftAdopted(NEW, "f-new"), m.SaveKnownGood("f-new", NEW)),
        (SPEC, m.Adopted(OLD, "client", None), None),  # no HMAC key: nothing verified to copy
        (REPORT, m.Adopted(OLD, "client", "f-old"), None),
        (REPORT, m.DriftAdopted(NEW, "f-new"), None),
    ],
    ids=["adopted", "drift-adopted", "adopted-unverified", "report-adopted", "report-drift"],
)
def test_a_value_verified_by_adoption_is_copied_in_the_same_pass(
    spec: Spec, msg: m.Message, action: m.Action | None
) -> None:
    status = claimed(SPEC) if isinstance(msg, m.Adopted) else idle()
    plan = decide(spec, status, msg, T0, ME)
    assert plan.status.phase is Phase.READY
    assert plan.action == action, "not hours later at the next resync"
    if action is not None:
        assert plan.status.in_flight is not None and plan.requeue_after is None
    else:
        assert plan.requeue_after is None, "no interval in SPEC: next pass on events only"


def test_a_saved_or_deleted_copy_is_recorded_and_a_failed_save_is_retried() -> None:
    saved = decide(SPEC, idle(), m.KnownGoodSaved("f-old"), T0, ME)
    assert saved.status.known_good_fingerprint == "f-old" and saved.action is None
    assert saved.requeue_after == timedelta(0), "looked at again at once"
    unsaved = decide(SPEC, idle(), m.KnownGoodSaved(None), T0, ME)
    assert unsaved.status.known_good_fingerprint is None
    deleted = decide(REPORT, idle(known_good_fingerprint="f"), m.KnownGoodDeleted(), T0, ME)
    assert deleted.status.known_good_fingerprint is None


def test_a_refused_secret_starts_a_rotation_from_the_known_good_copy() -> None:
    status = idle(known_good_fingerprint="f-old")
    plan = decide(SPEC, status, m.DriftRefused("r-drift"), T0, ME)
    rot = plan.status.rotation
    assert rot is not None
    assert (rot.id, rot.trigger, rot.from_known_good, rot.old_secret_uuid) == (
        "r-drift",
        Trigger.DRIFT,
        True,
        OLD,
    )
    assert plan.action == m.Preflight()
    ready = find(plan.status.conditions, ConditionType.READY)
    assert ready is not None and not ready.status and ready.reason is Reason.SECRET_DRIFTED
    assert [(e.warning, e.reason) for e in plan.events] == [(True, Reason.SECRET_DRIFTED)]
    # Ready again only once the Secret holds the new, verified value.
    writing = replace(
        plan.status, rotation=replace(rot, step=Step.UPDATE_SECRET, new_secret_uuid=NEW)
    )
    written = decide(SPEC, writing, m.AppSecretWritten("f-new"), at(5), ME)
    ready = find(written.status.conditions, ConditionType.READY)
    assert ready is not None and ready.status
    assert written.status.secret_fingerprint == "f-new"


def test_a_failed_restore_is_not_retried_within_the_hour() -> None:
    failed = HistoryEntry("r1", Trigger.DRIFT, T0, at(10), False, OLD, NEW, "verification failed")
    status = idle(known_good_fingerprint="f-old", history=(failed,))
    soon = decide(SPEC, status, m.DriftRefused("r2"), at(600), ME)
    assert soon.status.rotation is None and soon.action is None
    assert reason_of(soon.status, ConditionType.STALLED) is Reason.SECRET_DRIFTED
    assert soon.requeue_after == timedelta(seconds=3010)
    later = decide(SPEC, status, m.DriftRefused("r3"), at(3611), ME)
    assert later.status.rotation is not None and later.status.rotation.id == "r3"


def test_known_good_state_survives_the_wire_form() -> None:
    rot = Rotation("r", Step.ADD, Trigger.DRIFT, T0, OLD, from_known_good=True)
    status = idle(known_good_fingerprint="f-old", rotation=rot)
    assert Status.from_dict(status.to_dict()) == status


def test_writing_the_new_secret_records_its_fingerprint() -> None:
    status = rotating(Step.UPDATE_SECRET, new_secret_uuid=NEW)
    plan = decide(SPEC, status, m.AppSecretWritten("f-new"), at(1), ME)
    assert plan.status.secret_fingerprint == "f-new"
