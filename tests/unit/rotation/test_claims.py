"""One owner per Secret and credential, and a rotation that keeps to its credential: the
machine's decisions, message by message with a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.claims import wanted
from adobe_oauth_operator.rotation.conditions import ConditionType, find
from adobe_oauth_operator.rotation.machine import Plan, decide
from adobe_oauth_operator.rotation.model import (
    AccessTokenSpec,
    Claim,
    CredentialIds,
    Phase,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import (
    CONTENDED_RETRY_BASE,
    CONTENDED_RETRY_SPREAD,
    NOT_VISIBLE_POLL,
)
from support.claims import claimed

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "a" * 32, "b" * 32
SPEC = Spec(org_id="1", credential_id="2", secret_name="creds", check_interval=timedelta(seconds=7))
ADOPTED = Status(phase=Phase.READY, current_secret_uuid=OLD, client_id="cid", adopted_at=T0)
INTENT = replace(wanted(SPEC, T0), confirmed=False)
TAKEN = "Secret ns/creds is held by AdobeOAuthCredential ns/first (uid u1)"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def tick() -> m.Tick:
    return m.Tick(new_rotation_id="r1")


def stalled_reason(plan: Plan) -> Reason | None:
    c = find(plan.status.conditions, ConditionType.STALLED)
    return c.reason if c and c.status else None


# -- claiming before anything else ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "spec"),
    [
        pytest.param(Status(), SPEC, id="new resource"),
        pytest.param(ADOPTED, SPEC, id="adopted by an operator without claims"),
        pytest.param(
            claimed(replace(SPEC, credential_id="9"), ADOPTED), SPEC, id="credential edited"
        ),
        pytest.param(claimed(replace(SPEC, secret_name="old"), ADOPTED), SPEC, id="Secret renamed"),
        pytest.param(
            claimed(SPEC, ADOPTED),
            replace(SPEC, access_token=AccessTokenSpec("token")),
            id="token Secret named",
        ),
    ],
)
def test_an_unheld_claim_is_recorded_first_then_checked(status: Status, spec: Spec) -> None:
    plan = decide(spec, status, tick(), at(5), "me")
    assert plan.action == m.CheckClaims(at(5)), "no Adopt, no rotation, no Adobe call first"
    assert plan.status.claim == wanted(spec, at(5))
    assert plan.status.claim is not None and not plan.status.claim.confirmed
    assert plan.status.in_flight is not None, "the Secret's annotation is fenced like any effect"


def test_an_intent_waiting_to_be_seen_is_checked_again_with_the_same_time() -> None:
    status = replace(Status(), claim=INTENT)
    plan = decide(SPEC, status, tick(), at(9), "me")
    assert plan.action == m.CheckClaims(T0)
    assert plan.status.claim == INTENT


def test_a_held_claim_lets_adoption_and_rotations_go_on() -> None:
    assert decide(SPEC, claimed(SPEC), tick(), T0).action == m.Adopt()
    request = m.Tick(new_rotation_id="r1", rotate_request="go")
    assert decide(SPEC, claimed(SPEC, ADOPTED), request, T0).action == m.Preflight()


# (outcome, reason, claim after, requeue after, stalled reason)
ANSWERS = [
    pytest.param(
        m.ClaimsChecked(m.ClaimOutcome.HELD),
        replace(INTENT, confirmed=True),
        timedelta(0),
        None,
        id="held: confirmed, adopted next",
    ),
    pytest.param(
        m.ClaimsChecked(m.ClaimOutcome.NOT_VISIBLE),
        INTENT,
        NOT_VISIBLE_POLL,
        None,
        id="own claim not back from the watch: look again soon",
    ),
    pytest.param(
        m.ClaimsChecked(m.ClaimOutcome.CONTENDED, jitter=0.5),
        None,
        CONTENDED_RETRY_BASE + CONTENDED_RETRY_SPREAD * 0.5,
        None,
        id="another asks at once: withdraw, retry spread apart",
    ),
    pytest.param(
        m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.SECRET_CLAIMED, TAKEN),
        None,
        SPEC.check_interval,
        Reason.SECRET_CLAIMED,
        id="Secret held by another: stalled, checked again each checkInterval",
    ),
    pytest.param(
        m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.CREDENTIAL_CLAIMED, "held by ns/first"),
        None,
        SPEC.check_interval,
        Reason.CREDENTIAL_CLAIMED,
        id="credential held by another",
    ),
    pytest.param(
        m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.SECRET_NAME_RESERVED, "pending of b"),
        None,
        SPEC.check_interval,
        Reason.SECRET_NAME_RESERVED,
        id="a name another resource derives",
    ),
]


@pytest.mark.parametrize(("answer", "claim", "requeue", "stalled"), ANSWERS)
def test_the_answer_to_a_claim_check(
    answer: m.ClaimsChecked, claim: Claim | None, requeue: timedelta, stalled: Reason | None
) -> None:
    plan = decide(SPEC, replace(Status(), claim=INTENT), answer, at(1), "me")
    assert plan.action is None
    assert plan.status.claim == claim
    assert plan.requeue_after == requeue
    assert stalled_reason(plan) == stalled
    if stalled is not None:
        assert plan.status.phase is Phase.STALLED
        assert [(e.warning, e.reason) for e in plan.events] == [(True, stalled)]
        assert find(plan.status.conditions, ConditionType.STALLED).message == answer.message  # type: ignore[union-attr]


def test_a_refusal_warns_once_and_a_later_hold_ends_the_stall() -> None:
    refused = m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.SECRET_CLAIMED, TAKEN)
    first = decide(SPEC, replace(Status(), claim=INTENT), refused, at(1), "me")
    again = decide(SPEC, first.status, tick(), at(8), "me")
    assert again.action == m.CheckClaims(at(8))
    second = decide(SPEC, again.status, refused, at(8), "me")
    assert second.events == (), "the same refusal is not repeated as a new Warning"
    retry = decide(SPEC, second.status, tick(), at(15), "me")
    held = decide(SPEC, retry.status, m.ClaimsChecked(m.ClaimOutcome.HELD), at(15), "me")
    assert held.status.phase is Phase.PENDING
    assert stalled_reason(held) is None
    assert find(held.status.conditions, ConditionType.STALLED).reason is Reason.CLAIMED  # type: ignore[union-attr]
    assert decide(SPEC, held.status, tick(), at(16), "me").action == m.Adopt()


def test_an_adopted_resource_that_gets_its_claim_is_ready_again() -> None:
    refused = m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.CREDENTIAL_CLAIMED, "held")
    status = decide(SPEC, replace(ADOPTED, claim=INTENT), refused, at(1), "me").status
    status = decide(SPEC, status, tick(), at(8), "me").status
    status = decide(SPEC, status, m.ClaimsChecked(m.ClaimOutcome.HELD), at(8), "me").status
    plan = decide(SPEC, status, tick(), at(9), "me")
    assert plan.status.phase is Phase.READY


def test_an_answer_for_a_claim_the_spec_no_longer_asks_for_is_not_confirmed() -> None:
    status = replace(Status(), claim=replace(INTENT, secret_name="old"))
    plan = decide(SPEC, status, m.ClaimsChecked(m.ClaimOutcome.HELD), at(1), "me")
    assert plan.status.claim == status.claim, "not confirmed: the next pass claims anew"
    assert plan.requeue_after == timedelta(0)


def test_a_rotation_in_flight_keeps_its_claim_even_when_the_spec_names_another_secret() -> None:
    rot = Rotation("r1", Step.DRAIN, Trigger.ON_DEMAND, T0, OLD, NEW, next_check_at=at(100))
    status = replace(claimed(SPEC, ADOPTED), rotation=rot, phase=Phase.ROTATING)
    plan = decide(replace(SPEC, secret_name="renamed"), status, tick(), at(1), "me")
    assert plan.action is None and plan.status.claim == status.claim


# -- a rotation keeps to the credential it started on -------------------------------------------
IDS = CredentialIds("1", "2", "cid")


def in_flight(step: Step, **kw: object) -> Status:
    rot = Rotation("r1", step, Trigger.ON_DEMAND, T0, OLD, NEW, credential=IDS)
    rot = replace(rot, **kw)  # type: ignore[arg-type]
    return replace(claimed(SPEC, ADOPTED), rotation=rot, phase=Phase.ROTATING)


def test_a_new_rotation_records_the_ids_it_works_on() -> None:
    request = m.Tick(new_rotation_id="r1", rotate_request="go")
    plan = decide(SPEC, claimed(SPEC, ADOPTED), request, T0, "me")
    assert plan.status.rotation is not None
    assert plan.status.rotation.credential == IDS
    with_client = replace(SPEC, client_id="f" * 32)
    plan = decide(with_client, claimed(with_client, ADOPTED), request, T0, "me")
    assert plan.status.rotation is not None
    assert plan.status.rotation.credential == CredentialIds("1", "2", "f" * 32)


def test_a_rotation_an_older_operator_started_gets_the_specs_ids() -> None:
    status = in_flight(Step.DELETE_OLD, credential=None)
    plan = decide(SPEC, status, tick(), T0, "me")
    assert plan.status.rotation is not None and plan.status.rotation.credential == IDS


EDITS = [
    pytest.param(replace(SPEC, credential_id="9"), "credentialId '2' -> '9'", id="credentialId"),
    pytest.param(replace(SPEC, org_id="8"), "orgId '1' -> '8'", id="orgId"),
    pytest.param(replace(SPEC, client_id="e" * 32), "clientId 'cid' -> 'eee", id="clientId"),
]
STEPS = [Step.PREPARE, Step.ADD, Step.VERIFY, Step.ROLLOUT, Step.DRAIN, Step.DELETE_OLD]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("edited", "says"), EDITS)
def test_a_spec_edited_mid_rotation_stalls_without_any_call(
    step: Step, edited: Spec, says: str
) -> None:
    plan = decide(edited, in_flight(step), tick(), at(1), "me")
    assert plan.action is None, "nothing added or deleted in either credential"
    assert plan.status.phase is Phase.STALLED
    assert stalled_reason(plan) is Reason.SPEC_CHANGED_MID_ROTATION
    assert plan.status.rotation is not None and plan.status.rotation.credential == IDS
    assert says in find(plan.status.conditions, ConditionType.STALLED).message  # type: ignore[union-attr]
    assert [(e.warning, e.reason) for e in plan.events] == [
        (True, Reason.SPEC_CHANGED_MID_ROTATION)
    ]
    assert plan.requeue_after == SPEC.check_interval


def test_putting_the_ids_back_resumes_the_rotation() -> None:
    stalled = decide(replace(SPEC, credential_id="9"), in_flight(Step.DELETE_OLD), tick(), at(1))
    plan = decide(SPEC, stalled.status, tick(), at(2), "me")
    assert isinstance(plan.action, m.DeleteSecret) and plan.action.secret_uuid == OLD


@pytest.mark.parametrize(
    ("status", "msg"),
    [
        pytest.param(in_flight(Step.DELETE_OLD), tick(), id="the old secret"),
        pytest.param(
            in_flight(Step.VERIFY), m.VerifyRejected("refused"), id="a new secret IMS refused"
        ),
        pytest.param(
            in_flight(
                Step.PREPARE, new_secret_uuid=None, add_attempted_at=T0, pre_add_uuids=(OLD,)
            ),
            m.SecretsListed((SecretMeta(OLD, at(-999), None), SecretMeta(NEW, at(1), None))),
            id="a lost add's orphan",
        ),
    ],
)
def test_every_delete_of_a_rotation_carries_its_credential(status: Status, msg: m.Message) -> None:
    plan = decide(SPEC, status, msg, at(2), "me")
    assert isinstance(plan.action, m.DeleteSecret)
    assert plan.action.credential == IDS


def test_the_claim_and_the_rotations_ids_survive_the_wire_form() -> None:
    status = replace(in_flight(Step.DRAIN), claim=INTENT)
    assert Status.from_dict(status.to_dict()) == status
    older = status.to_dict()
    for key in ("orgId", "credentialId", "clientId"):
        del older["rotation"][key]
    assert Status.from_dict(older).rotation.credential is None  # type: ignore[union-attr]


def test_the_claim_checked_is_the_one_read_back_from_status() -> None:
    """The check waits until the watch shows the claim written: equal after the wire form."""
    now = T0 + timedelta(microseconds=123_456)
    plan = decide(SPEC, Status(), tick(), now, "me")
    assert isinstance(plan.action, m.CheckClaims)
    read_back = Status.from_dict(plan.status.to_dict()).claim
    assert read_back is not None and read_back.since == plan.action.since
