"""Adobe's published OpenAPI description of the I/O Management API, and checks against it.

The description ships in Adobe's npm package `@adobe/aio-lib-console` (`spec/api.json`). Test setup
fetches the pinned version with `npm pack` once per machine into the per-user cache, next to the Go
tools (`~/.cache/adobe-oauth-operator/npm/`, keyed by package and version); it is never copied into
this repository. Only the three client-secret operations are used.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters

PACKAGE = "@adobe/aio-lib-console"
VERSION = "5.8.0"
MEMBER = "package/spec/api.json"
# sha256 of spec/api.json in that version: a changed file fails loudly, never moves the goalposts.
SHA256 = "127ae5702e5de86ca07fb28c71d5a96a2038afc2fe72d69d1016e54c5aeb43b8"

LIST_PATH = "/console/organizations/{orgId}/credentials/{credentialId}/secrets"
SECRET_PATH = LIST_PATH + "/{secretId}"
OPERATIONS = ((LIST_PATH, "get"), (LIST_PATH, "post"), (SECRET_PATH, "delete"))
# The simulator marks answers a test injected (429, 5xx, delays): not its model of Adobe.
INJECTED_HEADER = "x-sim-injected"


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "adobe-oauth-operator" / "npm" / f"aio-lib-console-{VERSION}"


def description_file() -> Path:
    """spec/api.json of the pinned package: from the cache, else `npm pack` it once."""
    target = cache_dir() / "api.json"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as work:
            subprocess.run(
                ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", work],
                check=True,
                capture_output=True,
                timeout=300,
            )
            (tarball,) = Path(work).glob("*.tgz")
            with tarfile.open(tarball) as archive:
                member = archive.extractfile(MEMBER)
                assert member is not None, f"{MEMBER} missing from {tarball.name}"
                data = member.read()
            _check(data)
            partial = Path(work) / "api.json"
            partial.write_bytes(data)
            partial.replace(target)  # atomic: a parallel session sees all of it or nothing
    _check(target.read_bytes())
    return target


def _check(data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    assert digest == SHA256, f"{PACKAGE}@{VERSION} spec/api.json has sha256 {digest}"


@cache
def _published() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(description_file().read_text())
    return loaded


def secrets_description(*, links: bool = False) -> dict[str, Any]:
    """The description cut down to the three client-secret operations, unchanged otherwise.

    `links` adds OpenAPI links (the description has none) for schemathesis' stateful phase: from
    add's 200 answer to listing, from list's 200 to deleting the second secret listed (the newer),
    and from delete's 200 to listing and to adding again.
    """
    published = _published()
    spec = {k: copy.deepcopy(v) for k, v in published.items() if k not in ("paths", "servers")}
    spec["paths"] = {}
    for path, method in OPERATIONS:
        operation = copy.deepcopy(published["paths"][path][method])
        operation.pop("x-codeSamples", None)
        spec["paths"].setdefault(path, {})[method] = operation
    if links:
        same = {"orgId": "$request.path.orgId", "credentialId": "$request.path.credentialId"}
        add, delete = _ref(LIST_PATH, "post"), _ref(SECRET_PATH, "delete")
        listing = _ref(LIST_PATH, "get")
        # add's answer names no uuid (only client_secret, expires_at, expires_at_str): a delete
        # takes its uuid from a list, as the operator does.
        spec["paths"][LIST_PATH]["post"]["responses"]["200"]["links"] = {
            "ListAfterAdding": {"operationRef": listing, "parameters": same},
        }
        spec["paths"][LIST_PATH]["get"]["responses"]["200"]["links"] = {
            "DeleteTheNewestListed": {
                "operationRef": delete,
                "parameters": {**same, "secretId": "$response.body#/client_secrets/1/uuid"},
            },
        }
        spec["paths"][SECRET_PATH]["delete"]["responses"]["200"]["links"] = {
            "ListAfterDeleting": {"operationRef": listing, "parameters": same},
            "AddAfterDeleting": {"operationRef": add, "parameters": same},
        }
    return spec


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def guide_description() -> dict[str, Any]:
    """The description with exactly the guide dialect's documented differences applied.

    Success is 201 for add and 204 (no body) for delete, `secret_usages` may be null, and a third
    add or deleting the only secret is refused with 400 (see the simulator README).
    """
    spec = secrets_description()
    ops = spec["paths"]
    add = ops[LIST_PATH]["post"]["responses"]
    add["201"] = add.pop("200")
    add["400"] = {"description": "Bad Request (a third secret)"}
    delete = ops[SECRET_PATH]["delete"]["responses"]
    delete.pop("200")
    delete["204"] = {"description": "No Content"}
    delete["400"] = {"description": "Bad Request (the only secret)"}
    listed = ops[LIST_PATH]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    listed["properties"]["client_secrets"]["items"]["properties"]["secret_usages"]["nullable"] = (
        True
    )
    return spec


def description_for(dialect: str) -> dict[str, Any]:
    return {"spec": secrets_description, "guide": guide_description}[dialect]()


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: dict[str, str]
    data: bytes | None


class UnexpectedRequestBody(AssertionError):
    """A request carries a body the description does not define for its operation."""


class SecretsValidator:
    """Validates requests to, and answers of, the three secrets operations against a
    description (openapi-core)."""

    def __init__(self, description: dict[str, Any], base_url: str) -> None:
        spec = copy.deepcopy(description)
        spec["servers"] = [{"url": base_url}]
        self._spec = spec
        self._openapi = OpenAPI.from_dict(spec)
        self.validated: list[tuple[str, str, int]] = []
        self.validated_requests: list[tuple[str, str]] = []

    def validate_request(self, request: httpx.Request) -> None:
        """Raise unless `request` is one of the described operations: its path and method, every
        required header (Authorization, x-api-key), and no body where none is described."""
        url = urlsplit(str(request.url))
        body = request.content  # the client builds its requests whole, never streamed
        candidate = _Request(
            host_url=f"{url.scheme}://{url.netloc}",
            path=url.path,
            method=request.method.lower(),
            body=body or None,
            content_type=request.headers.get("content-type", ""),
            # httpx.Headers looks names up case-insensitively, as HTTP does.
            parameters=RequestParameters(header=request.headers),
        )
        self._openapi.validate_request(candidate)
        if body and "requestBody" not in self._operation(url.path, candidate.method):
            raise UnexpectedRequestBody(
                f"{request.method} {url.path} sends a {len(body)}-byte body; Adobe's "
                "description defines no request body for it"
            )
        self.validated_requests.append((candidate.method, url.path))

    def _operation(self, path: str, method: str) -> dict[str, Any]:
        for template, operations in self._spec["paths"].items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            if re.fullmatch(pattern, path) and method in operations:
                operation: dict[str, Any] = operations[method]
                return operation
        raise AssertionError(f"{method} {path} is no described operation")

    def covers(self, response: httpx.Response) -> bool:
        path = response.request.url.path
        return "/console/organizations/" in path and "/secrets" in path

    def validate(self, response: httpx.Response) -> None:
        """Raise when `response` (body already read) breaks the description; injected ones pass."""
        if not self.covers(response) or INJECTED_HEADER in response.headers:
            return
        url = urlsplit(str(response.request.url))
        request = _Request(
            host_url=f"{url.scheme}://{url.netloc}",
            path=url.path,
            method=response.request.method.lower(),
            body=None,
            content_type=response.request.headers.get("content-type", ""),
        )
        content_type = response.headers.get("content-type", "")
        answer = _Response(
            response.status_code,
            content_type.split(";")[0].strip().lower(),
            dict(response.headers),
            response.content or None,
        )
        self._openapi.validate_response(request, answer)
        self.validated.append((request.method, url.path, response.status_code))
