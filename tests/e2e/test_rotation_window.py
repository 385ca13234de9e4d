"""Rotation windows on the real API server with a running operator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adobe_oauth_operator.names import GROUP, PLURAL, VERSION
from support.operator_env import Env, condition
from support.waiting import wait_until


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_scheduled_rotation_due_outside_the_window_waits_for_its_start(env: Env) -> None:
    # A window opening 2 hours from now (UTC, every day) and the shortest interval: the rotation
    # falls due a minute after adoption, outside the window.
    now = datetime.now(UTC)
    opens = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    closes = opens + timedelta(hours=1)
    window = {"start": f"{opens:%H:%M}", "end": f"{closes:%H:%M}", "timeZone": "UTC"}
    env.apply_credential(
        rotation={
            "interval": "1m",
            "drainPeriod": "2s",
            "checkInterval": "1s",
            "maxWait": "30s",
            "window": window,
        },
    )
    adopted = env.wait_adopted()
    due = _parse(adopted["adoptedAt"]) + timedelta(minutes=1)
    assert due < opens
    assert _parse(adopted["nextRotationTime"]) == opens
    assert "next rotation at" in condition(adopted, "Ready")["message"]

    # Past the due time, the operator looks again (a spec change wakes it) and still waits.
    wait_until(lambda: datetime.now(UTC) > due + timedelta(seconds=1), timeout=90, what="due")
    env.cluster.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        env.namespace,
        PLURAL,
        "creds",
        {"spec": {"rollout": {"timeout": "61s"}}},
    )
    generation = env.credential()["metadata"]["generation"]
    status = wait_until(
        lambda: (s := env.status()).get("observedGeneration") == generation and s,
        timeout=30,
        what="the operator seeing the overdue rotation",
    )
    assert not status.get("rotation") and not status.get("history")
    assert _parse(status["nextRotationTime"]) == opens
    assert status["phase"] == "Ready"

    # A request is not held by the window.
    env.request_rotation()
    status = env.wait_rotations(1)
    assert status["history"][0]["reason"] == "OnDemand"
    assert _parse(status["nextRotationTime"]) == opens


def test_an_unknown_time_zone_is_reported_as_invalid_spec(env: Env) -> None:
    window = {"days": ["Mon"], "start": "09:00", "end": "16:00", "timeZone": "Mars/Olympus_Mons"}
    env.apply_credential(rotation={"interval": "720h", "window": window})
    status = wait_until(
        lambda: (s := env.status()) and condition(s, "Ready").get("reason") == "InvalidSpec" and s,
        timeout=30,
        what="InvalidSpec",
    )
    message = condition(status, "Ready")["message"]
    assert (
        "spec.rotation.window.timeZone 'Mars/Olympus_Mons' is not a known IANA time zone" in message
    )
    assert "Europe/Berlin" in message
