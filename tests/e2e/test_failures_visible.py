"""Failures found before Adobe is touched, and failures that are shown while they last."""

from __future__ import annotations

from support.operator_env import Env, condition
from support.waiting import wait_until


def _adds(env: Env) -> int:
    return sum(env.sim.state()["requests"]["add"].values())


def test_an_immutable_secret_stalls_the_rotation_before_any_add(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    env.cluster.core.patch_namespaced_secret("adobe-creds", env.namespace, {"immutable": True})
    env.request_rotation()
    status = env.wait_phase("Stalled")
    stalled = condition(status, "Stalled")
    assert stalled["reason"] == "SecretNotWritable"
    assert "immutable" in stalled["message"]
    assert _adds(env) == 0
    assert env.wait_events("SecretNotWritable")


def test_a_missing_rollout_target_stalls_the_rotation_before_any_add(env: Env) -> None:
    env.apply_credential(
        rollout={"timeout": "60s", "targets": [{"kind": "Deployment", "name": "nope"}]}
    )
    env.wait_adopted()
    env.request_rotation()
    status = env.wait_phase("Stalled")
    stalled = condition(status, "Stalled")
    assert stalled["reason"] == "TargetNotFound"
    assert "Deployment/nope" in stalled["message"]
    assert _adds(env) == 0


def test_a_secret_value_under_the_client_id_key_is_refused_and_never_shown(env: Env) -> None:
    env.cluster.core.patch_namespaced_secret(
        "adobe-creds", env.namespace, {"stringData": {"ADOBE_CLIENT_ID": env.initial_value}}
    )
    env.apply_credential()
    status = wait_until(
        lambda: (
            (s := env.status()) and condition(s, "Ready").get("reason") == "ClientIdInvalid" and s
        ),
        timeout=60,
        what="ClientIdInvalid",
    )
    assert status["phase"] == "Pending"
    assert "32 hexadecimal" in condition(status, "Ready")["message"]
    assert sum(env.sim.state()["requests"]["token"].values()) == 0, "nothing was sent to IMS"
    # The fixture checks that the value reached no log line, event or status.


def test_adobe_failing_is_shown_with_attempts_and_next_retry_then_clears(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    env.sim.fault(endpoint="list", status=500, count=10_000)
    env.request_rotation()
    status = wait_until(
        lambda: (s := env.status()).get("retry") and s["retry"]["attempts"] >= 2 and s,
        timeout=120,
        what="two failed attempts recorded",
    )
    retry = status["retry"]
    assert retry["action"] == "ListSecrets" and retry["nextRetryAt"] and retry["message"]
    degraded = condition(status, "Degraded")
    assert degraded["status"] == "True" and "ListSecrets failed" in degraded["message"]
    assert "next attempt at" in condition(status, "Rotating")["message"]
    warnings = [e for e in env.events() if e.type == "Warning" and "ListSecrets" in e.message]
    assert len(warnings) == 1, "one Warning for the first failure, not one per retry"
    env.sim.call("DELETE", "/__sim/faults")
    env.wait_rotations(1, timeout=240)
    env.assert_clean_end_state(1)
    status = env.status()
    assert status.get("retry") is None
    assert condition(status, "Degraded")["status"] == "False"
    assert env.events("Recovered")
