"""The scale benchmark's engine: N credentials, one operator process, figures as one JSON line.

`make bench` (hack/bench.py) runs it at size on a cluster of its own with an audit log;
tests/e2e/test_bench.py runs a small one and asserts behaviour, never timing.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import GROUP, HMAC_SECRET_NAME, PLURAL, ROTATE_ANNOTATION, VERSION
from support.cluster import LocalCluster, fresh_namespace
from support.processes import RUNTIME_BIN, SimProcess
from support.waiting import wait_until
from support.workloads import create as create_workload
from support.workloads import workload

REPO = Path(__file__).resolve().parents[2]
KUBECTL = REPO / ".tools" / "bin" / "kubectl"
ORG = "1234567"
# As measured in the issue: no workloads, a long interval, a short drain.
ROTATION = {"interval": "720h", "drainPeriod": "2s", "checkInterval": "1s", "maxWait": "30s"}
SHAPES = ("all-at-once", "trickled")
# The operator's clients: ours (the kubernetes default before it was named) and kopf's.
OPERATOR_AGENTS = ("adobe-oauth-operator/", "OpenAPI-Generator/", "kopf/")
PAGE_SIZE = 500
MIB = 1024 * 1024


@dataclass(frozen=True)
class BenchConfig:
    n: int = 1000
    m: int = 100
    shape: str = "all-at-once"
    trickle_s: float = 60.0  # trickled: the credentials are created evenly over this long
    settle_s: float = 10.0  # after adoption, before the idle window
    idle_s: float = 120.0
    adopt_timeout_s: float = 600.0
    rotation_timeout_s: float = 600.0
    restart_s: float = 60.0  # after a restart, before the idle window
    operator_args: tuple[str, ...] = ()
    # Deployments (no replicas) reading the last credentials' Secrets, outside the rotation
    # burst: an operator restart must restart none of them.
    consumers: int = 10
    # As in the image: runtime dependencies only (the test tools change what kubernetes imports).
    operator_bin: Path = RUNTIME_BIN / "adobe-oauth-operator"
    operator_env: dict[str, str] = field(default_factory=dict)
    poll_s: float = 3.0
    # The operator's resync interval: each idle look costs what one pass after a restart costs.
    resync_s: float = 7200.0
    # Delete the credentials at the end (a test's shared cluster); a bench cluster is torn down.
    clean_up: bool = True


@dataclass(frozen=True)
class Cred:
    name: str
    credential_id: str
    client_id: str
    value: str


class Operator:
    """One `adobe-oauth-operator run` process with its defaults (no --verbose, default resync)."""

    def __init__(
        self, workdir: Path, kubeconfig: Path, namespace: str, sim_url: str, config: BenchConfig
    ) -> None:
        self.args = [
            str(config.operator_bin),
            "run",
            "--namespace",
            namespace,
            "--ims-url",
            sim_url,
            "--api-url",
            sim_url,
            *config.operator_args,
        ]
        self.env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "POD_ID": "bench-operator",
            **config.operator_env,
        }
        self.log_path = workdir / "operator.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None and self.proc.poll() is None, "the operator exited"
        return self.proc.pid

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmRSS")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class AuditLog:
    """Requests by the operator's user agents in the API server's audit log, watches excluded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        return self.path.stat().st_size

    def count_since(self, offset: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.path.open("rb") as f:
            f.seek(offset)
            for raw in f:
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue
                agent = event.get("userAgent") or ""
                if event.get("stage") != "ResponseComplete" or event.get("verb") == "watch":
                    continue
                if agent.startswith(OPERATOR_AGENTS):
                    key = f"{event.get('verb')} {event.get('objectRef', {}).get('resource')}"
                    counts[key] = counts.get(key, 0) + 1
        return counts


class Bench:
    """One shape of the benchmark in a fresh namespace of `cluster`."""

    def __init__(
        self,
        cluster: LocalCluster,
        workdir: Path,
        config: BenchConfig,
        audit: AuditLog | None,
        say: Callable[[str], None],
    ) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.config = config
        self.audit = audit
        self.say = say
        self.creds = [
            Cred(
                f"c{i:05d}",
                str(2_000_000 + i),
                secrets.token_hex(16),
                f"p8e-{secrets.token_urlsafe(24)}",
            )
            for i in range(config.n)
        ]

    @contextlib.contextmanager
    def world(self) -> Iterator[tuple[str, SimProcess, Operator]]:
        with contextlib.ExitStack() as stack:
            namespace = stack.enter_context(fresh_namespace(self.cluster, prefix="bench"))
            seeds = [
                {
                    "org_id": ORG,
                    "credential_id": c.credential_id,
                    "client_id": c.client_id,
                    "secrets": [c.value],
                    "age_s": 7200,
                }
                for c in self.creds
            ]
            sim = SimProcess(self.workdir, seeds)
            stack.callback(sim.stop)
            self.kubectl("create", "-n", namespace, "-f", "-", stdin=self.secrets_yaml())
            for c in self.consumer_creds:
                manifest = workload("Deployment", c.name, c.name, replicas=0)
                create_workload(self.cluster, namespace, manifest)
            operator = Operator(
                self.workdir, self.cluster.kubeconfig, namespace, sim.url, self.config
            )
            operator.start()
            stack.callback(operator.stop)
            if self.config.clean_up:
                stack.callback(self.delete_credentials, namespace, operator)
            wait_until(
                lambda: self.hmac_key_exists(namespace),
                timeout=60,
                what="the operator started (its HMAC key Secret exists)",
            )
            yield namespace, sim, operator

    def run(self) -> dict[str, Any]:
        config = self.config
        result: dict[str, Any] = {"shape": config.shape, "n": config.n, "load_at_start": _load()}
        with self.world() as (namespace, sim, operator):
            started = time.monotonic()
            self.create_credentials(namespace)
            applied = time.monotonic() - started
            adopted = self.wait_adopted(namespace, started)
            state = sim.state()
            result["adopt"] = {
                "seconds": round(time.monotonic() - started, 1),
                "applied_after_s": round(applied, 1),  # the last credential was created then
                "adopted": adopted,
                "adobe_requests": _total(state),
                "peak_adobe_1s": state["rate"]["peak_1s"],
                "peak_adobe_10s": state["rate"]["peak_10s"],
                "cpu_s": round(operator.cpu_s(), 1),
                "rss_mib": operator.rss_mib(),
            }
            time.sleep(config.settle_s)
            result["idle"] = self.idle(sim, operator)
            result["rotations"] = self.rotate(namespace, sim, operator)
            result["rss_after_mib"] = operator.rss_mib()
            result["restart"] = self.restart(namespace, sim, operator)
            result["peak_adobe"] = sim.state()["rate"]
        result["load_at_end"] = _load()
        return result

    # -- phases ------------------------------------------------------------------------------
    def create_credentials(self, namespace: str) -> None:
        if self.config.shape == "all-at-once":
            docs = "".join(f"---\n{yaml.safe_dump(self.credential(c))}" for c in self.creds)
            self.kubectl("apply", "--server-side", "-n", namespace, "-f", "-", stdin=docs)
            return
        gap = self.config.trickle_s / max(1, len(self.creds))
        begin = time.monotonic()
        for i, c in enumerate(self.creds):
            self.cluster.custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, self.credential(c)
            )
            ahead = begin + (i + 1) * gap - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)

    def wait_adopted(self, namespace: str, started: float) -> int:
        deadline = started + self.config.adopt_timeout_s
        adopted = 0
        while time.monotonic() < deadline:
            statuses = self.statuses(namespace)
            adopted = sum(1 for s in statuses.values() if _adopted(s))
            if adopted == len(self.creds):
                break
            self.say(
                f"bench {self.config.shape}: {adopted}/{len(self.creds)} adopted after "
                f"{time.monotonic() - started:.0f}s"
            )
            time.sleep(self.config.poll_s)
        return adopted

    def idle(self, sim: SimProcess, operator: Operator) -> dict[str, Any]:
        seconds = self.config.idle_s
        before, cpu = _total(sim.state()), operator.cpu_s()
        mark = self.audit.mark() if self.audit else None
        self.say(f"bench {self.config.shape}: idle for {seconds:.0f}s")
        time.sleep(seconds)
        figures: dict[str, Any] = {
            "seconds": seconds,
            "rss_mib": operator.rss_mib(),
            "cpu_pct": round(100 * (operator.cpu_s() - cpu) / seconds, 2),
            "adobe_requests": _total(sim.state()) - before,
        }
        if self.audit is not None and mark is not None:
            counts = self.audit.count_since(mark)
            total = sum(counts.values())
            figures["k8s_requests"] = counts
            figures["k8s_per_credential_per_hour"] = round(
                total / len(self.creds) * 3600 / seconds, 3
            )
        return figures

    def rotate(self, namespace: str, sim: SimProcess, operator: Operator) -> dict[str, Any]:
        chosen = self.creds[: self.config.m]
        if not chosen:
            return {}
        request = f"bench-{secrets.token_hex(3)}"
        state = sim.state()
        before, tokens = _total(state), _tokens(state)
        cpu = operator.cpu_s()
        started = time.monotonic()
        for c in chosen:
            self.cluster.custom.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                namespace,
                PLURAL,
                c.name,
                {"metadata": {"annotations": {ROTATE_ANNOTATION: request}}},
            )
        names = {c.name for c in chosen}
        deadline = started + self.config.rotation_timeout_s
        done = 0
        while time.monotonic() < deadline:
            statuses = self.statuses(namespace)
            done = sum(1 for n in names if _rotated(statuses.get(n, {}), request))
            if done == len(names):
                break
            self.say(f"bench {self.config.shape}: {done}/{len(names)} rotated")
            time.sleep(self.config.poll_s)
        seconds = time.monotonic() - started
        state = sim.state()
        return {
            "m": len(chosen),
            "rotated": done,
            "seconds": round(seconds, 1),
            "adobe_requests_per_rotation": round((_total(state) - before) / len(chosen), 2),
            "token_grants_per_rotation": round((_tokens(state) - tokens) / len(chosen), 2),
            "by_endpoint": {e: sum(c.values()) for e, c in state["requests"].items()},
            "cpu_s": round(operator.cpu_s() - cpu, 1),
        }

    def restart(self, namespace: str, sim: SimProcess, operator: Operator) -> dict[str, Any]:
        generations = self.consumer_generations(namespace)
        operator.stop()
        before = _total(sim.state())
        mark = self.audit.mark() if self.audit else None
        operator.start()
        time.sleep(self.config.restart_s)
        figures: dict[str, Any] = {
            "after_s": self.config.restart_s,
            "adobe_requests": _total(sim.state()) - before,
            "rss_mib": operator.rss_mib(),
            # A restart patches a Deployment's pod template (a new generation) only by mistake.
            "workloads_restarted": sum(
                1
                for name, generation in self.consumer_generations(namespace).items()
                if generation != generations.get(name)
            ),
            "workloads_watched": len(generations),
        }
        if self.audit is not None and mark is not None:
            requests = sum(self.audit.count_since(mark).values())
            figures["k8s_requests"] = requests
            # Every credential's first pass runs in this window, reading what a resync reads.
            figures["k8s_per_credential_per_hour_at_resync"] = round(
                requests / len(self.creds) * 3600 / self.config.resync_s, 3
            )
        figures["idle"] = self.idle(sim, operator)
        return figures

    # -- helpers -----------------------------------------------------------------------------
    @property
    def consumer_creds(self) -> list[Cred]:
        if self.config.consumers <= 0:
            return []
        first = max(self.config.m, len(self.creds) - self.config.consumers)
        return self.creds[first:]

    def consumer_generations(self, namespace: str) -> dict[str, int]:
        return {
            c.name: self.cluster.apps.read_namespaced_deployment(
                c.name, namespace
            ).metadata.generation
            for c in self.consumer_creds
        }

    def credential(self, c: Cred) -> dict[str, Any]:
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AdobeOAuthCredential",
            "metadata": {"name": c.name},
            "spec": {
                "orgId": ORG,
                "credentialId": c.credential_id,
                "secretName": c.name,
                "rotation": dict(ROTATION),
                "rollout": {"timeout": "60s"},
            },
        }

    def secrets_yaml(self) -> str:
        return "".join(
            "---\n"
            + yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": c.name},
                    "stringData": {"ADOBE_CLIENT_ID": c.client_id, "ADOBE_CLIENT_SECRET": c.value},
                }
            )
            for c in self.creds
        )

    def statuses(self, namespace: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        token = None
        while True:
            page = self.cluster.custom.list_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, limit=PAGE_SIZE, _continue=token
            )
            for item in page["items"]:
                found[item["metadata"]["name"]] = item.get("status") or {}
            token = page["metadata"].get("continue")
            if not token:
                return found

    def hmac_key_exists(self, namespace: str) -> bool:
        try:
            self.cluster.core.read_namespaced_secret(HMAC_SECRET_NAME, namespace)
        except ApiException:
            return False
        return True

    def delete_credentials(self, namespace: str, operator: Operator) -> None:
        """Delete the resources while the operator runs, so it releases its finalizers."""
        if operator.proc is None or operator.proc.poll() is not None:
            operator.start()
        self.cluster.custom.delete_collection_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL
        )
        wait_until(
            lambda: not self.statuses(namespace),
            timeout=max(60, self.config.n / 5),
            what="credentials deleted",
        )

    def kubectl(self, *args: str, stdin: str) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=self.workdir) as f:
            f.write(stdin)
            f.flush()
            cmd = [str(KUBECTL), "--kubeconfig", str(self.cluster.kubeconfig), *args]
            cmd[-1] = f.name  # the `-` placeholder: kubectl reads the file
            subprocess.run(cmd, check=True, capture_output=True)


def _adopted(status: dict[str, Any]) -> bool:
    return bool(status.get("currentSecretUuid")) and status.get("phase") == "Ready"


def _rotated(status: dict[str, Any], request: str) -> bool:
    return (
        status.get("lastRotateRequest") == request
        and not status.get("rotation")
        and status.get("phase") == "Ready"
    )


def _total(state: dict[str, Any]) -> int:
    return sum(sum(by_status.values()) for by_status in state["requests"].values())


def _tokens(state: dict[str, Any]) -> int:
    return int(state["requests"]["token"].get("200", 0))


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
