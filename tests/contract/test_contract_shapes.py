"""The simulator's JSON, field by field against the samples of Adobe's documentation.

The samples are the guide's; the `spec` dialect differs from them only where Adobe's OpenAPI
description does (statuses, `secret_usages` `[]` instead of null), as contract_seed spells out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from contract_seed import (
    ADD_STATUS,
    DELETE_STATUS,
    LIMIT_STATUS,
    NO_IO,
    ONE,
    ONE_SECRET,
    SCOPES,
    TWO,
    TWO_SECRET_A,
    UNUSED_USAGES,
)

from adobe_oauth_operator.sim import RunningSimulator

# The documentation's samples (adobe-api.md), verbatim.
DOC_TOKEN = {"access_token": "...", "token_type": "bearer", "expires_in": 86399}
DOC_SECRET = {
    "uuid": "11ede8ab42f138f3abe335d886a407fb",
    "created_at": "1683005777000",
    "created_at_str": "Tue, May 2 2023 05:36:17.000 UTC",
    "expires_at": "PERMANENT",
    "expires_at_str": "PERMANENT",
    "secret_usages": None,
}
DOC_USAGE = {"last_used_at": "1683162010101", "grant_type": "client_credentials"}
DOC_LIST = {"client_id": "...", "client_secrets": [DOC_SECRET]}
DOC_ERROR = {"error": "invalid_client", "error_description": "..."}


def secrets_path(ref: Any = ONE) -> str:
    return f"/console/organizations/{ref.org_id}/credentials/{ref.credential_id}/secrets"


async def token_for(api: httpx.AsyncClient, ref: Any = ONE, secret: Any = ONE_SECRET) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": ref.client_id,
        "client_secret": secret.reveal(),
        "scope": ",".join(SCOPES),
    }
    response = await api.post("/ims/token/v3", data=form)
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


def headers(token: str, api_key: str = ONE.client_id) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "x-api-key": api_key}


def assert_millis_string(value: object, sample: str) -> int:
    assert isinstance(value, str)
    assert value.isdigit()
    assert len(value) == len(sample)  # milliseconds, like the sample, not seconds
    return int(value)


def assert_like_doc_secret(secret: dict[str, Any], *, used: bool, dialect: str) -> None:
    """Same fields as the sample, each in the sample's format."""
    assert list(secret) == list(DOC_SECRET)
    assert re.fullmatch(r"[0-9a-f]{32}", secret["uuid"])
    created = assert_millis_string(secret["created_at"], DOC_SECRET["created_at"])
    parsed = datetime.strptime(secret["created_at_str"], "%a, %b %d %Y %H:%M:%S.%f UTC")
    assert parsed.replace(tzinfo=UTC) == datetime.fromtimestamp(created / 1000, UTC)
    assert re.fullmatch(
        r"\w{3}, \w{3} [1-9]\d? \d{4} \d\d:\d\d:\d\d\.\d{3} UTC", secret["created_at_str"]
    )
    assert secret["expires_at"] == DOC_SECRET["expires_at"]
    assert secret["expires_at_str"] == DOC_SECRET["expires_at_str"]
    if not used:
        assert secret["secret_usages"] == UNUSED_USAGES[dialect]
        assert type(secret["secret_usages"]) is type(UNUSED_USAGES[dialect])
        return
    (usage,) = secret["secret_usages"]
    assert list(usage) == list(DOC_USAGE)
    assert_millis_string(usage["last_used_at"], DOC_USAGE["last_used_at"])
    assert usage["grant_type"] == DOC_USAGE["grant_type"]


def assert_like_doc_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == list(DOC_ERROR)
    assert all(isinstance(v, str) and v for v in body.values())


async def test_token_answer_is_like_the_sample(api: httpx.AsyncClient) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": ONE.client_id,
        "client_secret": ONE_SECRET.reveal(),
        "scope": ",".join(SCOPES),
    }
    response = await api.post("/ims/token/v3", data=form)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == list(DOC_TOKEN)
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"] == DOC_TOKEN["token_type"]
    assert body["expires_in"] == DOC_TOKEN["expires_in"]


async def test_token_parameters_are_also_accepted_in_the_query(api: httpx.AsyncClient) -> None:
    params = {
        "grant_type": "client_credentials",
        "client_id": ONE.client_id,
        "client_secret": ONE_SECRET.reveal(),
        "scope": ",".join(SCOPES),
    }
    response = await api.post("/ims/token/v3", params=params)
    assert response.status_code == 200


async def test_list_is_like_the_sample_before_and_after_use(
    api: httpx.AsyncClient, dialect: str
) -> None:
    token = await token_for(api)
    response = await api.get(secrets_path(), headers=headers(token))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == list(DOC_LIST)
    assert body["client_id"] == ONE.client_id
    (secret,) = body["client_secrets"]
    assert_like_doc_secret(secret, used=True, dialect=dialect)  # the grant above used it


