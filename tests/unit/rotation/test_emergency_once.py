"""An emergency is one-shot: it is spent on the rotate request it came with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.machine import decide
from adobe_oauth_operator.rotation.model import Phase, Rotation, Spec, Status, Step, Trigger
from support.claims import claimed

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SPEC = Spec(org_id="1", credential_id="2", secret_name="creds")
IDLE = claimed(SPEC, Status(phase=Phase.READY, current_secret_uuid="a" * 32, adopted_at=NOW))
ROTATION = Rotation("r0", Step.ROLLOUT, Trigger.ON_DEMAND, NOW, "a" * 32, "b" * 32)


def tick(request: str | None, emergency: bool) -> m.Tick:
    return m.Tick(new_rotation_id="r1", rotate_request=request, emergency=emergency)


@pytest.mark.parametrize(
    ("status", "rotate", "emergency", "spent"),
    [
        pytest.param(IDLE, "1", True, "1", id="idle: new request with emergency"),
        pytest.param(IDLE, "1", False, None, id="idle: plain request"),
        pytest.param(
            replace(IDLE, last_rotate_request="1"), "1", True, None, id="idle: emergency alone"
        ),
        pytest.param(claimed(SPEC), "1", True, "1", id="before adoption: taken by adoption"),
        pytest.param(
            replace(IDLE, phase=Phase.ROTATING, rotation=ROTATION, last_rotate_request="0"),
            "1",
            True,
            "1",
            id="rotating: upgrade",
        ),
        pytest.param(IDLE, None, True, None, id="emergency without any request"),
    ],
)
def test_the_request_an_emergency_came_with_is_recorded(
    status: Status, rotate: str | None, emergency: bool, spent: str | None
) -> None:
    plan = decide(SPEC, status, tick(rotate, emergency), NOW)
    assert plan.status.last_emergency_request == spent


def test_a_suspended_resource_does_not_spend_the_emergency() -> None:
    plan = decide(replace(SPEC, suspend=True), IDLE, tick("1", True), NOW)
    assert plan.status.last_emergency_request is None
    assert plan.status.rotation is None


def test_after_the_emergency_is_spent_the_next_plain_request_is_on_demand() -> None:
    first = decide(SPEC, IDLE, tick("1", True), NOW)
    assert first.status.rotation is not None
    assert first.status.rotation.trigger is Trigger.EMERGENCY
    done = replace(first.status, rotation=None, phase=Phase.READY)
    # The annotation was removed by the operator: the next request comes without it.
    second = decide(SPEC, done, tick("2", False), NOW)
    assert second.status.rotation is not None
    assert second.status.rotation.trigger is Trigger.ON_DEMAND
    assert second.status.last_emergency_request == "1"


def test_status_round_trips_the_spent_request() -> None:
    status = replace(IDLE, last_emergency_request="1")
    assert Status.from_dict(status.to_dict()).last_emergency_request == "1"
    assert status.to_dict()["lastEmergencyRequest"] == "1"
