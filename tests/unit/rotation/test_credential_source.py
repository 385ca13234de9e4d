"""The credential an action authenticates with travels on it: the known-good copy only for a
rotation restoring a drifted Secret, checked against the HMAC status recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.credential_source import with_credential_source
from adobe_oauth_operator.rotation.model import Rotation, Step, Trigger

T0 = datetime(2026, 11, 1, tzinfo=UTC)
RESTORING = Rotation("r", Step.ADD, Trigger.DRIFT, T0, "a" * 32, from_known_good=True)
PLAIN = Rotation("r", Step.ADD, Trigger.SCHEDULED, T0, "a" * 32)
AUTHENTICATED = [m.AddSecret("r"), m.ListSecrets(m.Using.PENDING_SECRET), m.Preflight()]


@pytest.mark.parametrize("action", AUTHENTICATED, ids=lambda a: type(a).__name__)
def test_a_restoring_rotation_authenticates_with_the_known_good_copy(action: m.Action) -> None:
    stamped = with_credential_source(action, RESTORING, "hmac-1")
    assert isinstance(stamped, m.Authenticated)
    assert stamped.from_known_good == m.KnownGoodCopy("hmac-1")
    assert type(stamped) is type(action)
    assert stamped != action  # a different credential is a different action


@pytest.mark.parametrize("rotation", [None, PLAIN], ids=["idle", "not-restoring"])
@pytest.mark.parametrize("action", AUTHENTICATED, ids=lambda a: type(a).__name__)
def test_anything_else_authenticates_with_the_secret(
    action: m.Action, rotation: Rotation | None
) -> None:
    stamped = with_credential_source(action, rotation, "hmac-1")
    assert stamped == action
    assert isinstance(stamped, m.Authenticated) and stamped.from_known_good is None


def test_the_known_good_copy_without_a_recorded_hmac_is_stamped_as_such() -> None:
    stamped = with_credential_source(m.AddSecret("r"), RESTORING, None)
    assert isinstance(stamped, m.Authenticated)
    assert stamped.from_known_good == m.KnownGoodCopy(None)  # the executor refuses to use it


def test_an_action_that_does_not_authenticate_is_left_as_it_is() -> None:
    action = m.RestartTargets("r")
    assert with_credential_source(action, RESTORING, "hmac-1") is action
