"""The simulator and the operator as real processes, the way users run them."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from support.cluster import REPO
from support.waiting import wait_until

BIN = Path(sys.executable).parent
# The operator runs from a virtualenv holding only its runtime dependencies (`make runtime-venv`,
# part of `make test`), as in the image. In .venv the test tools make `import kubernetes` load
# kubernetes-validate and jsonschema's format checkers: 4 s of CPU and wall time at each start.
RUNTIME_BIN = REPO / ".tools" / "runtime-venv" / "bin"


def runtime_executable(name: str) -> Path:
    """`name` from the runtime virtualenv, or a clear error saying how to make it."""
    path = RUNTIME_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make runtime-venv` (`make test` does)")
    return path


class SimProcess:
    """`adobe-oauth-sim` on a free port, seeded with credentials."""

    def __init__(self, workdir: Path, credentials: list[dict[str, Any]], *args: str) -> None:
        seed = workdir / "sim-seed.yaml"
        seed.write_text(yaml.safe_dump({"credentials": credentials}))
        self.log = (workdir / "sim.log").open("w")
        self.proc = subprocess.Popen(
            [
                str(BIN / "adobe-oauth-sim"),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--seed",
                str(seed),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        if not first.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"simulator did not start: {first!r}")
        self.url = first.removeprefix("listening on ")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the simulator on loopback
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            raw = resp.read()
        return json.loads(raw) if raw else None

    def state(self) -> dict[str, Any]:
        return dict(self.call("GET", "/__sim/state"))

    def secrets(self, credential_id: str) -> list[dict[str, Any]]:
        for cred in self.state()["credentials"]:
            if cred["credential_id"] == credential_id:
                return list(cred["secrets"])
        raise KeyError(credential_id)

    def use(self, client_id: str, client_secret: str) -> None:
        self.call("POST", "/__sim/use", {"client_id": client_id, "client_secret": client_secret})

    def now_ms(self) -> int:
        """The simulator's clock (wall time plus what tests advanced it by)."""
        return int(self.call("GET", "/__sim/clock")["now_ms"])

    def advance_clock(self, seconds: float) -> int:
        return int(self.call("POST", "/__sim/clock", {"advance_s": seconds})["now_ms"])

    def fault(self, **spec: Any) -> None:
        self.call("POST", "/__sim/faults", spec)

    def token_grants(self) -> int:
        return int(self.state()["requests"]["token"].get("200", 0))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class OperatorProcess:
    """`adobe-oauth-operator run` watching one namespace, logging to a file tests can read."""

    def __init__(
        self,
        workdir: Path,
        kubeconfig: Path,
        namespace: str,
        sim_url: str,
        *extra: str,
        env: dict[str, str] | None = None,
        identity: str | None = None,
        log_name: str = "operator.log",
        command: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.args = [
            *(command or [str(runtime_executable("adobe-oauth-operator"))]),  # or another build
            "run",
            "--namespace",
            namespace,
            "--ims-url",
            sim_url,
            "--api-url",
            sim_url,
            "--verbose",
            "--resync-seconds",
            "2",
            *extra,
        ]
        # The identity recorded with each action; a restart keeps it, as a pod's name does.
        self.identity = identity or f"operator-{workdir.name}"
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "POD_ID": self.identity}
        self.log_path = workdir / log_name
        self.starts = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.start(env)

    def start(self, env: dict[str, str] | None = None) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"--- start {self.starts} ---\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            self.args, env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful shutdown, like a node dying."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        wait_until(lambda: text in self.logs(), timeout=timeout, what=f"operator log {text!r}")
