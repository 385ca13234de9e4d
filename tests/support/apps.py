"""Plays the applications: every Ready pod requests tokens with the secret it was started with.

Pods in the test cluster run no containers, so this thread stands in for them. A pod's secret is
known from the rotation id in its pod template annotation: the Secret carries the same id when it
holds that value.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from adobe_oauth_operator.names import ROTATION_ID_ANNOTATION
from adobe_oauth_operator.sim.model import IO_MANAGEMENT_SCOPES
from support.cluster import LocalCluster
from support.processes import SimProcess


class AppEmulator:
    def __init__(
        self,
        cluster: LocalCluster,
        namespace: str,
        secret_name: str,
        sim: SimProcess,
        client_id: str,
        secret_key: str = "ADOBE_CLIENT_SECRET",
        *,
        tolerate: Callable[[Exception], bool] | None = None,
    ) -> None:
        """`tolerate` picks failures that are not the application's problem (the API server
        being restarted on purpose): they are counted in `tolerated` instead of `errors`."""
        self.cluster, self.namespace, self.secret_name = cluster, namespace, secret_name
        self.sim, self.client_id, self.secret_key = sim, client_id, secret_key
        self.tolerate = tolerate
        self.values: dict[str | None, str] = {}
        self.uses = 0
        self.tolerated = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> AppEmulator:
        self._learn_value()
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _learn_value(self) -> None:
        secret = self.cluster.core.read_namespaced_secret(self.secret_name, self.namespace)
        rid = (secret.metadata.annotations or {}).get(ROTATION_ID_ANNOTATION)
        # A pod keeps the value it started with: a value later written under the same id (a
        # revert behind the operator's back) does not change what running pods use.
        self.values.setdefault(rid, base64.b64decode(secret.data[self.secret_key]).decode())

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self._learn_value()
                for pod in self.cluster.core.list_namespaced_pod(self.namespace).items:
                    ready = any(
                        c.type == "Ready" and c.status == "True"
                        for c in pod.status.conditions or []
                    )
                    if not ready or pod.metadata.deletion_timestamp:
                        continue
                    rid = (pod.metadata.annotations or {}).get(ROTATION_ID_ANNOTATION)
                    value = self.values.get(rid)
                    if value is None:
                        self.errors.append(f"pod {pod.metadata.name}: unknown rotation {rid}")
                        continue
                    self.sim.use(self.client_id, value)
                    self.uses += 1
            except Exception as exc:
                if self.tolerate is not None and self.tolerate(exc):
                    self.tolerated += 1
                else:
                    self.errors.append(repr(exc))


class CachingConsumer:
    """An application outside the cluster that caches its access token, as Adobe advises.

    It asks IMS for a token with the client secret it was configured with, and only again when
    that token has expired by the simulator's clock; in between it calls the API with the token.
    """

    def __init__(self, sim: SimProcess, client_id: str, client_secret: str) -> None:
        self.sim, self.client_id, self.client_secret = sim, client_id, client_secret
        self.token: str | None = None
        self.expires_at_ms = 0
        self.grants = 0

    def call_api(self, org_id: str, credential_id: str) -> None:
        """One API call, renewing the token first only when it has expired."""
        if self.token is None or self.sim.now_ms() >= self.expires_at_ms:
            self._grant()
        path = f"/console/organizations/{org_id}/credentials/{credential_id}/secrets"
        request = urllib.request.Request(  # noqa: S310 - the simulator on loopback
            self.sim.url + path,
            headers={"Authorization": f"Bearer {self.token}", "x-api-key": self.client_id},
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def _grant(self) -> None:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": ",".join(IO_MANAGEMENT_SCOPES),
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the simulator on loopback
            self.sim.url + "/ims/token/v3", data=form, method="POST"
        )
        now_ms = self.sim.now_ms()
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            body = json.loads(resp.read())
        self.token = body["access_token"]
        self.expires_at_ms = now_ms + int(body["expires_in"]) * 1000
        self.grants += 1
