"""The local control plane (hack/local-cluster) as seen from tests."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config

from support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
LOCAL_CLUSTER = REPO / "hack" / "local-cluster"
# hack/local-cluster's state directory unless LOCAL_CLUSTER_STATE names another.
DEFAULT_STATE = REPO / ".tools" / "cluster"


@dataclass(frozen=True)
class LocalCluster:
    """A running control plane: its kubeconfig and an API client bound to it."""

    kubeconfig: Path
    api: client.ApiClient

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def batch(self) -> client.BatchV1Api:
        return client.BatchV1Api(self.api)


@contextmanager
def local_cluster() -> Iterator[LocalCluster]:
    """Bring the cluster up (or reuse one already up) and stop it afterwards if we started it."""
    already_up = (
        subprocess.run([str(LOCAL_CLUSTER), "status"], capture_output=True, check=False).returncode
        == 0
    )
    out = subprocess.run([str(LOCAL_CLUSTER), "up"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"hack/local-cluster up failed:\n{out.stderr}")
    kubeconfig = Path(out.stdout.strip().splitlines()[-1].removeprefix("KUBECONFIG="))
    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        yield LocalCluster(kubeconfig=kubeconfig, api=api)
    finally:
        api.close()
        if not already_up:
            subprocess.run([str(LOCAL_CLUSTER), "down"], check=False)


@contextmanager
def fresh_namespace(cluster: LocalCluster, prefix: str = "t") -> Iterator[str]:
    """A new namespace, usable for pods once its default ServiceAccount exists."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    cluster.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        wait_until(
            lambda: any(
                sa.metadata.name == "default"
                for sa in cluster.core.list_namespaced_service_account(name).items
            ),
            timeout=30,
            what=f"default ServiceAccount in {name}",
        )
        yield name
    finally:
        cluster.core.delete_namespace(name)
