"""The operator as a process against the real control plane and the Adobe simulator."""

from __future__ import annotations

import base64
import contextlib
from datetime import datetime, timedelta

import pytest

from support import workloads
from support.dialects import BOTH_DIALECTS
from support.operator_env import FAST_ROTATION, Env
from support.waiting import wait_until


@BOTH_DIALECTS
def test_adoption_learns_the_uuid_without_rotating(env: Env) -> None:
    env.apply_credential()
    status = env.wait_adopted()
    [only] = env.adobe_secrets()
    assert status["currentSecretUuid"] == only["uuid"]
    assert status["clientId"] == env.client_id
    assert not status.get("history")
    assert env.app_secret_value() == env.initial_value
    assert [c["type"] for c in status["conditions"]] == ["Ready", "Rotating", "Stalled", "Degraded"]
    assert env.wait_events("Adopted")


@BOTH_DIALECTS
def test_on_demand_rotation_rolls_apps_and_deletes_the_old_secret(env: Env) -> None:
    env.add_deployment("web")
    env.apply_credential()
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    grants_before = env.sim.token_grants()
    pods_before = set(workloads.ready_pods(env.cluster, env.namespace, "web"))
    with env.apps() as apps:
        env.request_rotation()
        status = env.wait_rotations(1)
    env.assert_clean_end_state(1)
    assert status["currentSecretUuid"] != old_uuid
    assert env.app_secret_value() != env.initial_value
    entry = status["history"][0]
    assert (entry["oldSecretUuid"], entry["reason"]) == (old_uuid, "OnDemand")
    # Every pod was replaced and carries the rotation id; apps never held a dead secret.
    pods_after = set(workloads.ready_pods(env.cluster, env.namespace, "web"))
    assert pods_before.isdisjoint(pods_after)
    deploy = env.cluster.apps.read_namespaced_deployment("web", env.namespace)
    assert (
        deploy.spec.template.metadata.annotations["adobe-oauth-operator.dev/rotation-id"]
        == entry["id"]
    )
    assert apps.uses > 0
    assert apps.errors == []
    # The user's other keys and labels survive; the operator only wrote its own fields.
    secret = env.cluster.core.read_namespaced_secret("adobe-creds", env.namespace)
    assert base64.b64decode(secret.data["OTHER_KEY"]) == b"kept"
    assert secret.metadata.labels["team"] == "payments"
    assert (
        secret.metadata.annotations["adobe-oauth-operator.dev/secret-uuid"]
        == (status["currentSecretUuid"])
    )
    # At most one token per secret for the whole rotation.
    assert env.sim.token_grants() - grants_before <= 2
    env.wait_events("Rotated")  # emitted right after the status write the wait saw
    assert {
        "RotationStarted",
        "SecretAdded",
        "SecretVerified",
        "SecretUpdated",
        "Restarted",
        "RolloutComplete",
        "Rotated",
    } <= {e.reason for e in env.events()}
    assert len(env.events("Restarted")) == 1


def test_scheduled_rotation(env: Env) -> None:
    # 1m is the shortest interval the CRD admits (shorter ones rotated continuously).
    env.apply_credential(rotation={**FAST_ROTATION, "interval": "1m"})
    adopted_at = _time(env.wait_adopted()["adoptedAt"])
    status = env.wait_rotations(1, timeout=150)
    [entry] = status["history"]
    assert entry["reason"] == "Scheduled"  # nothing but the schedule asked for it
    assert _time(entry["startedAt"]) >= adopted_at + timedelta(minutes=1)
    # The next one is due an interval after this one finished.
    last = _time(status["lastRotationTime"])
    assert _time(status["nextRotationTime"]) == last + timedelta(minutes=1)
    assert len(env.adobe_secrets()) == 1


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_emergency_rotation_skips_the_drain(env: Env) -> None:
    env.add_deployment("web")
    env.apply_credential(rotation={**FAST_ROTATION, "drainPeriod": "1h", "maxWait": "2h"})
    env.wait_adopted()
    with env.apps() as apps:
        env.request_rotation(emergency=True)
        status = env.wait_rotations(1, timeout=60)
    assert status["history"][0]["reason"] == "Emergency"
    env.assert_clean_end_state(1)
    assert apps.errors == []