async def test_an_unused_secret_has_null_or_empty_usages(
    api: httpx.AsyncClient, sim: RunningSimulator, dialect: str
) -> None:
    token = await token_for(api)
    new = await add_and_name(api, sim, token)
    listed = (await api.get(secrets_path(), headers=headers(token))).json()["client_secrets"]
    assert_like_doc_secret(listed[1], used=False, dialect=dialect)
    assert listed[1]["uuid"] == new


async def add_and_name(api: httpx.AsyncClient, sim: RunningSimulator, token: str) -> str:
    """Add a secret to ONE and return its uuid, learned from the simulator's state."""
    before = {s.uuid for s in sim.state.credentials[0].secrets}
    response = await api.post(secrets_path(), headers=headers(token))
    assert response.status_code in (200, 201), response.text
    (new,) = [s.uuid for s in sim.state.credentials[0].secrets if s.uuid not in before]
    return new


@pytest.mark.parametrize("dialect", ["guide"], indirect=True)
async def test_add_is_the_secret_plus_its_value_in_the_guide(api: httpx.AsyncClient) -> None:
    """guide: the whole SECRET of the samples plus `client_secret`."""
    token = await token_for(api)
    response = await api.post(secrets_path(), headers=headers(token))
    assert response.status_code == ADD_STATUS["guide"]
    body = response.json()
    value = body.pop("client_secret")
    assert isinstance(value, str) and value
    assert_like_doc_secret(body, used=False, dialect="guide")


@pytest.mark.parametrize("dialect", ["spec"], indirect=True)
async def test_add_is_only_the_descriptions_three_properties_in_the_spec(
    api: httpx.AsyncClient,
) -> None:
    """spec: exactly `{client_secret, expires_at, expires_at_str}`, as the description has it."""
    token = await token_for(api)
    response = await api.post(secrets_path(), headers=headers(token))
    assert response.status_code == ADD_STATUS["spec"]
    body = response.json()
    assert set(body) == {"client_secret", "expires_at", "expires_at_str"}
    assert isinstance(body["client_secret"], str) and body["client_secret"]
    assert body["expires_at"] == body["expires_at_str"] == "PERMANENT"


async def test_delete_answers_without_a_body(
    api: httpx.AsyncClient, sim: RunningSimulator, dialect: str
) -> None:
    token = await token_for(api)
    new = await add_and_name(api, sim, token)
    response = await api.delete(f"{secrets_path()}/{new}", headers=headers(token))
    assert response.status_code == DELETE_STATUS[dialect]
    assert response.content == b""


async def test_third_secret_is_refused_and_nothing_is_created(
    api: httpx.AsyncClient, sim: RunningSimulator, dialect: str
) -> None:
    token = await token_for(api, TWO, TWO_SECRET_A)
    response = await api.post(secrets_path(TWO), headers=headers(token, TWO.client_id))
    assert_like_doc_error(response, LIMIT_STATUS[dialect])
    assert response.json()["error"] == "secret_limit_reached"
    assert len(sim.state.snapshot()["credentials"][1]["secrets"]) == 2


async def test_token_errors_are_oauth_style(api: httpx.AsyncClient) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": ONE.client_id,
        "client_secret": "wrong",
        "scope": "AdobeID",
    }
    assert_like_doc_error(await api.post("/ims/token/v3", data=form), 401)
    form["client_id"] = "nobody"
    assert_like_doc_error(await api.post("/ims/token/v3", data=form), 400)
    assert (await api.post("/ims/token/v3", data=form)).json()["error"] == "invalid_client"


async def test_a_json_token_body_is_not_a_form(api: httpx.AsyncClient) -> None:
    body = {
        "grant_type": "client_credentials",
        "client_id": ONE.client_id,
        "client_secret": ONE_SECRET.reveal(),
        "scope": ",".join(SCOPES),
    }
    assert_like_doc_error(await api.post("/ims/token/v3", json=body), 400)


async def test_api_checks_token_api_key_scopes_and_path(api: httpx.AsyncClient) -> None:
    token = await token_for(api)
    assert_like_doc_error(await api.get(secrets_path()), 401)
    assert_like_doc_error(await api.get(secrets_path(), headers=headers("forged")), 401)
    assert_like_doc_error(await api.get(secrets_path(), headers=headers(token, "other")), 403)
    assert_like_doc_error(
        await api.get(secrets_path(), headers={"Authorization": f"Bearer {token}"}), 403
    )
    assert_like_doc_error(await api.get(secrets_path(TWO), headers=headers(token)), 404)
    assert_like_doc_error(await api.get(secrets_path(NO_IO), headers=headers(token)), 404)
    assert_like_doc_error(
        await api.delete(f"{secrets_path()}/{'0' * 32}", headers=headers(token)), 404
    )


async def test_a_token_without_the_scopes_is_forbidden(api: httpx.AsyncClient) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": ONE.client_id,
        "client_secret": ONE_SECRET.reveal(),
        "scope": "AdobeID,read_client_secret",
    }
    token = (await api.post("/ims/token/v3", data=form)).json()["access_token"]
    assert_like_doc_error(await api.get(secrets_path(), headers=headers(token)), 403)
