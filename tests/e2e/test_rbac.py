"""Least privilege, proven: the operator runs with nothing but the chart's ServiceAccount (a
TokenRequest token) and the chart's command line, completes a whole rotation, and that identity is
refused everywhere the chart did not grant it. GitOps idempotence of a server-side applied CR."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import GROUP, VERSION
from support import workloads
from support.chart import KUBECTL, api_client, only, run_tool
from support.chart_operator import (
    ChartInstall,
    ChartOperatorProcess,
    delete_credentials,
    installed_chart,
    sim_and_app_secret,
)
from support.cluster import LocalCluster, fresh_namespace
from support.operator_env import CRED, ORG, Env
from support.waiting import wait_until

# Text in the operator's log that means a call was refused (kopf's and the operator's wording).
REFUSALS = ("forbidden", "not enough permissions", "unauthorized", "reconcile failed")


@dataclass
class Namespaces:
    operator: str  # the release namespace
    app: str  # in watchNamespaces
    other: str  # not in watchNamespaces


@pytest.fixture
def namespaces(cluster: LocalCluster, namespace: str) -> Iterator[Namespaces]:
    with (
        fresh_namespace(cluster, prefix="app") as app,
        fresh_namespace(cluster, prefix="other") as other,
    ):
        yield Namespaces(namespace, app, other)


@pytest.fixture
def chart(
    cluster: LocalCluster, namespaces: Namespaces, crd_installed: object, tmp_path: Path
) -> Iterator[ChartInstall]:
    values = {
        "crds": {"enabled": False},  # the session fixture owns the CRD
        "watchNamespaces": [namespaces.app],
        "verbose": True,
        "resyncSeconds": 2,
    }
    release = f"rbac-{namespaces.operator}"
    with installed_chart(cluster, tmp_path, release, namespaces.operator, values) as installed:
        yield installed


@pytest.fixture
def env(
    cluster: LocalCluster, namespaces: Namespaces, chart: ChartInstall, tmp_path: Path
) -> Iterator[Env]:
    """The simulator, the app Secret, and the operator as the chart runs it, in its identity."""
    sim, client_id, initial = sim_and_app_secret(cluster, namespaces.app, tmp_path, ORG, CRED)
    operator: ChartOperatorProcess | None = None
    try:
        operator = ChartOperatorProcess(
            tmp_path,
            chart.kubeconfig,
            chart.container,
            sim.url,
            pod_id="operator-0",
            pod_namespace=chart.namespace,
        )
        wait_until(lambda: operator.healthz() == 200, timeout=30, what="the liveness endpoint")
        yield Env(cluster, namespaces.app, sim, operator, client_id, initial, tmp_path)
        delete_credentials(cluster, namespaces.app)  # while the operator runs: finalizer
        logs = operator.logs().lower()
        assert not [r for r in REFUSALS if r in logs], operator.logs()[-3000:]
        assert initial not in operator.logs()
    finally:
        if operator is not None:
            operator.stop()
        sim.stop()


def test_chart_identity_completes_a_rotation(env: Env, chart: ChartInstall) -> None:
    """With the chart's admission policies installed, matched on this very ServiceAccount."""
    [writes] = [
        d
        for d in chart.manifest
        if d["kind"] == "ValidatingAdmissionPolicy" and d["metadata"]["name"].endswith("-writes")
    ]
    account = only(chart.manifest, "ServiceAccount")["metadata"]["name"]
    assert f"system:serviceaccount:{chart.namespace}:{account}" in json.dumps(writes)
    env.add_deployment("web")
    for kind, name in (("StatefulSet", "db"), ("DaemonSet", "agent")):
        workloads.create(env.cluster, env.namespace, workloads.workload(kind, name, "adobe-creds"))
    workloads.create(env.cluster, env.namespace, workloads.cron_job("nightly", "adobe-creds"))
    workloads.create(env.cluster, env.namespace, workloads.rollout("canary", "adobe-creds"))
    env.apply_credential()
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    env.request_rotation()
    status = env.wait_rotations(1)
    env.assert_clean_end_state(1)
    entry = status["history"][0]
    assert (entry["oldSecretUuid"], entry["result"]) == (old_uuid, "Succeeded")
    assert status["currentSecretUuid"] != old_uuid
    # Every kind of call was made: Secret patch, pending Secret create/delete, workload list and
    # patch, status patch, events.
    deploy = env.cluster.apps.read_namespaced_deployment("web", env.namespace)
    assert (
        deploy.spec.template.metadata.annotations["adobe-oauth-operator.dev/rotation-id"]
        == (entry["id"])
    )
    # Rollouts are listed and patched, CronJobs and Jobs listed (never patched).
    rollout = env.cluster.custom.get_namespaced_custom_object(
        "argoproj.io", "v1alpha1", env.namespace, "rollouts", "canary"
    )
    assert rollout["metadata"]["annotations"]["adobe-oauth-operator.dev/rotation-id"] == entry["id"]
    for kind, name in (("StatefulSet", "db"), ("DaemonSet", "agent")):
        template = workloads.read(env.cluster, env.namespace, kind, name).spec.template
        assert template.metadata.annotations["adobe-oauth-operator.dev/rotation-id"] == entry["id"]
    assert "CronJob/nightly" in entry["message"]
    env.wait_events("Rotated")  # emitted right after the status write the wait saw
    assert {"Adopted", "SecretAdded", "Restarted", "JobsNotRestarted", "Rotated"} <= {
        e.reason for e in env.events()
    }
    assert "--resync-seconds=2" in chart.container["args"]
    # The same identity, with the same rights, may not change what a workload runs.
    api = api_client(chart.kubeconfig)
    try:
        image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x:2"}]}}}}
        with pytest.raises(ApiException) as refused:
            client.AppsV1Api(api).patch_namespaced_deployment("web", env.namespace, image)
        assert refused.value.status == 403
        assert "ValidatingAdmissionPolicy" in str(refused.value.body)
    finally:
        api.close()


