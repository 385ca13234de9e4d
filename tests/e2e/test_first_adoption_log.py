"""The operator's log says once, at adoption, what it learned from Adobe: the first thing to read
after pointing it at the real service."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from support.operator_env import CRED, ORG, Env

OTHER = "p8e-a-second-secret-nobody-uses"


def _adoption_lines(env: Env) -> list[str]:
    marker = f"{env.namespace}/creds: adopted credential {ORG}/{CRED}:"
    return [line for line in env.operator.logs().splitlines() if marker in line]


def _when(ms: int) -> str:
    at = datetime.fromtimestamp(ms / 1000, UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.sim_secrets(OTHER)
def test_the_adoption_line_lists_both_secrets_and_the_one_the_secret_holds(env: Env) -> None:
    env.apply_credential()
    held = env.wait_adopted()["currentSecretUuid"]
    env.operator.wait_for_log(f"{env.namespace}/creds: adopted credential")
    [line] = _adoption_lines(env)
    listed = {s["uuid"]: s for s in env.adobe_secrets()}
    [other] = [uuid for uuid in listed if uuid != held]
    assert "Adobe lists 2 client secret(s)" in line
    assert f"Secret {env.namespace}/adobe-creds holds {held};" in line
    assert f"{held} (the Secret holds it): created {_when(listed[held]['created_at'])}" in line
    assert f"{other}: created {_when(listed[other]['created_at'])}, last used never" in line
    assert env.initial_value not in line and OTHER not in line


def test_the_adoption_is_logged_once_not_by_later_passes_nor_after_a_restart(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    env.operator.wait_for_log(f"{env.namespace}/creds: adopted credential")
    # A rotation's passes, a restart and a rotation by the restarted operator (so it has
    # reconciled the adopted resource): none says it again.
    env.request_rotation()
    env.wait_rotations(1)
    env.operator.stop()
    env.operator.start()
    env.request_rotation()
    env.wait_rotations(2)
    assert env.operator.logs().count("--- start 2 ---") == 1
    [line] = _adoption_lines(env)
    assert "Adobe lists 1 client secret(s)" in line
    assert env.initial_value not in env.operator.logs()
