"""The status a step waiting for the shared Adobe request budget shows, with a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from adobe_oauth_operator.rotation.conditions import ConditionType, find, set_condition
from adobe_oauth_operator.rotation.model import Phase, Rotation, Status, Step, Trigger
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.rotation.shared_request_budget import waiting_for_request_budget

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 1, 12, 5, tzinfo=UTC)
ADOPTED = Status(phase=Phase.READY, current_secret_uuid="a" * 32, client_id="cid", adopted_at=T0)


def test_a_pending_resource_says_it_waits_for_the_request_budget() -> None:
    waiting = waiting_for_request_budget(Status(), 41.2, 800, T0)
    ready = find(waiting.conditions, ConditionType.READY)
    assert ready is not None
    assert (ready.status, ready.reason) == (False, Reason.WAITING_FOR_ADOBE_BUDGET)
    assert "800 step(s) queued" in ready.message and "about 42s" in ready.message
    assert waiting.phase is Phase.PENDING


def test_a_rotation_waiting_keeps_rotating_true_and_its_transition_time() -> None:
    rotation = Rotation(
        id="r1", step=Step.ADD, trigger=Trigger.ON_DEMAND, started_at=T0, old_secret_uuid="a" * 32
    )
    conditions = set_condition((), ConditionType.ROTATING, True, Reason.ROTATING, "adding", T0)
    status = replace(ADOPTED, phase=Phase.ROTATING, rotation=rotation, conditions=conditions)
    waiting = waiting_for_request_budget(status, 3.0, 50, T1)
    rotating = find(waiting.conditions, ConditionType.ROTATING)
    assert rotating is not None
    assert (rotating.status, rotating.reason) == (True, Reason.WAITING_FOR_ADOBE_BUDGET)
    assert rotating.last_transition_time == T0


def test_an_idle_resource_is_left_alone() -> None:
    assert waiting_for_request_budget(ADOPTED, 30.0, 500, T0) == ADOPTED


def test_a_pause_adobe_asked_for_is_shown_with_its_end() -> None:
    waiting = waiting_for_request_budget(Status(), 600.0, 0, T0, paused_s=600.0)
    ready = find(waiting.conditions, ConditionType.READY)
    assert ready is not None and ready.reason == Reason.WAITING_FOR_ADOBE_BUDGET
    assert "Retry-After" in ready.message and "2026-11-01T12:10:00+00:00" in ready.message
