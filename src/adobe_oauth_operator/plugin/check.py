"""`kubectl aoc check`: a read-only preflight of a credential, each failure with what to fix."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx

from adobe_oauth_operator.adobe.client import MAX_SECRETS, AdobeClient
from adobe_oauth_operator.adobe.errors import (
    AdobeError,
    CredentialNotFoundError,
    InvalidClientError,
    PermissionDeniedError,
)
from adobe_oauth_operator.adobe.ims import TOKEN_PATH
from adobe_oauth_operator.adobe.models import ClientSecretValue, CredentialRef, SecretInfo
from adobe_oauth_operator.adobe.retry import RetryPolicy
from adobe_oauth_operator.adobe.scopes import IO_MANAGEMENT_SCOPES
from adobe_oauth_operator.plugin.kube import Cluster, PluginError
from adobe_oauth_operator.plugin.report import read_status
from adobe_oauth_operator.rotation.model import Rotation, Spec
from adobe_oauth_operator.rotation.validation import client_id_problem

# A preflight answers quickly: one retry of a transient failure, not the operator's budget.
PREFLIGHT_RETRY = RetryPolicy(max_attempts=2, max_total_s=15.0)


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool | None  # None: skipped, an earlier check failed
    detail: str = ""
    fix: str = ""

    def lines(self) -> list[str]:
        mark = {True: "[ok]  ", False: "[FAIL]", None: "[skip]"}[self.ok]
        out = [f"{mark} {self.name}" + (f": {self.detail}" if self.detail else "")]
        if self.fix:
            out.append(f"       fix: {self.fix}")
        return out


@dataclass
class Preflight:
    cluster: Cluster
    ims_url: str
    api_url: str
    # Where each result and the announcement of the Adobe calls go, as they happen.
    out: Callable[[str], None] = lambda _: None
    transport: httpx.AsyncBaseTransport | None = None  # tests: a stand-in for Adobe

    def run(
        self, name: str, raw_spec: dict[str, Any], raw_status: dict[str, Any] | None = None
    ) -> list[Result]:
        """The checks in order; `raw_status` is the applied resource's, None for a manifest."""
        results: list[Result] = []
        spec = self._spec(name, raw_spec, results)
        secret = self._secret(spec, results) if spec else None
        if spec is None or secret is None:
            results += _skipped("token", "secrets list", "secret count")
            self._say(results)
            return results
        self._say(results)
        client_id, value = secret
        for line in self.announcement(spec, client_id):
            self.out(line)
        adobe = asyncio.run(self._adobe(spec, client_id, value, read_status(raw_status).rotation))
        self._say(adobe)
        return results + adobe

    def announcement(self, spec: Spec, client_id: str) -> list[str]:
        """What the Adobe checks will call, said before they call it."""
        where = f"Secret {self.cluster.namespace}/{spec.secret_name}"
        segments = ("console", "organizations", spec.org_id, "credentials", spec.credential_id)
        secrets_url = (
            self.api_url.rstrip("/")
            + "/"
            + "/".join(quote(s, safe="") for s in (*segments, "secrets"))
        )
        return [
            f"calling Adobe next, as client {client_id}, with the client secret {where} holds"
            f" now (key {spec.client_secret_key}; never the operator's pending or known-good"
            " copy):",
            f"  POST {self.ims_url.rstrip('/')}{TOKEN_PATH}  one token request; Adobe counts it"
            " as a use of that client secret (its last-used time moves)",
            f"  GET  {secrets_url}  the credential's client secrets (uuids and times)",
            "  nothing is created or deleted",
        ]

    def _say(self, results: list[Result]) -> None:
        for result in results:
            for line in result.lines():
                self.out(line)

    def _spec(self, name: str, raw: dict[str, Any], results: list[Result]) -> Spec | None:
        try:
            spec = Spec.from_dict(raw, name=name)
        except ValueError as exc:
            results.append(Result("spec", False, str(exc), "correct the spec as the message says"))
            return None
        results.append(Result("spec", True, f"org {spec.org_id}, credential {spec.credential_id}"))
        return replace(spec, scopes=spec.scopes or IO_MANAGEMENT_SCOPES)

    def _secret(self, spec: Spec, results: list[Result]) -> tuple[str, ClientSecretValue] | None:
        where = f"Secret {self.cluster.namespace}/{spec.secret_name}"
        keys = f"{spec.client_id_key} and {spec.client_secret_key}"
        try:
            secret = self.cluster.secret(spec.secret_name)
        except PluginError as exc:
            results.append(Result("Secret", False, str(exc), f"read access to {where} is needed"))
            return None
        if secret is None:
            fix = (
                f"create it: kubectl -n {self.cluster.namespace} create secret generic"
                f" {spec.secret_name} --from-literal={spec.client_id_key}=<client id>"
                f" --from-literal={spec.client_secret_key}=<client secret>"
            )
            results.append(Result("Secret", False, f"{where} does not exist", fix))
            return None
        data = secret.data or {}
        missing = [k for k in (spec.client_id_key, spec.client_secret_key) if not data.get(k)]
        if missing:
            fix = f"{where} must hold both {keys} (spec.secretKeys names them)"
            results.append(Result("Secret", False, f"{where} lacks {', '.join(missing)}", fix))
            return None
        client_id = base64.b64decode(data[spec.client_id_key]).decode(errors="replace").strip()
        if (problem := client_id_problem(client_id)) is not None:
            results.append(Result("Secret", False, f"{spec.client_id_key}: {problem}", _COPY_ID))
            return None
        if spec.client_id and spec.client_id.lower() != client_id.lower():
            fix = "spec.clientId and the Secret's client id must be the same credential's"
            results.append(Result("Secret", False, "spec.clientId differs from the Secret's", fix))
            return None
        value = ClientSecretValue(
            base64.b64decode(data[spec.client_secret_key]).decode(errors="replace")
        )
        results.append(Result("Secret", True, f"{where} holds {keys}"))
        return client_id, value

    async def _adobe(
        self,
        spec: Spec,
        client_id: str,
        value: ClientSecretValue,
        rotation: Rotation | None,
    ) -> list[Result]:
        ref = CredentialRef(spec.org_id, spec.credential_id, client_id)
        results: list[Result] = []
        http = httpx.AsyncClient(transport=self.transport) if self.transport else None
        try:
            listed = await self._calls(spec, ref, value, http, results)
        finally:
            if http is not None:
                await http.aclose()
        if listed is None:
            return results
        results[-1] = replace(results[-1], detail=f"{len(listed)} client secret(s)")
        results.append(_count(listed, rotation))
        return results

    async def _calls(
        self,
        spec: Spec,
        ref: CredentialRef,
        value: ClientSecretValue,
        http: httpx.AsyncClient | None,
        results: list[Result],
    ) -> list[SecretInfo] | None:
        """One token request and one list, both with `value`; None (and skips) on a failure."""
        async with AdobeClient(
            ims_url=self.ims_url, api_url=self.api_url, retry=PREFLIGHT_RETRY, http_client=http
        ) as adobe:
            token = await _attempt(
                "token", results, _token_fix(self.ims_url), adobe.get_token(ref, value, spec.scopes)
            )
            if token is None:
                results += _skipped("secrets list", "secret count")
                return None
            results[-1] = replace(results[-1], detail="IMS issued a token with the scopes")
            listed: list[SecretInfo] | None = await _attempt(
                "secrets list",
                results,
                _list_fix(spec),
                adobe.list_secrets(ref, value, spec.scopes),
            )
        if listed is None:
            results += _skipped("secret count")
        return listed


