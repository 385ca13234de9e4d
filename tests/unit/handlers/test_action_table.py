"""Each action's properties are declared once on its class: every action is dispatched to the
executor module of its family, answered, and classified; the derived tables agree."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import get_args

import pytest

from adobe_oauth_operator.handlers import executor
from adobe_oauth_operator.rotation import messages as m

T0 = datetime(2026, 11, 1, tzinfo=UTC)
ONE_OF_EACH: dict[type, m.Action] = {
    m.Adopt: m.Adopt(),
    m.Preflight: m.Preflight(),
    m.InspectDrift: m.InspectDrift("r1", "hmac"),
    m.ListSecrets: m.ListSecrets(m.Using.APP_SECRET),
    m.InspectPending: m.InspectPending("r1"),
    m.AddSecret: m.AddSecret("r1"),
    m.DeleteSecret: m.DeleteSecret("a" * 32, m.Using.PENDING_SECRET),
    m.VerifyNewSecret: m.VerifyNewSecret(),
    m.WriteAppSecret: m.WriteAppSecret("r1", "a" * 32),
    m.RestartTargets: m.RestartTargets("r1"),
    m.CheckRollouts: m.CheckRollouts("r1", ()),
    m.DeletePending: m.DeletePending(),
    m.VendToken: m.VendToken(m.Using.APP_SECRET, "a" * 32),
    m.RestartTokenReaders: m.RestartTokenReaders("stamp"),
    m.SaveKnownGood: m.SaveKnownGood("hmac", "a" * 32),
    m.DeleteKnownGood: m.DeleteKnownGood(),
    m.CheckClaims: m.CheckClaims(T0),
}
# Pinned by hand: a new action must be placed here too, and a misplaced flag fails the test
# (an action missing from MUTATING would silently skip fencing).
MUTATING = {
    "AddSecret",
    "DeleteSecret",
    "VerifyNewSecret",
    "WriteAppSecret",
    "RestartTargets",
    "DeletePending",
    "VendToken",
    "RestartTokenReaders",
    "SaveKnownGood",
    "DeleteKnownGood",
    "CheckClaims",
}
CALLS_ADOBE = {
    "Adopt",
    "InspectDrift",
    "ListSecrets",
    "InspectPending",
    "AddSecret",
    "DeleteSecret",
    "VerifyNewSecret",
    "VendToken",
}


def test_the_samples_cover_every_member_of_the_action_union() -> None:
    assert set(ONE_OF_EACH) == set(get_args(m.Action)) == set(m.ACTIONS)
    assert len(m.ACTIONS) == len(set(m.ACTIONS))


@pytest.mark.parametrize("action", ONE_OF_EACH.values(), ids=lambda a: type(a).__name__)
def test_every_action_is_dispatched_to_the_module_of_its_family(action: m.Action) -> None:
    bound = executor.handler(action)
    assert isinstance(bound, partial)
    family = type(action).props.family
    assert bound.func.__module__ == f"{executor.__name__}.{family.value}"
    assert bound.keywords == {"action": action}
    assert bound.args == ()


def test_each_success_message_answers_exactly_one_action_and_every_action_has_an_answer() -> None:
    unanswering = {m.Tick, m.ActionFailed}
    answers = [a for action in m.ACTIONS for a in action.props.answered_by]
    assert len(answers) == len(set(answers)), "a message answers two actions"
    assert set(answers) == set(get_args(m.Message)) - unanswering
    assert set(m.ANSWERS) == set(answers)
    for action in m.ACTIONS:
        assert action.props.answered_by, action
        assert all(m.ANSWERS[answer] is action for answer in action.props.answered_by)


def test_mutating_and_adobe_calling_actions_are_the_pinned_ones() -> None:
    assert {a.__name__ for a in m.MUTATING} == MUTATING
    assert {a.__name__ for a in m.CALLS_ADOBE} == CALLS_ADOBE
    assert {a.__name__ for a in m.ACTIONS if a.props.mutating} == MUTATING
    assert {a.__name__ for a in m.ACTIONS if a.props.calls_adobe} == CALLS_ADOBE


def test_every_action_that_calls_adobe_carries_the_credential_it_authenticates_with() -> None:
    for action in m.CALLS_ADOBE:
        assert issubclass(action, m.Authenticated), action
        sample = ONE_OF_EACH[action]
        assert isinstance(sample, m.Authenticated) and sample.from_known_good is None


def test_every_family_has_an_executor_module_and_an_action() -> None:
    families = {a.props.family for a in m.ACTIONS}
    assert families == set(m.Family)
    for family in m.Family:
        module = getattr(executor, family.value)
        assert module.__doc__ and len(module.__doc__.strip().splitlines()) == 1
