"""The local control plane is real: workloads schedule, become Ready and roll out."""

from __future__ import annotations

import datetime as dt

import pytest

from support import workloads
from support.cluster import LocalCluster
from support.waiting import wait_until


def test_fake_node_is_ready(cluster: LocalCluster) -> None:
    nodes = cluster.core.list_node().items
    assert any(
        c.type == "Ready" and c.status == "True" for n in nodes for c in n.status.conditions or []
    )


def test_server_reports_a_real_version(cluster: LocalCluster) -> None:
    from kubernetes import client

    version = client.VersionApi(cluster.api).get_code()
    assert version.git_version.startswith("v1.")
    assert int(version.minor) >= 30


@pytest.mark.parametrize("kind", workloads.KINDS)
def test_rollout_restart_replaces_every_pod(
    cluster: LocalCluster, namespace: str, kind: str
) -> None:
    cluster.core.create_namespaced_secret(
        namespace,
        {"metadata": {"name": "creds"}, "stringData": {"ADOBE_CLIENT_SECRET": "not-a-secret"}},
    )
    name = kind.lower()
    workloads.create(cluster, namespace, workloads.workload(kind, name, "creds", replicas=2))
    expected = 1 if kind == "DaemonSet" else 2  # one fake node
    before = wait_until(
        lambda: (
            (names := workloads.ready_pods(cluster, namespace, name))
            and len(names) == expected
            and workloads.rollout_complete(cluster, namespace, kind, name)
            and names
        ),
        timeout=60,
        what=f"{kind} pods Ready",
    )

    # What `kubectl rollout restart` does: stamp the pod template.
    stamp = dt.datetime.now(dt.UTC).isoformat()
    patch = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    patch_fn = {
        "Deployment": cluster.apps.patch_namespaced_deployment,
        "StatefulSet": cluster.apps.patch_namespaced_stateful_set,
        "DaemonSet": cluster.apps.patch_namespaced_daemon_set,
    }[kind]
    patch_fn(name, namespace, patch)

    after = wait_until(
        lambda: (
            workloads.rollout_complete(cluster, namespace, kind, name)
            and (names := workloads.ready_pods(cluster, namespace, name))
            and len(names) == expected
            and names
        ),
        timeout=90,
        what=f"{kind} rollout to complete",
    )
    assert workloads.read(cluster, namespace, kind, name).status.observed_generation >= 2
    assert before.keys().isdisjoint(after.keys()), "every pod was replaced"
    if kind != "StatefulSet":  # StatefulSet pods keep their ordinal names by design
        assert set(before.values()).isdisjoint(after.values())
