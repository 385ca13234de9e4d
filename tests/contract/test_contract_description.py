"""The simulator against Adobe's published OpenAPI description (aio-lib-console 5.8.0)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from contract_seed import ONE, SEED
from openapi_core.validation.response.exceptions import DataValidationError
from test_contract_shapes import headers, secrets_path, token_for

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
