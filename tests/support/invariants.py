"""A background check that the application Secret always holds a client secret Adobe holds."""

from __future__ import annotations

import base64
import contextlib
import threading
from typing import Any

from support.cluster import LocalCluster
from support.processes import SimProcess, sha256


class SecretWatch:
    """Every `interval` s: the Secret's value is one of the credential's secrets in Adobe, and
    Adobe holds at most 2. Records violations instead of raising, so a test sees all of them."""

    def __init__(
        self,
        cluster: LocalCluster,
        namespace: str,
        sim: SimProcess,
        credential_id: str,
        secret_name: str = "adobe-creds",
        interval: float = 0.2,
    ) -> None:
        self.cluster, self.namespace, self.sim = cluster, namespace, sim
        self.credential_id, self.secret_name, self.interval = credential_id, secret_name, interval
        self.violations: list[str] = []
        self.checks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SecretWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            # A failed read (the Secret deleted on purpose, a busy server) is not a violation.
            with contextlib.suppress(Exception):
                self._check()

    def _check(self) -> None:
        adobe = self.sim.secrets(self.credential_id)
        if len(adobe) > 2:
            self.violations.append(f"Adobe holds {len(adobe)} secrets")
        secret = self.cluster.core.read_namespaced_secret(self.secret_name, self.namespace)
        value = base64.b64decode((secret.data or {}).get("ADOBE_CLIENT_SECRET", "")).decode()
        if sha256(value) not in {s["value_sha256"] for s in adobe}:
            self.violations.append(
                f"the Secret holds a client secret Adobe does not have (Adobe: "
                f"{[s['uuid'] for s in adobe]})"
            )
        self.checks += 1
