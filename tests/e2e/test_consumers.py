"""Consumers beyond Deployments, StatefulSets and DaemonSets: CronJobs and Jobs (found, never
restarted, listed per rotation, covered by the drain) and Argo Rollouts (the real controller)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from support import workloads
from support.operator_env import FAST_ROTATION, Env
from support.waiting import wait_until


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _rotation(env: Env) -> dict[str, Any]:
    return dict(env.status().get("rotation") or {})


def test_cron_jobs_and_jobs_are_listed_never_restarted_and_drained(env: Env) -> None:
    env.add_deployment("web", replicas=1)
    workloads.create(env.cluster, env.namespace, workloads.cron_job("nightly", "adobe-creds"))
    workloads.create(env.cluster, env.namespace, workloads.job("backfill", "adobe-creds"))
    workloads.create(env.cluster, env.namespace, workloads.job("unrelated", "other-secret"))
    wait_until(
        lambda: env.cluster.batch.read_namespaced_job("backfill", env.namespace).status.start_time,
        timeout=30,
        what="Job backfill running",
    )
    before = {
        "CronJob": env.cluster.batch.read_namespaced_cron_job("nightly", env.namespace),
        "Job": env.cluster.batch.read_namespaced_job("backfill", env.namespace),
    }
    # The Job keeps using the value it started with; maxWait is long enough to see it held.
    env.apply_credential(rotation={**FAST_ROTATION, "maxWait": "60s"})
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    env.request_rotation()
    wait_until(lambda: _rotation(env).get("step") == "Drain", timeout=60, what="the drain")

    def still_running_job_uses_the_old_value() -> bool:
        env.sim.use(env.client_id, env.initial_value)
        rotation = _rotation(env)
        used = (rotation.get("drain") or {}).get("oldSecretLastUsed")
        return bool(used) and _time(used) > _time(rotation["rolloutCompletedAt"])

    wait_until(still_running_job_uses_the_old_value, timeout=30, what="the use seen", interval=0.3)
    rotation = _rotation(env)
    jobs = {(j["kind"], j["name"]): j for j in rotation["jobs"]}
    assert set(jobs) == {("CronJob", "nightly"), ("Job", "backfill")}
    assert jobs["CronJob", "nightly"]["message"] == "picks up the new value at its next run"
    assert "runningSince" not in jobs["CronJob", "nightly"]
    assert jobs["Job", "backfill"]["runningSince"]
    assert "still running with the value it started with" in jobs["Job", "backfill"]["message"]
    assert [t["name"] for t in rotation["targets"]] == ["web"], "only the Deployment restarts"
    assert "CronJob/nightly, Job/backfill" in env.wait_events("JobsNotRestarted")[0].message
    assert "Job/backfill" in env.wait_events("JobStillRunning")[0].message
    assert old_uuid in {s["uuid"] for s in env.adobe_secrets()}, "the drain covers the Job"

    # The Job ends: the old secret falls out of use and is deleted after drainPeriod.
    env.cluster.batch.delete_namespaced_job(
        "backfill", env.namespace, propagation_policy="Background"
    )
    status = env.wait_rotations(1, timeout=60)
    assert (
        "not restarted, each picks up the new value at its next run: CronJob/nightly, "
        in (status["history"][0]["message"])
    )
    env.assert_clean_end_state(1)
    after = env.cluster.batch.read_namespaced_cron_job("nightly", env.namespace)
    assert after.metadata.generation == before["CronJob"].metadata.generation
    assert after.spec.job_template.spec.template.metadata.annotations is None


def test_argo_rollout_is_restarted_through_restart_at(env: Env) -> None:
    """The real Argo Rollouts controller (hack/local-cluster) restarts the pods and reports."""
    manifest = workloads.rollout("canary", "adobe-creds")
    workloads.create(env.cluster, env.namespace, manifest)
    wait_until(
        lambda: _argo_phase(env, "canary") == "Healthy",
        timeout=60,
        what="Rollout canary Healthy",
    )
    [first_pod] = _pods(env, "canary")
    env.apply_credential()
    env.wait_adopted()
    env.request_rotation()
    status = env.wait_rotations(1, timeout=120)
    entry = status["history"][0]
    rollout = _read_rollout(env, "canary")
    assert rollout["metadata"]["annotations"]["adobe-oauth-operator.dev/rotation-id"] == entry["id"]
    assert rollout["spec"]["restartAt"] == rollout["status"]["restartedAt"]
    assert "rotation-id" not in str(rollout["spec"]["template"]), "a restart, not a new revision"
    [pod] = _pods(env, "canary")
    assert pod != first_pod, "the controller replaced the pod"
    restarted = env.wait_events("Restarted")
    assert any("Rollout/canary" in e.message for e in restarted)
    env.assert_clean_end_state(1)


def _read_rollout(env: Env, name: str) -> dict[str, Any]:
    return dict(
        env.cluster.custom.get_namespaced_custom_object(
            "argoproj.io", "v1alpha1", env.namespace, "rollouts", name
        )
    )


def _argo_phase(env: Env, name: str) -> str | None:
    with contextlib.suppress(KeyError):
        return str(_read_rollout(env, name)["status"]["phase"])
    return None


def _pods(env: Env, app: str) -> list[str]:
    pods = env.cluster.core.list_namespaced_pod(env.namespace, label_selector=f"app={app}").items
    return sorted(p.metadata.name for p in pods if not p.metadata.deletion_timestamp)
