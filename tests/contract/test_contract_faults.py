"""Fault injection: each failure surfaces after one request (the state machine is the retry
layer, with Retry-After), lost add answers are outcome-unknown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from contract_seed import ADD_STATUS, ONE, ONE_SECRET, SCOPES, TWO, TWO_SECRET_A

from adobe_oauth_operator.adobe import (
    AddOutcomeUnknownError,
    AdobeClient,
    SecretNotFoundError,
    ThrottledError,
    TransientError,
)
from adobe_oauth_operator.sim import RunningSimulator

MakeClient = Callable[..., AdobeClient]


async def inject(api: httpx.AsyncClient, **fault: Any) -> None:
    response = await api.post("/__sim/faults", json=fault)
    assert response.status_code == 200, response.text


def secret_count(sim: RunningSimulator, index: int = 0) -> int:
    return len(sim.state.snapshot()["credentials"][index]["secrets"])


async def test_429_surfaces_at_once_with_its_retry_after(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator, fake_sleep: Any
) -> None:
    await inject(api, endpoint="list", status=429, count=2, retry_after=3)
    for _ in range(2):  # each call is one request; the state machine waits between them
        with pytest.raises(ThrottledError) as caught:
            await client.list_secrets(ONE, ONE_SECRET, SCOPES)
        assert caught.value.retry_after == 3.0
    assert len(await client.list_secrets(ONE, ONE_SECRET, SCOPES)) == 1
    assert sim.state.requests["list"] == {"429": 2, "200": 1}
    assert fake_sleep.delays == []


async def test_5xx_surfaces_after_one_request(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    await inject(api, endpoint="list", status=500, count=10)
    with pytest.raises(TransientError) as caught:
        await client.list_secrets(ONE, ONE_SECRET, SCOPES)
    assert caught.value.status == 500
    assert sim.state.requests["list"] == {"500": 1}


async def test_5xx_token_answers_surface_until_one_passes(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator, fake_sleep: Any
) -> None:
    await inject(api, endpoint="token", status=503, count=2)
    for _ in range(2):
        with pytest.raises(TransientError):
            await client.get_token(ONE, ONE_SECRET, SCOPES)
    await client.get_token(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["token"] == {"503": 2, "200": 1}
    assert fake_sleep.delays == []


async def test_add_with_lost_answer_is_outcome_unknown_and_not_retried(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    await inject(api, endpoint="add", status="drop", after_commit=True)
    with pytest.raises(AddOutcomeUnknownError):
        await client.add_secret(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["add"] == {"drop": 1}
    # It was created: the caller learns so by listing, and finds a uuid nobody has the value of.
    listed = await client.list_secrets(ONE, ONE_SECRET, SCOPES)
    assert len(listed) == 2
    assert listed[1].last_used_at is None


async def test_add_dropped_before_commit_is_also_outcome_unknown(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    await inject(api, endpoint="add", status="drop")
    with pytest.raises(AddOutcomeUnknownError):
        await client.add_secret(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["add"] == {"drop": 1}
    assert secret_count(sim) == 1


async def test_add_timing_out_after_commit_is_outcome_unknown(
    make_client: MakeClient, api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    client = make_client(timeout=0.5)
    await client.get_token(ONE, ONE_SECRET, SCOPES)
    await inject(api, endpoint="add", delay_s=30, after_commit=True)
    with pytest.raises(AddOutcomeUnknownError):
        await client.add_secret(ONE, ONE_SECRET, SCOPES)
    assert secret_count(sim) == 2


@pytest.mark.parametrize("status", [502, 504])
async def test_add_through_a_failed_gateway_is_outcome_unknown(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator, status: int
) -> None:
    await inject(api, endpoint="add", status=status, after_commit=True)
    with pytest.raises(AddOutcomeUnknownError):
        await client.add_secret(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["add"] == {str(status): 1}
    assert secret_count(sim) == 2


async def test_add_refused_before_commit_creates_nothing_and_the_next_add_does(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator, dialect: str
) -> None:
    await inject(api, endpoint="add", status=503)
    with pytest.raises(TransientError):
        await client.add_secret(ONE, ONE_SECRET, SCOPES)
    assert secret_count(sim) == 1
    added = await client.add_secret(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["add"] == {"503": 1, str(ADD_STATUS[dialect]): 1}
    assert secret_count(sim) == 2
    if dialect == "guide":
        assert [s["uuid"] for s in sim.state.snapshot()["credentials"][0]["secrets"]][1] == (
            added.uuid
        )
    assert added.value.reveal()


async def test_delete_with_lost_answer_is_transient_and_the_next_finds_it_gone(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    uuid = sim.state.snapshot()["credentials"][1]["secrets"][1]["uuid"]
    await inject(api, endpoint="delete", status="drop", after_commit=True)
    with pytest.raises(TransientError):
        await client.delete_secret(TWO, TWO_SECRET_A, SCOPES, uuid)
    assert sim.state.requests["delete"] == {"drop": 1}
    assert secret_count(sim, 1) == 1
    with pytest.raises(SecretNotFoundError):
        await client.delete_secret(TWO, TWO_SECRET_A, SCOPES, uuid)
    assert sim.state.requests["delete"] == {"drop": 1, "404": 1}


async def test_dropped_token_answer_is_transient_and_the_next_call_works(
    client: AdobeClient, api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    await inject(api, endpoint="token", status="drop")
    with pytest.raises(TransientError):
        await client.get_token(ONE, ONE_SECRET, SCOPES)
    await client.get_token(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["token"] == {"drop": 1, "200": 1}
