"""A scripted stand-in for IMS and the secrets endpoints, served through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import copy
import re
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx

from adobe_oauth_operator.adobe import CredentialRef

IMS = "https://ims.test"
API = "https://api.test"
CRED = CredentialRef(org_id="111", credential_id="222", client_id="client-abc")
SECRETS_PATH = "/console/organizations/111/credentials/222/secrets"

# The documentation's SECRET sample, once never used and once used.
DOC_SECRET_UNUSED: dict[str, Any] = {
    "uuid": "11ede8ab42f138f3abe335d886a407fb",
    "created_at": "1683005777000",
    "created_at_str": "Tue, May 2 2023 05:36:17.000 UTC",
    "expires_at": "PERMANENT",
    "expires_at_str": "PERMANENT",
    "secret_usages": None,
}
DOC_SECRET_USED: dict[str, Any] = {
    **DOC_SECRET_UNUSED,
    "uuid": "22ede8ab42f138f3abe335d886a407fb",
    "secret_usages": [{"last_used_at": "1683162010101", "grant_type": "client_credentials"}],
}

Answer = httpx.Response | type[Exception] | Callable[[httpx.Request], httpx.Response]


def endpoint_of(request: httpx.Request) -> str:
    """Which call a request is: token, list, add or delete."""
    path = request.url.path
    if path == "/ims/token/v3":
        return "token"
    if re.fullmatch(r"/console/organizations/[^/]+/credentials/[^/]+/secrets", path):
        return {"GET": "list", "POST": "add"}[request.method]
    if request.method == "DELETE":
        return "delete"
    raise AssertionError(f"unexpected request {request.method} {path}")


class FakeAdobe:
    """Default answers per endpoint, overridable by a queue of scripted answers; records calls."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.scripts: dict[str, deque[Answer]] = {
            e: deque() for e in ("token", "list", "add", "delete")
        }
        self.secrets: list[dict[str, Any]] = [copy.deepcopy(DOC_SECRET_USED)]
        self.expires_in = 86399
        self.token_gate: asyncio.Event | None = None
        self.issued: list[str] = []

    def script(self, endpoint: str, *answers: Answer) -> None:
        self.scripts[endpoint].extend(answers)

    def calls(self, endpoint: str) -> list[httpx.Request]:
        return [r for r in self.requests if endpoint_of(r) == endpoint]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        endpoint = endpoint_of(request)
        self.requests.append(request)
        if endpoint == "token" and self.token_gate is not None:
            await self.token_gate.wait()
        scripted = self.scripts[endpoint]
        if scripted:
            answer = scripted.popleft()
            if isinstance(answer, type):
                raise answer("scripted failure", request=request)  # type: ignore[call-arg]
            return answer if isinstance(answer, httpx.Response) else answer(request)
        return getattr(self, f"_{endpoint}")(request)

    def _token(self, _: httpx.Request) -> httpx.Response:
        token = f"token-value-{len(self.issued) + 1}-xyz"
        self.issued.append(token)
        body = {"access_token": token, "token_type": "bearer", "expires_in": self.expires_in}
        return httpx.Response(200, json=body)

    def _list(self, _: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"client_id": CRED.client_id, "client_secrets": self.secrets}
        )

    def _add(self, _: httpx.Request) -> httpx.Response:
        added = {**DOC_SECRET_UNUSED, "uuid": f"{len(self.secrets) + 1:032x}"}
        self.secrets.append(added)
        return httpx.Response(201, json={**added, "client_secret": "p8e-added-secret-value"})

    def _delete(self, request: httpx.Request) -> httpx.Response:
        uuid = request.url.path.rsplit("/", 1)[1]
        self.secrets = [s for s in self.secrets if s["uuid"] != uuid]
        return httpx.Response(204)


def oauth_error(status: int, error: str, description: str = "details") -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": description})


async def settle(predicate: Callable[[], bool], rounds: int = 1000) -> None:
    """Let other tasks run until `predicate` holds; bounded in event-loop rounds, not time."""
    for _ in range(rounds):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")
