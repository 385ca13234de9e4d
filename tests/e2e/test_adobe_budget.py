"""A credential waiting its turn under the operator's shared Adobe budget says so in status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from support.operator_env import Env, condition
from support.waiting import wait_until

# One Adobe step at a time, a request every 2 s: four new credentials queue behind each other,
# and a step with another queued ahead of it would wait longer than the 2 s worth saying.
BUDGETED = pytest.mark.operator_args("--adobe-max-rps", "0.5", "--adobe-max-concurrency", "1")
NAMES = ("c0", "c1", "c2", "c3")


def _first_waiting(env: Env) -> dict[str, Any] | None:
    for name in NAMES:
        status = env.status(name)
        if condition(status, "Ready").get("reason") == "WaitingForAdobeBudget":
            return status
    return None


def _all_adopted(env: Env) -> list[dict[str, Any]] | None:
    statuses = [env.status(name) for name in NAMES]
    return statuses if all(s.get("phase") == "Ready" for s in statuses) else None


@BUDGETED
def test_a_credential_waiting_for_the_adobe_budget_says_so_then_is_adopted(env: Env) -> None:
    env.apply_credential(NAMES[0])
    for number, name in enumerate(NAMES[1:], start=1):
        # One owner per Secret and credential: each its own.
        env.separate_credential(f"{number}000000", f"creds-{name}")
        env.apply_credential(name, credentialId=f"{number}000000", secretName=f"creds-{name}")
    waiting = wait_until(
        lambda: _first_waiting(env),
        timeout=60,
        what="a credential saying it waits for the Adobe budget",
        interval=0.2,
    )
    ready = condition(waiting, "Ready")
    assert ready["status"] == "False" and waiting["phase"] == "Pending"
    assert "shared by all credentials" in ready["message"]
    assert "step(s) queued ahead" in ready["message"]

    statuses = wait_until(lambda: _all_adopted(env), timeout=90, what="all four adopted")
    assert [condition(s, "Ready")["reason"] for s in statuses] == ["Adopted"] * 4
    requests = env.sim.state()["requests"]
    # One list and one token each (four credentials, four client ids).
    assert sum(requests["list"].values()) == 4
    assert sum(requests["token"].values()) == 4


def test_a_retry_after_pause_is_bounded_and_shown_in_status(env: Env) -> None:
    """Adobe answers 429 with Retry-After: one day. Every step pauses, for at most 10 minutes,
    and a credential whose step waits for that pause says until when."""
    env.sim.fault(endpoint="list", status=429, retry_after=86400)
    env.apply_credential("c0")
    wait_until(
        lambda: env.sim.state()["requests"]["list"].get("429"),
        timeout=60,
        what="Adobe's 429 to the first list",
    )
    env.separate_credential("1000000", "creds-c1")
    env.apply_credential("c1", credentialId="1000000", secretName="creds-c1")

    def paused_message() -> str | None:
        message = condition(env.status("c1"), "Ready").get("message") or ""
        return message if "Retry-After" in message else None

    message = wait_until(paused_message, timeout=60, what="c1 showing the pause", interval=0.2)
    assert condition(env.status("c1"), "Ready")["reason"] == "WaitingForAdobeBudget"
    until = datetime.fromisoformat(message.rsplit("until ", 1)[1].split()[0].rstrip(";"))
    # Bounded: about 10 minutes from now, not the day Adobe asked for.
    assert until - datetime.now(UTC) <= timedelta(minutes=10, seconds=5)
    assert until - datetime.now(UTC) >= timedelta(minutes=8)
