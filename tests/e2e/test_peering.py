"""kopf peering as the chart sets it up for replicaCount > 1: every replica derives its own
priority from its pod name, exactly one acts, and a standby takes over when it is SIGKILLed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adobe_oauth_operator.cli import identity_priority
from support.chart import only
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

LIFETIME = 5  # seconds; the chart's default is 60
RESUMED = "Resuming operations after the pause"
PAUSED = "Pausing operations in favour of"


@pytest.fixture
def app_namespace(cluster: LocalCluster) -> Iterator[str]:
    with fresh_namespace(cluster, prefix="app") as name:
        yield name


@pytest.fixture
def chart(
    cluster: LocalCluster, namespace: str, app_namespace: str, crd_installed: object, tmp_path: Path
) -> Iterator[ChartInstall]:
    values = {
        "crds": {"enabled": False},  # the session fixture owns the CRD
        "replicaCount": 2,
        "watchNamespaces": [app_namespace],
        "peering": {"lifetime": LIFETIME},
        "verbose": True,
        "resyncSeconds": 2,
    }
    with installed_chart(cluster, tmp_path, f"peer-{namespace}", namespace, values) as installed:
        yield installed


def peers(cluster: LocalCluster, namespace: str, name: str) -> dict[str, Any]:
    """The keep-alive records in the KopfPeering object: {identity: {priority, lifetime, ...}}."""
    obj = cluster.custom.get_namespaced_custom_object(
        "kopf.dev", "v1", namespace, "kopfpeerings", name
    )
    return dict(obj.get("status") or {})


def test_one_replica_acts_and_a_standby_takes_over_after_sigkill(
    cluster: LocalCluster, app_namespace: str, chart: ChartInstall, tmp_path: Path
) -> None:
    peering = only(chart.manifest, "KopfPeering")["metadata"]["name"]
    assert f"--peering={peering}" in chart.container["args"]
    # Two pod names; the chart's --priority-from-identity ranks them by a hash of the name.
    standby_id, leader_id = sorted(["aoo-7d9f-abcde", "aoo-7d9f-fghij"], key=identity_priority)
    assert identity_priority(standby_id) < identity_priority(leader_id)
    sim, client_id, initial = sim_and_app_secret(cluster, app_namespace, tmp_path, ORG, CRED)
    started: list[ChartOperatorProcess] = []

    def start(pod_id: str) -> ChartOperatorProcess:
        process = ChartOperatorProcess(
            tmp_path,
            chart.kubeconfig,
            chart.container,
            sim.url,
            pod_id=pod_id,
            pod_namespace=chart.namespace,
            name=pod_id,
        )
        started.append(process)
        return process

    try:
        # Alone, the lower-priority replica acts...
        standby = start(standby_id)
        standby.wait_for_log(RESUMED)
        # ...until a higher one appears (a rolling update): it pauses, the newcomer acts.
        leader = start(leader_id)
        standby.wait_for_log(PAUSED)
        leader.wait_for_log(RESUMED)
        records = wait_until(
            lambda: (
                (p := peers(cluster, app_namespace, peering)).keys() == {standby_id, leader_id}
                and p
            ),
            timeout=30,
            what="both keep-alives",
        )
        assert records[leader_id]["priority"] == identity_priority(leader_id)
        assert records[standby_id]["lifetime"] == LIFETIME

        env = Env(cluster, app_namespace, sim, leader, client_id, initial, tmp_path)
        env.apply_credential()
        env.wait_adopted()
        marker = f"{app_namespace}/creds:"
        assert marker in leader.logs()
        assert marker not in standby.logs(), "the paused replica acted"
        # Only the acting replica reports per-credential series.
        series = f'adobe_oauth_credential_phase{{name="creds",namespace="{app_namespace}"'
        wait_until(lambda: series in leader.metrics(), timeout=30, what="the leader's series")
        assert "adobe_oauth_credential_phase{" not in standby.metrics()
        # Killed between actions: killed mid-action, it would leave its action lease for the
        # standby to wait out (timings.ACTION_LEASE, minutes); this test is about the take-over.
        wait_until(
            lambda: (s := env.status()).get("knownGoodHmac") and not s.get("inFlight"),
            timeout=30,
            what="the leader idle after saving the known-good copy",
        )

        # The leader dies without a goodbye: the standby resumes once its keep-alive expires.
        killed = time.monotonic()
        leader.kill()
        wait_until(
            lambda: standby.logs().count(RESUMED) == 2, timeout=LIFETIME + 20, what="take-over"
        )
        takeover = time.monotonic() - killed
        print(f"take-over {takeover:.1f}s after SIGKILL (peering lifetime {LIFETIME}s)")
        assert takeover < LIFETIME + 10, f"take-over took {takeover:.1f}s"
        wait_until(
            lambda: leader_id not in peers(cluster, app_namespace, peering),
            timeout=10,
            what="the dead leader's record cleaned up",
        )
        env.operator = standby
        env.request_rotation()
        env.wait_rotations(1)
        env.assert_clean_end_state(1)
        assert marker in standby.logs()
        assert series in standby.metrics(), "the replica that took over reports the credential"
        delete_credentials(cluster, app_namespace)  # while the standby runs: finalizer
    finally:
        for process in started:
            process.stop()
        sim.stop()
    for process in started:
        assert initial not in process.logs()