def test_chart_identity_is_refused_outside_watch_namespaces(
    cluster: LocalCluster, namespaces: Namespaces, chart: ChartInstall
) -> None:
    for ns in (namespaces.app, namespaces.other, namespaces.operator):
        cluster.core.create_namespaced_secret(
            ns, {"metadata": {"name": "s"}, "stringData": {"k": "v"}}
        )
    api = api_client(chart.kubeconfig)
    try:
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        batch, custom = client.BatchV1Api(api), client.CustomObjectsApi(api)
        # Granted where it serves: read a Secret by name.
        assert core.read_namespaced_secret("s", namespaces.app).metadata.name == "s"

        def status_of(call: Any, *args: Any) -> int:
            try:
                call(*args)
            except ApiException as exc:
                return int(exc.status)
            return 200

        refused = {
            "read Secret elsewhere": status_of(core.read_namespaced_secret, "s", namespaces.other),
            "read Secret in its own namespace": status_of(
                core.read_namespaced_secret, "s", namespaces.operator
            ),
            "list Secrets even where it serves": status_of(
                core.list_namespaced_secret, namespaces.app
            ),
            "list Secrets cluster-wide": status_of(core.list_secret_for_all_namespaces),
            "list Deployments elsewhere": status_of(
                apps.list_namespaced_deployment, namespaces.other
            ),
            "create Events elsewhere": status_of(
                core.create_namespaced_event,
                namespaces.other,
                {
                    "metadata": {"name": "e"},
                    "involvedObject": {"kind": "Pod", "name": "x", "namespace": namespaces.other},
                },
            ),
            "list pods": status_of(core.list_namespaced_pod, namespaces.app),
            "patch CronJobs": status_of(
                batch.patch_namespaced_cron_job, "c", namespaces.app, {"spec": {"suspend": True}}
            ),
            "delete Jobs": status_of(batch.delete_namespaced_job, "j", namespaces.app),
            "create Jobs": status_of(
                batch.create_namespaced_job, namespaces.app, {"metadata": {"name": "j"}}
            ),
            "create Rollouts": status_of(
                custom.create_namespaced_custom_object,
                "argoproj.io",
                "v1alpha1",
                namespaces.app,
                "rollouts",
                {"metadata": {"name": "r"}},
            ),
            "list Rollouts elsewhere": status_of(
                custom.list_namespaced_custom_object,
                "argoproj.io",
                "v1alpha1",
                namespaces.other,
                "rollouts",
            ),
            "list Jobs elsewhere": status_of(batch.list_namespaced_job, namespaces.other),
        }
        assert refused == dict.fromkeys(refused, 403)
    finally:
        api.close()


