"""status.currentSecretCreatedAt: set whenever the current secret changes and its creation time is
known, cleared when it is not (never the age of the previous secret), learned from any list when
a status written by an older operator lacks it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.machine import decide
from adobe_oauth_operator.rotation.model import (
    Phase,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    Trigger,
)
from support.claims import claimed

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OLD, NEW, OTHER = "a" * 32, "b" * 32, "c" * 32
OLD_CREATED = T0 - timedelta(days=80)  # what status holds for the current secret
NEW_CREATED = T0 + timedelta(seconds=3)  # as Adobe reports the secret a rotation added
OTHER_CREATED = T0 - timedelta(days=2)
SPEC = Spec(
    org_id="1",
    credential_id="2",
    secret_name="creds",
    drain_period=timedelta(minutes=15),
    check_interval=timedelta(seconds=60),
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def listed(*secrets: tuple[str, datetime]) -> tuple[SecretMeta, ...]:
    return tuple(SecretMeta(uuid, created, None) for uuid, created in secrets)


def idle(created: datetime | None = OLD_CREATED) -> Status:
    return claimed(
        SPEC,
        Status(
            phase=Phase.READY,
            client_id="cid",
            current_secret_uuid=OLD,
            current_secret_created_at=created,
            adopted_at=T0,
        ),
    )


def rotating(
    step: Step,
    created: datetime | None = OLD_CREATED,
    trigger: Trigger = Trigger.ON_DEMAND,
    **kw: object,
) -> Status:
    rot = Rotation(
        id="r1",
        step=step,
        trigger=trigger,
        started_at=T0,
        old_secret_uuid=OLD,
        new_secret_uuid=NEW if step not in (Step.PREPARE, Step.ADD) else None,
        add_attempted_at=T0,
        pre_add_uuids=(OLD,),
        from_known_good=trigger is Trigger.DRIFT,
    )
    rot = replace(rot, **kw)  # type: ignore[arg-type]
    return replace(idle(created), phase=Phase.ROTATING, rotation=rot)


# (status before, message, current uuid after, current created after, new created in rotation)
CASES = [
    pytest.param(
        claimed(SPEC),
        m.Adopted(OLD, "cid", "f", OLD_CREATED),
        OLD,
        OLD_CREATED,
        None,
        id="adoption-carries-the-listed-time",
    ),
    pytest.param(
        claimed(SPEC), m.Adopted(OLD, "cid", "f"), OLD, None, None, id="adoption-without-a-time"
    ),
    pytest.param(
        idle(),
        m.DriftAdopted(OTHER, "f2", OTHER_CREATED),
        OTHER,
        OTHER_CREATED,
        None,
        id="drift-adoption-carries-the-time",
    ),
    pytest.param(
        idle(),
        m.DriftAdopted(OTHER, "f2"),
        OTHER,
        None,
        None,
        id="drift-adoption-without-a-time-clears-it",
    ),
    pytest.param(
        rotating(Step.ADD),
        m.SecretAdded(NEW, NEW_CREATED),
        OLD,
        OLD_CREATED,
        NEW_CREATED,
        id="add-records-the-new-secrets-time-current-unchanged",
    ),
    pytest.param(
        rotating(Step.ADD),
        m.PendingInspected(listed((OLD, OLD_CREATED), (NEW, NEW_CREATED)), NEW),
        OLD,
        OLD_CREATED,
        NEW_CREATED,
        id="lost-add-response-takes-the-time-from-the-list",
    ),
    pytest.param(
        rotating(Step.DELETE_OLD, new_secret_created_at=NEW_CREATED),
        m.SecretDeleted(OLD),
        NEW,
        NEW_CREATED,
        None,
        id="rotation-ends-the-new-secret-is-current",
    ),
    pytest.param(
        rotating(Step.DELETE_OLD),
        m.SecretDeleted(OLD),
        NEW,
        None,
        None,
        id="rotation-ends-time-unknown-clears-it",
    ),
    pytest.param(
        rotating(Step.DELETE_OLD, trigger=Trigger.DRIFT, new_secret_created_at=NEW_CREATED),
        m.SecretDeleted(OLD),
        NEW,
        NEW_CREATED,
        None,
        id="restore-from-the-known-good-copy-ends",
    ),
    pytest.param(
        rotating(Step.VERIFY, new_secret_created_at=NEW_CREATED),
        m.SecretDeleted(NEW),
        OLD,
        OLD_CREATED,
        None,
        id="failed-verification-keeps-the-current-secret-and-its-time",
    ),
    pytest.param(
        idle(created=None),
        m.SecretsListed(listed((OLD, OLD_CREATED))),
        OLD,
        OLD_CREATED,
        None,
        id="legacy-status-learns-it-from-a-list",
    ),
    pytest.param(
        idle(created=None),
        m.SecretsListed(listed((OTHER, OTHER_CREATED))),
        OLD,
        None,
        None,
        id="legacy-status-current-not-listed-stays-unknown",
    ),
    pytest.param(
        idle(),
        m.SecretsListed(listed((OLD, T0))),
        OLD,
        OLD_CREATED,
        None,
        id="a-known-time-is-not-overwritten",
    ),
    pytest.param(
        rotating(Step.PREPARE, created=None),
        m.SecretsListed(listed((OLD, OLD_CREATED))),
        OLD,
        OLD_CREATED,
        None,
        id="legacy-status-learns-it-when-a-rotation-lists",
    ),
    pytest.param(
        rotating(Step.DRAIN, rollout_completed_at=T0, next_check_at=T0),
        m.SecretsListed(listed((OLD, OLD_CREATED), (NEW, NEW_CREATED))),
        OLD,
        OLD_CREATED,
        NEW_CREATED,
        id="legacy-rotation-learns-the-new-secrets-time-while-draining",
    ),
]


@pytest.mark.parametrize(("before", "msg", "uuid", "created", "new_created"), CASES)
def test_current_secret_created_at(
    before: Status,
    msg: m.Message,
    uuid: str,
    created: datetime | None,
    new_created: datetime | None,
) -> None:
    plan = decide(SPEC, before, msg, at(10))
    after = plan.status
    assert after.current_secret_uuid == uuid
    assert after.current_secret_created_at == created
    rot = after.rotation
    assert (rot.new_secret_created_at if rot else None) == new_created
    assert Status.from_dict(after.to_dict()) == after, "survives the wire form"


def test_a_whole_rotation_leaves_the_new_secrets_time_in_status() -> None:
    status = idle()
    steps: list[m.Message] = [
        m.Tick("r1", rotate_request="go"),
        m.PreflightPassed(),
        m.SecretsListed(listed((OLD, OLD_CREATED))),
        m.SecretAdded(NEW, NEW_CREATED),
        m.Verified(),
        m.AppSecretWritten("f-new"),
        m.TargetsRestarted(()),
        m.RolloutsChecked(()),
        m.SecretsListed(listed((OLD, OLD_CREATED), (NEW, NEW_CREATED))),
    ]
    for i, msg in enumerate(steps):
        status = decide(SPEC, status, msg, at(i)).status
        # The old secret's time stays until the new one is current: the age is never mixed.
        assert status.current_secret_created_at == OLD_CREATED
    drained = decide(SPEC, status, steps[-1], at(16 * 60))
    assert drained.action == m.DeleteSecret(
        OLD, m.Using.PENDING_SECRET, m.DeleteGuard.APP_HOLDS_NEW
    )
    assert drained.status.current_secret_created_at == OLD_CREATED
    status = decide(SPEC, drained.status, m.SecretDeleted(OLD), at(16 * 60 + 1)).status
    assert status.rotation is None and status.history[0].succeeded
    assert (status.current_secret_uuid, status.current_secret_created_at) == (NEW, NEW_CREATED)
