"""The operator process started exactly as the chart's Deployment starts it.

Pods of the test cluster run no containers (kwok), so the container the chart renders is run
here as a process: its args and env, the identity of its ServiceAccount (a token kubeconfig),
and only the outside world swapped: the Adobe URLs point to the simulator, the liveness endpoint
to a free loopback port, and POD_ID (a fieldRef in the pod) is given.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adobe_oauth_operator.names import GROUP, PLURAL, VERSION
from support.chart import (
    PEERING_CRD_FILE,
    Helm,
    check,
    documents,
    only,
    service_account_kubeconfig,
)
from support.cluster import LocalCluster
from support.crds import apply_crd
from support.processes import OperatorProcess, SimProcess, runtime_executable
from support.waiting import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChartOperatorProcess(OperatorProcess):
    """`adobe-oauth-operator <the chart's args>` with the chart's env, logging to <name>.log."""

    def __init__(
        self,
        workdir: Path,
        kubeconfig: Path,
        container: dict[str, Any],
        sim_url: str,
        *,
        pod_id: str,
        pod_namespace: str,
        name: str = "operator",
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.args = [
            str(runtime_executable("adobe-oauth-operator")),
            *self._args(container["args"]),
        ]
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        self.env.pop("POD_ID", None)
        for var in container.get("env") or ():
            if "value" in var:
                self.env[var["name"]] = var["value"]
            elif var.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name":
                self.env[var["name"]] = pod_id
            elif (
                var.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
                == "metadata.namespace"
            ):
                self.env[var["name"]] = pod_namespace
            else:
                raise AssertionError(f"unexpected env source in the chart: {var}")
        self.env["ADOBE_IMS_URL"] = self.env["ADOBE_API_URL"] = sim_url
        self.log_path = workdir / f"{name}.log"
        self.starts = 0
        self.proc = None
        self.start()

    def _args(self, args: list[str]) -> list[str]:
        out = []
        for arg in args:
            if arg.startswith("--liveness="):
                arg = f"--liveness=http://127.0.0.1:{self.port}/healthz"
            elif arg.startswith("--metrics="):
                # Several replicas share this host: each binds a free loopback port.
                arg = "--metrics=127.0.0.1:0"
            out.append(arg)
        return out

    def metrics(self) -> str:
        """A scrape of the replica's /metrics (it bound a free port and logged it)."""
        pattern = re.compile(r"serving metrics on (http://127\.0\.0\.1:\d+/metrics)")
        found = wait_until(
            lambda: pattern.search(self.logs()), timeout=30, what="metrics address in the log"
        )
        with urllib.request.urlopen(found.group(1), timeout=5) as resp:  # noqa: S310
            return str(resp.read().decode())

    def healthz(self) -> int:
        """The status of kopf's liveness endpoint, as the chart's probes see it (0: no answer)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as resp:
                return int(resp.status)
        except OSError:
            return 0


def install_peering_crds(cluster: LocalCluster) -> None:
    """kopf's peering CRDs from crds/, created unless present (helm install may have made them)."""
    for crd in documents(PEERING_CRD_FILE.read_text()):
        apply_crd(cluster, crd, replace=False)


@dataclass(frozen=True)
class ChartInstall:
    """A release of the chart: its rendered objects and a kubeconfig for its ServiceAccount."""

    release: str
    namespace: str
    manifest: list[Any]
    kubeconfig: Path

    @property
    def container(self) -> dict[str, Any]:
        [operator] = only(self.manifest, "Deployment")["spec"]["template"]["spec"]["containers"]
        return dict(operator)


@contextmanager
def installed_chart(
    cluster: LocalCluster, workdir: Path, release: str, namespace: str, values: dict[str, Any]
) -> Iterator[ChartInstall]:
    """`helm install` (uninstalled afterwards) and a TokenRequest token for its ServiceAccount."""
    helm = Helm(workdir / "helm", cluster.kubeconfig)
    check(helm.install(release, namespace, values))
    try:
        manifest = documents(check(helm.run("get", "manifest", release, "-n", namespace)))
        service_account = only(manifest, "ServiceAccount")["metadata"]["name"]
        kubeconfig = service_account_kubeconfig(
            cluster, namespace, service_account, workdir / "operator.kubeconfig"
        )
        yield ChartInstall(release, namespace, manifest, kubeconfig)
    finally:
        check(helm.uninstall(release, namespace))


def sim_and_app_secret(
    cluster: LocalCluster, namespace: str, workdir: Path, org_id: str, credential_id: str
) -> tuple[SimProcess, str, str]:
    """The simulator seeded with one credential, and the app Secret holding its current secret.

    Returns the simulator, the client id and the initial secret value.
    """
    client_id = secrets.token_hex(16)  # the shape of an Adobe client id
    initial = f"p8e-{secrets.token_urlsafe(24)}"
    seed = {
        "org_id": org_id,
        "credential_id": credential_id,
        "client_id": client_id,
        "secrets": [initial],
        "age_s": 7200,  # the existing secret predates the test's rotations
    }
    sim = SimProcess(workdir, [seed])
    cluster.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": "adobe-creds"},
            "stringData": {"ADOBE_CLIENT_ID": client_id, "ADOBE_CLIENT_SECRET": initial},
        },
    )
    return sim, client_id, initial


def delete_credentials(cluster: LocalCluster, namespace: str) -> None:
    """Delete every AdobeOAuthCredential; an operator must be running to release its finalizer."""
    args = (GROUP, VERSION, namespace, PLURAL)
    cluster.custom.delete_collection_namespaced_custom_object(*args)
    wait_until(
        lambda: not cluster.custom.list_namespaced_custom_object(*args)["items"],
        timeout=30,
        what="credentials deleted",
    )