def kubectl(
    cluster: LocalCluster, tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_tool(
        KUBECTL,
        f"--kubeconfig={cluster.kubeconfig}",
        f"--cache-dir={tmp_path / 'kube-cache'}",
        *args,
        stdin=stdin,
    )


def test_server_side_applying_the_same_credential_twice_changes_nothing(
    env: Env, tmp_path: Path
) -> None:
    """What Argo CD does on every sync: the operator's finalizer, annotations and status never
    show up as drift, and re-applying changes no field (resourceVersion stays)."""
    manifest = json.dumps(
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AdobeOAuthCredential",
            "metadata": {"name": "creds", "namespace": env.namespace},
            "spec": {"orgId": ORG, "credentialId": CRED, "secretName": "adobe-creds"},
        }
    )
    apply = ("apply", "--server-side", "--field-manager=gitops", "-f", "-")
    first = kubectl(env.cluster, tmp_path, *apply, stdin=manifest)
    assert first.returncode == 0, first.stderr
    env.wait_adopted()
    last = {"rv": "", "since": 0.0}

    def quiet_for_3s() -> str | None:
        rv = env.credential()["metadata"]["resourceVersion"]
        now = time.monotonic()
        if rv != last["rv"]:
            last.update(rv=rv, since=now)
        return rv if now - float(last["since"]) >= 3 else None

    before = wait_until(quiet_for_3s, timeout=30, what="the operator to be done writing")
    second = kubectl(env.cluster, tmp_path, *apply, stdin=manifest)
    assert second.returncode == 0, second.stderr
    after = env.credential()
    assert after["metadata"]["resourceVersion"] == before
    diff = kubectl(
        env.cluster,
        tmp_path,
        "diff",
        "--server-side",
        "--field-manager=gitops",
        "-f",
        "-",
        stdin=manifest,
    )
    assert diff.returncode == 0, diff.stdout + diff.stderr
    # The operator's own fields are there, and it owns no field of the spec.
    assert "adobe-oauth-operator.dev/finalizer" in after["metadata"]["finalizers"]
    assert after["status"]["phase"] == "Ready"
    for entry in after["metadata"]["managedFields"]:
        if entry["manager"] != "gitops":
            assert "f:spec" not in entry.get("fieldsV1", {}), entry


def test_chart_identity_vends_a_token_under_the_admission_policies(env: Env) -> None:
    """The token Secret the operator creates passes the operator-writes policy (its label)."""
    env.apply_credential(accessToken={"secretName": "adobe-token"})
    env.wait_adopted()
    wait_until(
        lambda: (env.status().get("accessToken") or {}).get("refreshes", 0) >= 1,
        timeout=30,
        what="the first vended token",
    )
    secret = env.cluster.core.read_namespaced_secret("adobe-token", env.namespace)
    assert secret.metadata.labels["app.kubernetes.io/managed-by"] == "adobe-oauth-operator"
    assert [o.kind for o in secret.metadata.owner_references] == ["AdobeOAuthCredential"]