def _count(listed: list[SecretInfo], rotation: Rotation | None) -> Result:
    """Room for a rotation's new secret; during a rotation, its two secrets are expected."""
    uuids = ", ".join(s.uuid for s in listed)
    if rotation is not None:
        if {s.uuid for s in listed} <= {rotation.old_secret_uuid, rotation.new_secret_uuid}:
            return Result(
                "secret count",
                True,
                f"{len(listed)} of {MAX_SECRETS}: rotation {rotation.id} is in progress (step"
                f" {rotation.step}); the operator deletes the old client secret"
                f" {rotation.old_secret_uuid} when it ends: delete nothing by hand",
            )
        return Result(
            "secret count",
            False,
            f"the credential holds {len(listed)} client secret(s) ({uuids}) while rotation"
            f" {rotation.id} is in progress (step {rotation.step})",
            "read `kubectl aoc status`: the operator names a client secret it cannot account"
            " for (SecretLimitReached); delete nothing the rotation still needs",
        )
    if len(listed) >= MAX_SECRETS:
        return Result(
            "secret count",
            False,
            f"the credential holds {len(listed)} client secrets ({uuids}); a rotation"
            f" adds one and Adobe allows {MAX_SECRETS}",
            "delete the client secret the Secret does not hold in the Developer"
            " Console (OAuth Server-to-Server > client secrets), after making sure"
            " nothing uses it",
        )
    return Result("secret count", True, f"{len(listed)} of {MAX_SECRETS}")


_COPY_ID = "copy the client id from the Developer Console (OAuth Server-to-Server credential)"


async def _attempt(
    name: str, results: list[Result], fix: Callable[[AdobeError], str], call: Any
) -> Any:
    try:
        value = await call
    except AdobeError as exc:
        results.append(Result(name, False, str(exc), fix(exc)))
        return None
    results.append(Result(name, True))
    return value


def _token_fix(ims_url: str) -> Callable[[AdobeError], str]:
    def fix(exc: AdobeError) -> str:
        if isinstance(exc, InvalidClientError):
            return (
                "the Secret must hold the credential's client id and a current client secret;"
                " compare them with the Developer Console"
            )
        if isinstance(exc, PermissionDeniedError):
            return (
                "add the I/O Management API to the project in the Developer Console, so the"
                " credential may request its scopes (spec.scopes lists them when set)"
            )
        return f"IMS at {ims_url} did not answer as expected; check --ims-url and the network"

    return fix


def _list_fix(spec: Spec) -> Callable[[AdobeError], str]:
    def fix(exc: AdobeError) -> str:
        if isinstance(exc, CredentialNotFoundError):
            return (
                f"spec.orgId {spec.org_id} and spec.credentialId {spec.credential_id} must be the"
                " numbers from the Developer Console URL .../projects/{orgId}/.../credentials/"
                "{credentialId}/..."
            )
        if isinstance(exc, PermissionDeniedError):
            return (
                "the token may not read the credential's client secrets: add the I/O Management"
                " API to the project and give the credential the read_client_secret and"
                " manage_client_secrets scopes"
            )
        return "the I/O Management API did not answer as expected; check --api-url and the network"

    return fix


def _skipped(*names: str) -> list[Result]:
    return [Result(n, None, "not checked: an earlier check failed") for n in names]