@BOTH_DIALECTS
def test_outside_consumer_keeps_old_secret_and_stalls(env: Env) -> None:
    env.apply_credential(rotation={**FAST_ROTATION, "maxWait": "3s"})
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    env.request_rotation()
    wait_until(
        lambda: (env.status().get("rotation") or {}).get("step") == "Drain",
        timeout=60,
        what="drain step",
    )

    def stalled_while_used() -> bool:
        env.sim.use(env.client_id, env.initial_value)  # a consumer the operator cannot restart
        return env.status().get("phase") == "Stalled"

    wait_until(stalled_while_used, timeout=60, what="Stalled", interval=0.3)
    status = env.status()
    stalled = next(c for c in status["conditions"] if c["type"] == "Stalled")
    assert stalled["reason"] == "OldSecretStillInUse"
    assert old_uuid in stalled["message"]
    assert {s["uuid"] for s in env.adobe_secrets()} >= {old_uuid}
    assert len(env.adobe_secrets()) == 2
    warnings = env.wait_events("OldSecretStillInUse")
    assert warnings
    assert all(e.type == "Warning" for e in warnings)
    # Once the consumer stops, the drain completes and the old secret goes.
    env.wait_rotations(1, timeout=60)
    env.assert_clean_end_state(1)


@BOTH_DIALECTS
def test_on_still_in_use_delete(env: Env) -> None:
    # The consumer below uses the old secret every 0.3s, so it never drains for drainPeriod (2s):
    # maxWait (3s, no shorter than drainPeriod as the CRD requires) ends the wait.
    env.apply_credential(rotation={**FAST_ROTATION, "maxWait": "3s", "onStillInUse": "Delete"})
    env.wait_adopted()
    env.request_rotation()
    wait_until(
        lambda: (env.status().get("rotation") or {}).get("step") == "Drain",
        timeout=60,
        what="drain step",
    )

    def finished_while_used() -> bool:
        with contextlib.suppress(OSError):  # once the old secret is gone, its consumer is refused
            env.sim.use(env.client_id, env.initial_value)
        return len(env.status().get("history") or []) == 1

    wait_until(finished_while_used, timeout=60, what="rotation done", interval=0.3)
    env.assert_clean_end_state(1)
    assert env.events("DeletingSecretStillInUse")


def test_rollout_that_never_completes_stalls_and_deletes_nothing(env: Env) -> None:
    env.add_deployment("web")
    env.apply_credential(rollout={"timeout": "3s"})
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    # New pods can never schedule: the rollout stays incomplete; old pods keep serving.
    env.cluster.apps.patch_namespaced_deployment(
        "web",
        env.namespace,
        {"spec": {"template": {"spec": {"nodeSelector": {"no-such-node": "true"}}}}},
    )
    wait_until(
        lambda: (
            workloads.read(
                env.cluster, env.namespace, "Deployment", "web"
            ).status.observed_generation
            == 2
        ),
        timeout=30,
        what="selector applied",
    )
    env.request_rotation()
    status = env.wait_phase("Stalled", timeout=60)
    stalled = next(c for c in status["conditions"] if c["type"] == "Stalled")
    assert stalled["reason"] == "RolloutTimeout"
    assert "Deployment/web" in stalled["message"]
    assert old_uuid in {s["uuid"] for s in env.adobe_secrets()}
    assert len(env.adobe_secrets()) == 2
    assert status["rotation"]["step"] == "Rollout"


