"""`make demo`: a whole rotation on the local control plane with the Adobe simulator.

Brings up the cluster (unless already up), the simulator seeded with one credential and the
operator; applies examples/; requests a rotation and shows it step by step until Ready; ends with
what changed. Ctrl-C or the end stops everything the demo started.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
KUBECTL = REPO / ".tools" / "bin" / "kubectl"
VENV_BIN = Path(sys.executable).parent
SEED = {
    "credentials": [
        {
            "org_id": "1234567",
            "credential_id": "7654321",
            "client_id": "dec0de0123456789abcdef0123456789",
            "secrets": ["p8e-demo-only-initial-client-secret"],
            "age_s": 86400,
        }
    ]
}


class Demo:
    def __init__(self, namespace: str, timeout: float) -> None:
        self.namespace = namespace
        self.timeout = timeout
        self.work = Path(tempfile.mkdtemp(prefix="aoo-demo-"))
        self.started_cluster = False
        self.procs: list[subprocess.Popen[Any]] = []
        self.kubeconfig = ""
        self.sim_url = ""

    # -- helpers -------------------------------------------------------------------------------
    def kubectl(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            [str(KUBECTL), "--kubeconfig", self.kubeconfig, *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if check and out.returncode != 0:
            raise SystemExit(f"kubectl {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout

    def get_aoc(self) -> dict[str, Any]:
        return dict(
            json.loads(self.kubectl("get", "aoc", "demo", "-n", self.namespace, "-o", "json"))
        )

    def sim_state(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(f"{self.sim_url}/__sim/state", timeout=5) as resp:  # noqa: S310
            return dict(json.load(resp))

    def wait(self, what: str, check: Any) -> Any:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.5)
        raise SystemExit(f"timed out waiting for {what}")

    # -- the story -----------------------------------------------------------------------------
    def run(self) -> None:
        self.cluster_up()
        self.start_simulator()
        say("Installing the CRD and applying examples/ (Secret, AdobeOAuthCredential, Deployment)")
        self.kubectl("apply", "-f", str(REPO / "crds"))
        self.kubectl(
            "wait",
            "--for=condition=Established",
            "crd/adobeoauthcredentials.adobe-oauth-operator.dev",
            "--timeout=30s",
        )
        self.kubectl("create", "namespace", self.namespace, check=False)
        self.wait(
            "the namespace's default ServiceAccount",
            lambda: self.kubectl(
                "get", "serviceaccount", "default", "-n", self.namespace, check=False
            ),
        )
        self.kubectl("apply", "-n", self.namespace, "-f", str(REPO / "examples"))
        self.kubectl(
            "rollout", "status", "deployment/adobe-client", "-n", self.namespace, "--timeout=60s"
        )
        pods_before = self.pod_names()
        self.start_operator()
        adopted = self.wait(
            "adoption",
            lambda: (s := self.get_aoc().get("status") or {}).get("phase") == "Ready" and s,
        )
        old_uuid = adopted["currentSecretUuid"]
        say(f"Adopted: the Secret holds client secret {old_uuid}")
        print(self.kubectl("get", "aoc", "-n", self.namespace))

        say("Requesting a rotation: kubectl annotate aoc demo adobe-oauth-operator.dev/rotate=...")
        self.kubectl(
            "annotate",
            "aoc",
            "demo",
            "-n",
            self.namespace,
            "--overwrite",
            f"adobe-oauth-operator.dev/rotate={int(time.time())}",
        )
        final = self.follow_rotation()
        self.summary(old_uuid, final, pods_before)

    def cluster_up(self) -> None:
        status = subprocess.run(
            [str(REPO / "hack" / "local-cluster"), "status"], capture_output=True, check=False
        )
        self.started_cluster = status.returncode != 0
        say(
            "Starting the local control plane"
            if self.started_cluster
            else "Reusing the local control plane that is already up"
        )
        out = subprocess.run(
            [str(REPO / "hack" / "local-cluster"), "up"],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        self.kubeconfig = out.stdout.strip().splitlines()[-1].removeprefix("KUBECONFIG=")

    def start_simulator(self) -> None:
        import yaml

        seed = self.work / "seed.yaml"
        seed.write_text(yaml.safe_dump(SEED))
        proc = subprocess.Popen(
            [str(VENV_BIN / "adobe-oauth-sim"), "--port", "0", "--seed", str(seed)],
            stdout=subprocess.PIPE,
            text=True,
            stderr=(self.work / "sim.log").open("w"),
        )
        self.procs.append(proc)
        assert proc.stdout is not None
        self.sim_url = proc.stdout.readline().strip().removeprefix("listening on ")
        say(f"Adobe simulator at {self.sim_url} (one credential, one client secret)")

    def start_operator(self) -> None:
        log = (self.work / "operator.log").open("w")
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "adobe-oauth-operator"),
                "run",
                "--namespace",
                self.namespace,
                "--ims-url",
                self.sim_url,
                "--api-url",
                self.sim_url,
            ],
            env={**os.environ, "KUBECONFIG": self.kubeconfig},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        say(f"Operator running (log: {self.work / 'operator.log'})")

    def follow_rotation(self) -> dict[str, Any]:
        seen: set[str] = set()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            status = self.get_aoc().get("status") or {}
            rotation = status.get("rotation") or {}
            rotating = next(
                (c for c in status.get("conditions", []) if c["type"] == "Rotating"), {}
            )
            line = (
                f"  [{status.get('phase')}] {rotation.get('step', '-'):<12} "
                f"{rotating.get('message', '')}"
            )
            if line not in seen:
                seen.add(line)
                print(line, flush=True)
            if status.get("history") and not rotation and status.get("phase") == "Ready":
                return status
            time.sleep(0.5)
        raise SystemExit("the rotation did not finish in time; see the operator log")

    def pod_names(self) -> list[str]:
        out = self.kubectl(
            "get",
            "pods",
            "-n",
            self.namespace,
            "-l",
            "app=adobe-client",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        )
        return sorted(out.split())

    def summary(self, old_uuid: str, status: dict[str, Any], pods_before: list[str]) -> None:
        entry = status["history"][0]
        say("Rotation finished")
        print(f"  rotation id:     {entry['id']} ({entry['reason']}, {entry['result']})")
        print(f"  old secret uuid: {old_uuid} (deleted in Adobe)")
        print(f"  new secret uuid: {status['currentSecretUuid']}")
        print(f"  pods before:     {', '.join(pods_before)}")
        self.wait("the rollout to settle", lambda: len(self.pod_names()) == len(pods_before))
        print(f"  pods after:      {', '.join(self.pod_names())}")
        state = self.sim_state()
        secrets_now = [s["uuid"] for s in state["credentials"][0]["secrets"]]
        print(f"  Adobe now holds: {', '.join(secrets_now)}")
        print(f"  simulator requests: {json.dumps(state['requests'])}")
        print(self.kubectl("get", "aoc", "-n", self.namespace))
        print(
            self.kubectl(
                "get",
                "events",
                "-n",
                self.namespace,
                "--field-selector",
                "involvedObject.kind=AdobeOAuthCredential",
                "--sort-by=.lastTimestamp",
                "-o",
                "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message",
            )
        )

    def stop(self) -> None:
        if self.kubeconfig and not self.started_cluster:
            # Delete the resource while the operator runs, so it releases its finalizer.
            self.kubectl(
                "delete", "aoc", "--all", "-n", self.namespace, "--timeout=30s", check=False
            )
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if self.started_cluster:
            subprocess.run([str(REPO / "hack" / "local-cluster"), "down"], check=False)
            say("Stopped the local control plane")
        elif self.kubeconfig:
            self.kubectl("delete", "namespace", self.namespace, "--wait=false", check=False)


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", default=f"demo-{secrets.token_hex(2)}")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    demo = Demo(args.namespace, args.timeout)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        demo.run()
    except KeyboardInterrupt:
        say("Interrupted")
    finally:
        demo.stop()


if __name__ == "__main__":
    main()
