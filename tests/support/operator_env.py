"""A namespace with the simulator, the operator process and helpers to drive a credential."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adobe_oauth_operator.names import GROUP, PLURAL, VERSION
from support import workloads
from support.apps import AppEmulator
from support.cluster import LocalCluster
from support.processes import OperatorProcess, SimProcess, sha256
from support.waiting import wait_until

ORG, CRED = "1234567", "7654321"
FAST_ROTATION = {"drainPeriod": "2s", "checkInterval": "1s", "maxWait": "30s"}


def condition(status: dict[str, Any], type_: str) -> dict[str, str]:
    """One entry of status.conditions by type; empty when the operator has not set it yet."""
    return next((c for c in status.get("conditions") or [] if c["type"] == type_), {})


@dataclass
class Env:
    cluster: LocalCluster
    namespace: str
    sim: SimProcess
    operator: OperatorProcess
    client_id: str
    initial_value: str
    workdir: Path

    # -- the resource ------------------------------------------------------------------------
    def apply_credential(
        self, name: str = "creds", *, namespace: str | None = None, **spec: Any
    ) -> None:
        """Create the resource (in `namespace`, default the test's) with the test's spec."""
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AdobeOAuthCredential",
            "metadata": {"name": name},
            "spec": {
                "orgId": ORG,
                "credentialId": CRED,
                "secretName": "adobe-creds",
                "rotation": dict(FAST_ROTATION),
                "rollout": {"timeout": "60s"},
                **spec,
            },
        }
        self.cluster.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace or self.namespace, PLURAL, body
        )

    def separate_credential(self, credential_id: str, secret_name: str) -> None:
        """Another Adobe credential in the simulator (its own client id and secret) and a Secret
        holding it: a resource of its own, since one credential and one Secret have one owner."""
        client_id = secrets.token_hex(16)
        value = f"p8e-{secrets.token_urlsafe(24)}"
        self.sim.call(
            "POST",
            "/__sim/credentials",
            {
                "org_id": ORG,
                "credential_id": credential_id,
                "client_id": client_id,
                "secrets": [value],
                "age_s": 7200,
            },
        )
        self.cluster.core.create_namespaced_secret(
            self.namespace,
            {
                "metadata": {"name": secret_name},
                "stringData": {"ADOBE_CLIENT_ID": client_id, "ADOBE_CLIENT_SECRET": value},
            },
        )

    def credential(self, name: str = "creds") -> dict[str, Any]:
        return dict(
            self.cluster.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, name
            )
        )

    def status(self, name: str = "creds") -> dict[str, Any]:
        return dict(self.credential(name).get("status") or {})

    def annotate(self, annotations: dict[str, str], name: str = "creds") -> None:
        self.cluster.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name, {"metadata": {"annotations": annotations}}
        )

    def request_rotation(self, emergency: bool = False, name: str = "creds") -> None:
        annotations = {"adobe-oauth-operator.dev/rotate": secrets.token_hex(4)}
        if emergency:
            annotations["adobe-oauth-operator.dev/emergency"] = "true"
        self.annotate(annotations, name)

    def wait_adopted(self, timeout: float = 60) -> dict[str, Any]:
        return wait_until(
            lambda: (
                (s := self.status()).get("currentSecretUuid") and s.get("phase") == "Ready" and s
            ),
            timeout=timeout,
            what="adoption",
        )

    def wait_rotations(self, count: int, timeout: float = 90) -> dict[str, Any]:
        return wait_until(
            lambda: (
                len((s := self.status()).get("history") or []) >= count
                and not s.get("rotation")
                and s
            ),
            timeout=timeout,
            what=f"{count} finished rotation(s)",
        )

    def wait_phase(self, phase: str, timeout: float = 60) -> dict[str, Any]:
        return wait_until(
            lambda: (s := self.status()).get("phase") == phase and s,
            timeout=timeout,
            what=f"phase {phase}",
        )

    # -- what the world looks like -----------------------------------------------------------
    def app_secret_value(self) -> str:
        secret = self.cluster.core.read_namespaced_secret("adobe-creds", self.namespace)
        return base64.b64decode(secret.data["ADOBE_CLIENT_SECRET"]).decode()

    def adobe_secrets(self) -> list[dict[str, Any]]:
        return self.sim.secrets(CRED)

    def wait_events(self, reason: str, timeout: float = 30) -> list[Any]:
        """Events are emitted right after the status write that a test may have just seen."""
        return wait_until(lambda: self.events(reason), timeout=timeout, what=f"a {reason} event")

    def events(self, reason: str | None = None) -> list[Any]:
        items = self.cluster.core.list_namespaced_event(self.namespace).items
        return [e for e in items if reason is None or e.reason == reason]

    def add_deployment(self, name: str = "web", replicas: int = 2, **spec: Any) -> None:
        manifest = workloads.workload("Deployment", name, "adobe-creds", replicas=replicas)
        manifest["spec"].update(spec)
        workloads.create(self.cluster, self.namespace, manifest)
        wait_until(
            lambda: workloads.rollout_complete(self.cluster, self.namespace, "Deployment", name),
            timeout=60,
            what=f"Deployment {name} ready",
        )

    def apps(self) -> AppEmulator:
        return AppEmulator(self.cluster, self.namespace, "adobe-creds", self.sim, self.client_id)

    def assert_clean_end_state(self, rotations: int) -> None:
        """Exactly one secret in Adobe, the Secret holds it, status agrees, no pending Secret."""
        status = self.status()
        remaining = self.adobe_secrets()
        assert len(remaining) == 1, remaining
        assert remaining[0]["uuid"] == status["currentSecretUuid"]
        assert remaining[0]["value_sha256"] == sha256(self.app_secret_value())
        assert status["phase"] == "Ready"
        assert [h["result"] for h in status["history"]][:rotations] == ["Succeeded"] * rotations
        wait_until(lambda: not self._pending_secrets(), timeout=30, what="pending Secret removed")

    def _pending_secrets(self) -> list[Any]:
        return list(
            self.cluster.core.list_namespaced_secret(
                self.namespace, label_selector="adobe-oauth-operator.dev/pending=true"
            ).items
        )
