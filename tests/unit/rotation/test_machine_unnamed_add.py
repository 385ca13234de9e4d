"""An add answered as Adobe's OpenAPI description documents it (no uuid, no created_at): the
value is kept, and the new secret is named from the next list, or nothing is deleted."""

from __future__ import annotations

import pytest
from test_machine import NEW, OLD, SPEC, STRAY, at, cond, rotating, secret, tick

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.conditions import ConditionType
from adobe_oauth_operator.rotation.machine import decide
from adobe_oauth_operator.rotation.model import Phase, Status, Step
from adobe_oauth_operator.rotation.reasons import Reason

ADDED_AT = 10  # seconds after T0: when the add was sent


def adding() -> Status:
    return rotating(Step.ADD, pre_add_uuids=(OLD,), add_attempted_at=at(ADDED_AT), add_attempts=1)


@pytest.mark.parametrize(
    "answer",
    [m.SecretAdded(None, None), m.SecretAdded(None, at(ADDED_AT)), m.SecretAdded(NEW, None)],
    ids=["neither", "no-uuid", "no-created-at"],
)
def test_an_add_answer_lacking_uuid_or_time_lists_to_learn_it(answer: m.SecretAdded) -> None:
    plan = decide(SPEC, adding(), answer, at(ADDED_AT + 1))
    rot = plan.status.rotation
    assert rot is not None
    assert (rot.step, rot.new_secret_uuid) == (Step.ADD, None)
    assert plan.action == m.InspectPending("r1")
    assert cond(plan, ConditionType.STALLED) != (True, Reason.NEW_SECRET_UNIDENTIFIED)
    assert not any(e.warning for e in plan.events)


def test_a_named_pending_value_learns_its_creation_time_from_the_list() -> None:
    listed = (secret(OLD), secret(NEW, created=ADDED_AT + 1))
    plan = decide(SPEC, adding(), m.PendingInspected(listed, NEW), at(ADDED_AT + 2))
    rot = plan.status.rotation
    assert rot is not None
    assert (rot.step, rot.new_secret_uuid, rot.new_secret_created_at) == (
        Step.VERIFY,
        NEW,
        at(ADDED_AT + 1),
    )
    assert plan.action == m.VerifyNewSecret()


@pytest.mark.parametrize(
    "listed",
    [
        (secret(OLD), secret(NEW, created=ADDED_AT + 1)),
        (secret(NEW, created=ADDED_AT + 1), secret(OLD)),
        # Within the clock skew the operator allows between its clock and Adobe's.
        (secret(OLD), secret(NEW, created=ADDED_AT - 30)),
    ],
    ids=["after-old", "before-old", "skewed-clock"],
)
def test_the_one_secret_created_by_the_add_is_the_new_one(
    listed: tuple[m.SecretMeta, ...],
) -> None:
    msg = m.PendingInspected(listed, None, unnamed_value_held=True)
    plan = decide(SPEC, adding(), msg, at(ADDED_AT + 2))
    rot = plan.status.rotation
    assert rot is not None
    assert (rot.step, rot.new_secret_uuid) == (Step.VERIFY, NEW)
    assert rot.new_secret_created_at == next(s.created_at for s in listed if s.uuid == NEW)
    assert plan.action == m.VerifyNewSecret()
    assert [e.reason for e in plan.events] == [Reason.SECRET_ADDED]


@pytest.mark.parametrize(
    ("listed", "says"),
    [
        # Someone else added one meanwhile: two candidates, neither provable.
        (
            (secret(OLD), secret(NEW, created=ADDED_AT + 1), secret(STRAY, created=ADDED_AT + 1)),
            "2 client secrets were created since it was sent",
        ),
        # A new uuid, but created long before the add: not made by it.
        ((secret(OLD), secret(STRAY, created=-3600)), "no client secret is proven created by it"),
        # A new uuid whose creation time Adobe did not give: nothing proves it ours.
        (
            (secret(OLD), m.SecretMeta(STRAY, None, None)),
            "no client secret is proven created by it",
        ),
        # Not listed (yet): nothing to name.
        ((secret(OLD),), "Adobe does not list a new client secret yet"),
    ],
    ids=["two-new", "created-before-the-add", "creation-time-unknown", "none-listed"],
)
def test_an_unnamed_value_never_deletes_and_stalls_saying_why(
    listed: tuple[m.SecretMeta, ...], says: str
) -> None:
    msg = m.PendingInspected(listed, None, unnamed_value_held=True)
    plan = decide(SPEC, adding(), msg, at(ADDED_AT + 2))
    assert plan.action is None
    assert not isinstance(plan.action, m.DeleteSecret | m.AddSecret)
    rot = plan.status.rotation
    assert rot is not None and (rot.step, rot.new_secret_uuid) == (Step.ADD, None)
    assert plan.status.phase is Phase.STALLED
    assert cond(plan, ConditionType.STALLED) == (True, Reason.NEW_SECRET_UNIDENTIFIED)
    assert plan.requeue_after == SPEC.check_interval
    (event,) = plan.events
    assert event.warning and says in event.message and "pending Secret" in event.message


def test_a_stall_on_an_unnamed_value_resolves_once_the_foreign_secret_is_gone() -> None:
    two = (secret(OLD), secret(NEW, created=ADDED_AT + 1), secret(STRAY, created=ADDED_AT + 1))
    stalled = decide(
        SPEC, adding(), m.PendingInspected(two, None, unnamed_value_held=True), at(ADDED_AT + 2)
    ).status
    again = decide(SPEC, stalled, tick(), at(ADDED_AT + 70))
    assert again.action == m.InspectPending("r1")
    one = (secret(OLD), secret(NEW, created=ADDED_AT + 1))
    plan = decide(SPEC, stalled, m.PendingInspected(one, None, unnamed_value_held=True), at(80))
    rot = plan.status.rotation
    assert rot is not None and (rot.step, rot.new_secret_uuid) == (Step.VERIFY, NEW)
    assert plan.status.phase is not Phase.STALLED
    assert cond(plan, ConditionType.STALLED) != (True, Reason.NEW_SECRET_UNIDENTIFIED)


def test_without_a_held_value_an_unproven_new_secret_is_still_an_orphan_to_delete() -> None:
    """The old behaviour stays for a lost add answer: a secret proven ours whose value nobody
    holds is deleted before adding again."""
    listed = (secret(OLD), secret(STRAY, created=ADDED_AT + 1))
    plan = decide(SPEC, adding(), m.PendingInspected(listed, None), at(ADDED_AT + 2))
    assert plan.action == m.DeleteSecret(STRAY, m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW)
