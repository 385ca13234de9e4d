"""AdobeClient against the simulator: every call and every error class."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from contract_seed import (
    LAST_SECRET_STATUS,
    LIMIT_STATUS,
    NO_IO,
    NO_IO_SECRET,
    ONE,
    ONE_SECRET,
    SCOPES,
    SEED,
    TWO,
    TWO_SECRET_A,
    TWO_SECRET_B,
)

from adobe_oauth_operator.adobe import (
    AdobeClient,
    ClientSecretValue,
    CredentialNotFoundError,
    CredentialRef,
    InvalidClientError,
    PermissionDeniedError,
    RetryPolicy,
    SecretLimitReachedError,
    SecretNotFoundError,
    ThrottledError,
    TokenRejectedError,
    UnexpectedResponseError,
)
from adobe_oauth_operator.sim import Fault, RunningSimulator, running_simulator

MakeClient = Callable[..., AdobeClient]


def uuids(sim: RunningSimulator, index: int) -> list[str]:
    return [s["uuid"] for s in sim.state.snapshot()["credentials"][index]["secrets"]]


async def test_get_token_and_list(client: AdobeClient, sim: RunningSimulator) -> None:
    token = await client.get_token(ONE, ONE_SECRET, SCOPES)
    secrets = await client.list_secrets(ONE, ONE_SECRET, SCOPES)
    assert [s.uuid for s in secrets] == uuids(sim, 0)
    assert secrets[0].last_used_at is not None
    assert token.expires_at > secrets[0].last_used_at
    assert sim.state.requests["token"] == {"200": 1}


async def test_add_then_delete(client: AdobeClient, sim: RunningSimulator, dialect: str) -> None:
    before = {s.uuid for s in await client.list_secrets(ONE, ONE_SECRET, SCOPES)}
    added = await client.add_secret(ONE, ONE_SECRET, SCOPES)
    # The guide's answer names the new secret; the description's does not: a list tells which.
    (new,) = [s for s in await client.list_secrets(ONE, ONE_SECRET, SCOPES) if s.uuid not in before]
    assert uuids(sim, 0)[1] == new.uuid
    assert new.last_used_at is None
    if dialect == "guide":
        assert (added.uuid, added.created_at) == (new.uuid, new.created_at)
    else:
        assert (added.uuid, added.created_at) == (None, None)
    # The new value works at IMS, and deleting the old secret with it works too.
    old_uuid = uuids(sim, 0)[0]
    await client.delete_secret(ONE, added.value, SCOPES, old_uuid)
    assert uuids(sim, 0) == [new.uuid]


async def test_add_reports_last_used_times_moving(
    client: AdobeClient, sim: RunningSimulator
) -> None:
    before = {s.uuid: s.last_used_at for s in await client.list_secrets(TWO, TWO_SECRET_A, SCOPES)}
    sim.state.clock.advance(5)
    client.forget_secret(TWO_SECRET_A)
    await client.get_token(TWO, TWO_SECRET_A, SCOPES)
    after = {s.uuid: s.last_used_at for s in await client.list_secrets(TWO, TWO_SECRET_A, SCOPES)}
    moved = [u for u in before if before[u] != after[u]]
    assert moved == [uuids(sim, 1)[0]]


async def test_wrong_secret_is_invalid_client(client: AdobeClient) -> None:
    with pytest.raises(InvalidClientError) as caught:
        await client.get_token(ONE, ClientSecretValue("p8e-not-the-secret"), SCOPES)
    assert caught.value.status == 401


async def test_unknown_client_id_is_invalid_client(client: AdobeClient) -> None:
    stranger = CredentialRef(ONE.org_id, ONE.credential_id, "client-unknown")
    with pytest.raises(InvalidClientError) as caught:
        await client.list_secrets(stranger, ONE_SECRET, SCOPES)
    assert caught.value.status == 400


async def test_project_without_io_management_is_permission_denied(client: AdobeClient) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        await client.list_secrets(NO_IO, NO_IO_SECRET, SCOPES)
    assert caught.value.operation == "token"


async def test_token_without_the_scopes_is_permission_denied(client: AdobeClient) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        await client.list_secrets(ONE, ONE_SECRET, ["AdobeID", "read_client_secret"])
    assert (caught.value.operation, caught.value.status) == ("list", 403)


@pytest.mark.parametrize(
    ("missing", "call"),
    [
        ("read_client_secret", "list"),
        ("read_client_secret", "add"),
        ("manage_client_secrets", "add"),
        ("manage_client_secrets", "delete"),
        ("manage_client_secrets", "list"),
    ],
)
async def test_a_token_without_a_secret_scope_is_refused_and_changes_nothing(
    client: AdobeClient, sim: RunningSimulator, missing: str, call: str
) -> None:
    """What a vended token (spec.accessToken without allowSecretManagement) lacks: the
    simulator refuses every secrets call made with it, 403, as Adobe would."""
    scopes = [s for s in SCOPES if s != missing]
    before = uuids(sim, 1)
    calls = {
        "list": lambda: client.list_secrets(TWO, TWO_SECRET_A, scopes),
        "add": lambda: client.add_secret(ONE, ONE_SECRET, scopes),
        "delete": lambda: client.delete_secret(TWO, TWO_SECRET_A, scopes, before[1]),
    }
    with pytest.raises(PermissionDeniedError) as caught:
        await calls[call]()
    assert caught.value.status == 403  # a refused add is followed by a list, refused too
    assert sim.state.requests[call] == {"403": 1}
    assert uuids(sim, 1) == before and len(uuids(sim, 0)) == 1


async def test_unknown_credential_is_not_found(client: AdobeClient) -> None:
    missing = CredentialRef(ONE.org_id, "9999", ONE.client_id)
    with pytest.raises(CredentialNotFoundError) as listing:
        await client.list_secrets(missing, ONE_SECRET, SCOPES)
    with pytest.raises(CredentialNotFoundError) as deleting:
        await client.delete_secret(missing, ONE_SECRET, SCOPES, "0" * 32)
    assert listing.value.status == 404
    assert not isinstance(deleting.value, SecretNotFoundError)


async def test_third_secret_is_the_limit(
    client: AdobeClient, sim: RunningSimulator, dialect: str
) -> None:
    with pytest.raises(SecretLimitReachedError) as caught:
        await client.add_secret(TWO, TWO_SECRET_A, SCOPES)
    assert caught.value.status == LIMIT_STATUS[dialect]
    assert sim.state.requests["add"] == {str(LIMIT_STATUS[dialect]): 1}
    assert len(uuids(sim, 1)) == 2


async def test_deleting_an_absent_secret_is_secret_not_found(client: AdobeClient) -> None:
    with pytest.raises(SecretNotFoundError):
        await client.delete_secret(TWO, TWO_SECRET_A, SCOPES, "f" * 32)


async def test_deleting_twice_is_secret_not_found(
    client: AdobeClient, sim: RunningSimulator
) -> None:
    second = uuids(sim, 1)[1]
    await client.delete_secret(TWO, TWO_SECRET_A, SCOPES, second)
    with pytest.raises(SecretNotFoundError):
        await client.delete_secret(TWO, TWO_SECRET_A, SCOPES, second)


async def test_deleting_the_only_secret_is_refused(
    client: AdobeClient, sim: RunningSimulator, dialect: str
) -> None:
    # 403 (spec) reads as PermissionDenied, 400 (guide) as unexpected: either way an error.
    refused = {"spec": PermissionDeniedError, "guide": UnexpectedResponseError}[dialect]
    with pytest.raises(refused) as caught:
        await client.delete_secret(ONE, ONE_SECRET, SCOPES, uuids(sim, 0)[0])
    assert caught.value.status == LAST_SECRET_STATUS[dialect]
    assert not isinstance(caught.value, SecretNotFoundError)
    assert len(uuids(sim, 0)) == 1


async def test_an_expired_token_is_renewed(
    make_client: MakeClient, sim: RunningSimulator, fake_clock: Any
) -> None:
    client = make_client(clock=fake_clock)  # the client's clock lags: it trusts its cache
    await client.list_secrets(ONE, ONE_SECRET, SCOPES)
    sim.state.clock.advance(86400)
    await client.list_secrets(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["list"] == {"200": 2, "401": 1}
    assert sim.state.requests["token"] == {"200": 2}


async def test_a_deleted_secret_can_get_no_new_token(
    client: AdobeClient, sim: RunningSimulator
) -> None:
    await client.list_secrets(TWO, TWO_SECRET_B, SCOPES)
    await client.delete_secret(TWO, TWO_SECRET_A, SCOPES, uuids(sim, 1)[1])
    # The cached token made with B was revoked with B; renewing it with B fails at IMS.
    with pytest.raises(InvalidClientError):
        await client.list_secrets(TWO, TWO_SECRET_B, SCOPES)
    assert sim.state.requests["list"] == {"200": 1, "401": 1}


async def test_a_refused_token_twice_is_token_rejected(
    client: AdobeClient, sim: RunningSimulator
) -> None:
    sim.faults.add("list", Fault(401), count=2)
    with pytest.raises(TokenRejectedError):
        await client.list_secrets(ONE, ONE_SECRET, SCOPES)
    assert sim.state.requests["list"] == {"401": 2}
    assert sim.state.requests["token"] == {"200": 2}


async def test_100_concurrent_token_requests_make_one_grant(
    client: AdobeClient, sim: RunningSimulator
) -> None:
    tokens = await asyncio.gather(*[client.get_token(ONE, ONE_SECRET, SCOPES) for _ in range(100)])
    assert len({t.reveal() for t in tokens}) == 1
    assert sim.state.snapshot()["requests"]["token"] == {"200": 1}


async def test_token_throttling_surfaces_at_once_with_retry_after(
    make_client: MakeClient, fake_sleep: Any
) -> None:
    async with running_simulator(seed=SEED, token_rate=1) as throttled:
        client = make_client(throttled)
        await client.get_token(ONE, ONE_SECRET, SCOPES)
        client.forget_secret(ONE_SECRET)
        with pytest.raises(ThrottledError) as caught:
            await client.get_token(ONE, ONE_SECRET, SCOPES)
        assert caught.value.retry_after == 60.0
        assert throttled.state.requests["token"] == {"200": 1, "429": 1}
        assert fake_sleep.delays == []


async def test_a_retry_policy_waits_token_throttling_out(
    make_client: MakeClient, fake_sleep: Any
) -> None:
    """What a one-shot tool (kubectl aoc check) asks for; the operator makes one attempt."""
    async with running_simulator(seed=SEED, token_rate=1) as throttled:
        policy = RetryPolicy(
            max_attempts=5, max_total_s=120.0, sleep=fake_sleep, monotonic=fake_sleep.monotonic
        )
        client = make_client(throttled, retry=policy)
        await client.get_token(ONE, ONE_SECRET, SCOPES)
        client.forget_secret(ONE_SECRET)
        await client.get_token(ONE, ONE_SECRET, SCOPES)
        assert throttled.state.requests["token"] == {"200": 2, "429": 1}
        assert fake_sleep.delays == [60.0]


async def test_token_throttling_beyond_the_retry_allowance_surfaces(
    make_client: MakeClient, fake_sleep: Any
) -> None:
    async with running_simulator(seed=SEED, token_rate=1) as throttled:
        policy = RetryPolicy(
            max_attempts=5, max_total_s=30.0, sleep=fake_sleep, monotonic=fake_sleep.monotonic
        )
        client = make_client(throttled, retry=policy)
        await client.get_token(ONE, ONE_SECRET, SCOPES)
        client.forget_secret(ONE_SECRET)
        with pytest.raises(ThrottledError) as caught:
            await client.get_token(ONE, ONE_SECRET, SCOPES)
        assert caught.value.retry_after == 60.0
        assert fake_sleep.delays == []
