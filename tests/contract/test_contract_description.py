"""The simulator against Adobe's published OpenAPI description (aio-lib-console 5.8.0)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from contract_seed import ONE, ONE_SECRET, SCOPES, SEED
from openapi_core.validation.response.exceptions import DataValidationError
from test_contract_shapes import headers, secrets_path, token_for

from adobe_oauth_operator.adobe import AdobeClient
from adobe_oauth_operator.sim import RunningSimulator, running_simulator
from support.adobe_description import SecretsValidator, secrets_description


async def test_every_secrets_answer_is_validated(
    api: httpx.AsyncClient, sim: RunningSimulator, validate_answers: Any
) -> None:
    token = await token_for(api)
    before = {s.uuid for s in sim.state.credentials[0].secrets}
    await api.post(secrets_path(), headers=headers(token))
    listed = (await api.get(secrets_path(), headers=headers(token))).json()["client_secrets"]
    (new,) = [s["uuid"] for s in listed if s["uuid"] not in before]
    await api.post(secrets_path(), headers=headers(token))  # the limit
    await api.delete(f"{secrets_path()}/{new}", headers=headers(token))
    await api.delete(f"{secrets_path()}/{new}", headers=headers(token))  # gone: 404
    await api.get(secrets_path())  # no token: 401
    seen = validate_answers.validators[sim.url].validated
    assert [(method, status) for method, _, status in seen] == [
        ("post", 201 if sim.state.dialect.name == "guide" else 200),
        ("get", 200),
        ("post", 400 if sim.state.dialect.name == "guide" else 403),
        ("delete", 204 if sim.state.dialect.name == "guide" else 200),
        ("delete", 404),
        ("get", 401),
    ]


async def test_the_guide_dialect_breaks_the_published_description() -> None:
    """The check has teeth: the guide's null usages and 201 are what the description refuses."""
    async with running_simulator(seed=SEED, dialect="guide") as sim:
        validator = SecretsValidator(secrets_description(), sim.url)
        async with httpx.AsyncClient(base_url=sim.url) as http:
            token = await token_for(http)
            added = await http.post(secrets_path(), headers=headers(token))
            listed = await http.get(secrets_path(), headers=headers(token))
    with pytest.raises(Exception, match="201"):
        validator.validate(added)
    with pytest.raises(DataValidationError):
        validator.validate(listed)
    assert ONE.client_id in listed.text


async def test_every_request_of_the_client_is_checked(
    client: AdobeClient, sim: RunningSimulator, validate_answers: Any
) -> None:
    """The contract tests' clients are hooked to the request check, for every call they make."""
    listed = await client.list_secrets(ONE, ONE_SECRET, SCOPES)
    added = await client.add_secret(ONE, ONE_SECRET, SCOPES)
    await client.delete_secret(ONE, ONE_SECRET, SCOPES, listed[0].uuid)
    secrets = secrets_path()
    assert validate_answers.validators[sim.url].validated_requests == [
        ("get", secrets),
        ("post", secrets),
        ("delete", f"{secrets}/{listed[0].uuid}"),
    ]
    assert added.value.reveal()


def _request(method: str, path: str, **options: Any) -> httpx.Request:
    headers = {"Authorization": "Bearer a-token", "x-api-key": ONE.client_id}
    headers.update(options.pop("headers", {}))
    return httpx.Request(method, BASE + path, headers=headers, **options)


BASE = "http://adobe.test"
SECRETS = f"/console/organizations/{ONE.org_id}/credentials/{ONE.credential_id}/secrets"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", SECRETS), ("POST", SECRETS), ("DELETE", f"{SECRETS}/abc123")]
)
def test_the_clients_requests_pass_the_request_check(
    adobe_description: None, method: str, path: str
) -> None:
    validator = SecretsValidator(secrets_description(), BASE)
    validator.validate_request(_request(method, path))
    assert validator.validated_requests == [(method.lower(), path)]


@pytest.mark.parametrize(
    ("method", "path", "options", "complaint"),
    [
        ("GET", SECRETS, {"headers": {"x-api-key": ""}}, "header parameter: x-api-key"),
        ("POST", SECRETS, {"headers": {"Authorization": ""}}, "header parameter: Authorization"),
        ("GET", SECRETS.replace("organizations", "organisations"), {}, "Path not found"),
        ("GET", SECRETS + "/abc123", {}, "Operation get not found"),
        ("PUT", SECRETS, {}, "Operation put not found"),
        ("POST", SECRETS, {"json": {"name": "x"}}, "defines no request body"),
        ("DELETE", f"{SECRETS}/abc123", {"content": b"x"}, "defines no request body"),
    ],
    ids=[
        "list-without-x-api-key",
        "add-without-authorization",
        "wrong-path",
        "list-on-a-secret",
        "wrong-method",
        "body-on-add",
        "body-on-delete",
    ],
)
def test_a_request_off_the_description_fails_the_check(
    adobe_description: None,
    method: str,
    path: str,
    options: dict[str, Any],
    complaint: str,
) -> None:
    """The check has teeth: each deviation the contract tests must catch is refused."""
    request = _request(method, path, **options)
    for name in [k for k, v in request.headers.items() if v == ""]:
        del request.headers[name]  # an empty value in the case stands for "not sent"
    validator = SecretsValidator(secrets_description(), BASE)
    with pytest.raises(Exception, match=complaint):
        validator.validate_request(request)
    assert validator.validated_requests == []
