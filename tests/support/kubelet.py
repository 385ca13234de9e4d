"""A stand-in kubelet for the operator's pods: each Running pod of a Deployment gets its container
run from the image it names (root file system, user, entrypoint), with the pod's args, env and
ServiceAccount token; a pod deleted or gone gets SIGTERM, then SIGKILL after its grace period.

The test cluster's pods run no containers (kwok marks them Running), so without this nothing
would run what `helm upgrade` or Argo CD rolled out. Only the outside world is swapped: the Adobe
URLs point to the simulator, the liveness and metrics listeners bind free loopback ports (old and
new replicas share this host during a rollout).
"""

from __future__ import annotations

import base64
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from support.chart_operator import free_port
from support.cluster import LocalCluster
from support.image import BuiltImage, ImageOperatorProcess

SERVICE_ACCOUNT = "/run/secrets/kubernetes.io/serviceaccount"  # /var/run -> /run in the image


class PodProcess:
    """One pod's container as a process, and what the test may ask of it."""

    def __init__(self, pod_name: str, image: str, process: ImageOperatorProcess, grace: float):
        self.pod_name, self.image, self.process, self.grace = pod_name, image, process, grace
        self.started_at = time.monotonic()
        self.stopped_at: float | None = None

    def stop(self) -> None:
        """What the kubelet does for a deleted pod: SIGTERM, SIGKILL after the grace period."""
        proc = self.process.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.stopped_at = time.monotonic()


class Kubelet:
    """Runs the containers of the Running pods matching `selector` in `namespace`; `images` maps
    each image reference a pod may name to its built image and mounted root file system."""

    def __init__(
        self,
        cluster: LocalCluster,
        namespace: str,
        selector: str,
        images: Mapping[str, tuple[BuiltImage, Path]],
        sim_url: str,
        workdir: Path,
        interval: float = 0.3,
    ) -> None:
        self.cluster, self.namespace, self.selector = cluster, namespace, selector
        self.images, self.sim_url, self.workdir = dict(images), sim_url, workdir
        self.interval = interval
        self.running: dict[str, PodProcess] = {}  # by pod uid
        self.history: list[PodProcess] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        admin = yaml.safe_load(cluster.kubeconfig.read_text())["clusters"][0]["cluster"]
        self._server = urllib.parse.urlsplit(admin["server"])
        self._ca = base64.b64decode(admin["certificate-authority-data"])

    def __enter__(self) -> Kubelet:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        for pod in list(self.running.values()):
            pod.stop()
        self.running.clear()

    # -- what tests look at ----------------------------------------------------------------------
    def processes(self, image: str | None = None) -> list[PodProcess]:
        with self._lock:
            return [p for p in self.running.values() if image is None or p.image == image]

    def logs(self) -> str:
        return "\n".join(p.process.logs() for p in self.history)

    def overlapped(self, old_image: str, new_image: str) -> bool:
        """Whether a process of `new_image` started before the last one of `old_image` stopped."""
        old = [p for p in self.history if p.image == old_image]
        new = [p for p in self.history if p.image == new_image]
        return any(n.started_at < (o.stopped_at or time.monotonic()) for o in old for n in new)

    def alive(self) -> list[PodProcess]:
        """Every process still running, those of deleted pods in their grace period too."""
        with self._lock:
            return [p for p in self.history if not p.process.exited()]

    def wait_running(self, image: str, count: int = 1, timeout: float = 90) -> list[PodProcess]:
        """Until `count` processes of `image` run and no other process does (a deleted pod's
        has exited)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = self.alive()
            found = [p for p in alive if p.image == image]
            if len(found) == count == len(alive):
                return found
            time.sleep(0.2)
        raise AssertionError(
            f"not {count} process(es) of {image} alone after {timeout} s: "
            f"{[(p.pod_name, p.image) for p in self.alive()]}; errors {self.errors}"
        )

    # -- the loop ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._sync()
            except Exception as exc:  # a busy API server: try again, but keep the reason
                self.errors.append(f"{type(exc).__name__}: {exc}")
                if len(self.errors) > 20:
                    return

    def _sync(self) -> None:
        pods = self.cluster.core.list_namespaced_pod(
            self.namespace, label_selector=self.selector
        ).items
        alive = {
            p.metadata.uid: p
            for p in pods
            if p.status.phase == "Running" and p.metadata.deletion_timestamp is None
        }
        for uid in [u for u in self.running if u not in alive]:
            with self._lock:
                pod = self.running.pop(uid)
            threading.Thread(target=pod.stop, daemon=True).start()
        for uid, pod in alive.items():
            if uid not in self.running:
                started = self._start(pod)
                with self._lock:
                    self.running[uid] = started
                    self.history.append(started)
        self.errors.clear()

    def _start(self, pod: Any) -> PodProcess:
        spec = self.cluster.api.sanitize_for_serialization(pod.spec)
        [container] = spec["containers"]
        image, rootfs = self.images[container["image"]]
        name = pod.metadata.name
        env = self._env(container, name)
        files = self._service_account_files(spec["serviceAccountName"], name)
        process = ImageOperatorProcess(
            self.workdir,
            image,
            rootfs,
            env=env,
            files=files,
            identity=name,
            args=_local_args(container.get("args") or []),
            tmpfs={"/tmp": False, "/run": True},
            log_name=f"{name}.log",
        )
        grace = float(spec.get("terminationGracePeriodSeconds") or 30)
        return PodProcess(name, container["image"], process, grace)

    def _env(self, container: dict[str, Any], pod_name: str) -> dict[str, str]:
        """The container's env as the kubelet resolves it, plus in-cluster configuration."""
        fields: dict[str, Callable[[], str]] = {
            "metadata.name": lambda: pod_name,
            "metadata.namespace": lambda: self.namespace,
        }
        env = {}
        for var in container.get("env") or ():
            field = var.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
            if "value" in var:
                env[var["name"]] = var["value"]
            elif field in fields:
                env[var["name"]] = fields[field]()
            else:
                raise AssertionError(f"unexpected env source in the chart: {var}")
        env["ADOBE_IMS_URL"] = env["ADOBE_API_URL"] = self.sim_url
        env["KUBERNETES_SERVICE_HOST"] = str(self._server.hostname)
        env["KUBERNETES_SERVICE_PORT"] = str(self._server.port)
        return env

    def _service_account_files(self, service_account: str, pod_name: str) -> dict[str, Path]:
        """The projected ServiceAccount volume: a TokenRequest token, the cluster CA, the
        namespace."""
        request = client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
        )
        token = self.cluster.core.create_namespaced_service_account_token(
            service_account, self.namespace, request
        ).status.token
        source = self.workdir / f"{pod_name}-serviceaccount"
        source.mkdir()
        (source / "token").write_text(token)
        (source / "ca.crt").write_bytes(self._ca)
        (source / "namespace").write_text(self.namespace)
        return {f"{SERVICE_ACCOUNT}/{n}": source / n for n in ("token", "ca.crt", "namespace")}


def _local_args(args: list[str]) -> list[str]:
    """The container's args with its listeners on free loopback ports of this shared host."""
    out = []
    for arg in args:
        if arg.startswith("--liveness="):
            arg = f"--liveness=http://127.0.0.1:{free_port()}/healthz"
        elif arg.startswith("--metrics="):
            arg = "--metrics=127.0.0.1:0"
        out.append(arg)
    return out
