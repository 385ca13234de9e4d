"""Condition transitions: lastTransitionTime moves only when the status flips."""

from datetime import UTC, datetime, timedelta

from adobe_oauth_operator.rotation.conditions import ConditionType, find, set_condition
from adobe_oauth_operator.rotation.reasons import Reason

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_transition_time_moves_only_on_flip() -> None:
    conds = set_condition((), ConditionType.READY, True, Reason.ADOPTED, "a", T0)
    later = T0 + timedelta(hours=1)
    same = set_condition(conds, ConditionType.READY, True, Reason.ROTATED, "b", later)
    ready = find(same, ConditionType.READY)
    assert ready is not None
    assert (ready.last_transition_time, ready.reason, ready.message) == (T0, Reason.ROTATED, "b")
    flipped = find(
        set_condition(same, ConditionType.READY, False, Reason.IDLE, "c", later),
        ConditionType.READY,
    )
    assert flipped is not None and flipped.last_transition_time == later


def test_conditions_keep_a_stable_order() -> None:
    conds = set_condition((), ConditionType.STALLED, False, Reason.IDLE, "", T0)
    conds = set_condition(conds, ConditionType.READY, True, Reason.IDLE, "", T0)
    assert [c.type for c in conds] == [ConditionType.READY, ConditionType.STALLED]
