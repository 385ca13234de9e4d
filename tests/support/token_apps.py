"""Plays an application that reads only the vended access token, as a mounted file is re-read.

Every `interval` s it reads the token Secret and calls the simulator's stand-in for any other
Adobe API with that token (a vended token cannot call the secrets endpoints). Anything but a 200
is recorded with the time, so a test can show there was no window in which the Secret held a token
Adobe refused.
"""

from __future__ import annotations

import base64
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from support.cluster import LocalCluster
from support.operator_env import CRED, ORG
from support.processes import SimProcess


class TokenReader:
    def __init__(
        self,
        cluster: LocalCluster,
        namespace: str,
        sim: SimProcess,
        client_id: str,
        secret_name: str = "adobe-token",
        key: str = "ADOBE_ACCESS_TOKEN",
        interval: float = 0.2,
    ) -> None:
        self.cluster, self.namespace, self.sim = cluster, namespace, sim
        self.client_id, self.secret_name, self.key = client_id, secret_name, key
        self.interval = interval
        self.tokens: set[str] = set()
        self.accepted = 0
        self.refused: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TokenReader:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def read_token(self) -> str:
        secret = self.cluster.core.read_namespaced_secret(self.secret_name, self.namespace)
        return base64.b64decode(secret.data[self.key]).decode()

    def call(self, token: str) -> int:
        """The status an application's Adobe API call made with `token` gets."""
        return self._send("GET", "/__sim/api", token)

    def secrets_call(self, token: str, method: str, uuid: str = "") -> int:
        """The status Adobe's secrets endpoints answer: GET lists, POST adds, DELETE deletes."""
        path = f"/console/organizations/{ORG}/credentials/{CRED}/secrets"
        return self._send(method, f"{path}/{uuid}" if uuid else path, token)

    def _send(self, method: str, path: str, token: str) -> int:
        request = urllib.request.Request(  # noqa: S310 - the simulator on loopback
            f"{self.sim.url}{path}",
            method=method,
            headers={"Authorization": f"Bearer {token}", "x-api-key": self.client_id},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                token = self.read_token()
            except Exception as exc:  # the Secret must always be readable once it exists
                self.refused.append((time.time(), f"read: {type(exc).__name__}"))
                continue
            self.tokens.add(token)
            status = self.call(token)
            if status == 200:
                self.accepted += 1
            else:
                self.refused.append((time.time(), status))