def test_paused_deployment_is_not_patched_silently(env: Env) -> None:
    env.add_deployment("web")
    env.cluster.apps.patch_namespaced_deployment("web", env.namespace, {"spec": {"paused": True}})
    env.apply_credential()
    env.wait_adopted()
    env.request_rotation()
    status = env.wait_phase("Stalled")
    assert next(c for c in status["conditions"] if c["type"] == "Stalled")["reason"] == (
        "RolloutPaused"
    )
    assert env.wait_events("RolloutPaused")
    deploy = env.cluster.apps.read_namespaced_deployment("web", env.namespace)
    assert "adobe-oauth-operator.dev/rotation-id" not in (
        deploy.spec.template.metadata.annotations or {}
    )
    # Resuming it lets the rotation finish.
    env.cluster.apps.patch_namespaced_deployment("web", env.namespace, {"spec": {"paused": False}})
    env.wait_rotations(1, timeout=90)
    env.assert_clean_end_state(1)


@pytest.mark.sim_secrets("a-foreign-secret-value-0123456789")
def test_foreign_second_secret_is_refused(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    env.request_rotation()
    status = env.wait_phase("Stalled")
    stalled = next(c for c in status["conditions"] if c["type"] == "Stalled")
    assert stalled["reason"] == "SecretLimitReached"
    assert "Developer Console" in stalled["message"]
    assert len(env.adobe_secrets()) == 2
    assert env.app_secret_value() == env.initial_value


@BOTH_DIALECTS
def test_lost_add_response_is_reconciled_not_retried_blindly(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    env.sim.fault(endpoint="add", status="drop", count=1, after_commit=True)
    env.request_rotation()
    status = env.wait_rotations(1)
    env.assert_clean_end_state(1)
    assert env.events("AddResponseLost")
    assert env.events("OrphanSecretDeleted")
    assert status["history"][0]["result"] == "Succeeded"
    adds = env.sim.state()["requests"]["add"]
    assert sum(adds.values()) == 2, adds


@pytest.mark.sim_args("--token-rate", "3")
def test_tokens_are_cached_so_throttling_never_bites(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    for done in (1, 2):
        env.request_rotation()
        env.wait_rotations(done)
    tokens = env.sim.state()["requests"]["token"]
    assert tokens.get("429", 0) == 0, tokens
    assert tokens["200"] <= 3, "one grant to adopt, then one per rotation (the new secret)"
    env.assert_clean_end_state(2)


CRASH_POINTS = [
    "ListSecrets",
    "AddSecret",  # spec: right after an add answer that named no uuid, before the list names it
    "InspectPending",  # spec: the list that names the new secret, before status records it
    "VerifyNewSecret",
    "WriteAppSecret",
    "RestartTargets",
    "CheckRollouts",
    "DeleteSecret",
    "DeletePending",
]


# Every crash point in the spec dialect; in the guide dialect the steps whose answers differ:
# add (201, the whole secret named, and null usages while reconciling), the drain's reads,
# delete (204).
GUIDE_CRASH_POINTS = ["AddSecret", "CheckRollouts", "DeleteSecret"]


@pytest.mark.parametrize(
    ("action", "dialect"),
    [(a, "spec") for a in CRASH_POINTS] + [(a, "guide") for a in GUIDE_CRASH_POINTS],
    indirect=["dialect"],
)
def test_sigkill_after_each_step_resumes_cleanly(env: Env, action: str) -> None:
    env.operator.stop()
    env.add_deployment("web")
    env.operator.start({"AOO_CRASH_AFTER_ACTION": action})
    env.apply_credential()
    env.wait_adopted()
    with env.apps() as apps:
        env.request_rotation()
        wait_until(env.operator.exited, timeout=60, what=f"the injected crash after {action}")
        env.operator.start()
        env.wait_rotations(1, timeout=90)
    env.assert_clean_end_state(1)
    assert apps.errors == []
    assert "crash injected" in env.operator.logs()
    # Restarting the operator never restarted an application twice.
    deploy = env.cluster.apps.read_namespaced_deployment("web", env.namespace)
    assert deploy.metadata.generation == 2
