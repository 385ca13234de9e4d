"""IMS token requests and the token cache."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from adobe_fakes import CRED, FakeAdobe, oauth_error, settle

from adobe_oauth_operator.adobe import (
    AdobeClient,
    ClientSecretValue,
    InvalidClientError,
    PermissionDeniedError,
    RetryPolicy,
    ThrottledError,
    TransientError,
    UnexpectedResponseError,
)

SECRET = ClientSecretValue("p8e-the-current-secret")
OTHER = ClientSecretValue("p8e-the-other-secret")
SCOPES = ("read_client_secret", "AdobeID", "manage_client_secrets")

MakeClient = Callable[..., AdobeClient]


async def test_token_request_is_a_form_post_with_comma_joined_scopes(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    token = await make_client().get_token(CRED, SECRET, SCOPES)
    (request,) = fake_adobe.calls("token")
    assert request.method == "POST"
    assert request.url == "https://ims.test/ims/token/v3"
    assert request.url.query == b""
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["client-abc"],
        "client_secret": ["p8e-the-current-secret"],
        "scope": ["AdobeID,manage_client_secrets,read_client_secret"],
    }
    assert token.reveal() == "token-value-1-xyz"


async def test_token_expiry_comes_from_expires_in(make_client: MakeClient, fake_clock: Any) -> None:
    token = await make_client().get_token(CRED, SECRET, SCOPES)
    assert (token.expires_at - fake_clock()).total_seconds() == 86399


async def test_cached_token_is_reused_for_the_same_key(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    client = make_client()
    first = await client.get_token(CRED, SECRET, SCOPES)
    again = await client.get_token(CRED, SECRET, list(reversed(SCOPES)))
    assert again is first
    assert len(fake_adobe.calls("token")) == 1


async def test_another_secret_or_scope_set_is_another_key(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    client = make_client()
    await client.get_token(CRED, SECRET, SCOPES)
    await client.get_token(CRED, OTHER, SCOPES)
    await client.get_token(CRED, SECRET, SCOPES[:2])
    assert len(fake_adobe.calls("token")) == 3


async def test_grant_token_always_asks_ims_and_the_operator_never_uses_what_it_handed_out(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    client = make_client()
    cached = await client.get_token(CRED, SECRET, SCOPES)
    vended = await client.grant_token(CRED, SECRET, SCOPES)
    assert vended != cached  # a fresh grant, never the cached token
    assert len(fake_adobe.calls("token")) == 2
    assert await client.get_token(CRED, SECRET, SCOPES) is cached
    # Even with nothing cached, the operator's own calls get a token of their own.
    client.forget_secret(SECRET)
    handed_out = await client.grant_token(CRED, SECRET, SCOPES)
    await client.list_secrets(CRED, SECRET, SCOPES)
    used = {r.headers["authorization"] for r in fake_adobe.calls("list")}
    assert used == {f"Bearer {fake_adobe.issued[-1]}"}
    assert handed_out.reveal() not in {u.removeprefix("Bearer ") for u in used}
    assert len(fake_adobe.calls("token")) == 4


@pytest.mark.parametrize(
    ("expires_in", "reuse_until"),
    [
        (86399, 86399 - 8639.9),  # 10% of a day is more than 5 minutes
        (1800, 1800 - 300),  # 5 minutes is more than 10% of half an hour
        (120, 60),  # shorter than the margin: half the lifetime is kept
    ],
)
async def test_token_is_renewed_a_margin_before_expiry(
    fake_adobe: FakeAdobe,
    make_client: MakeClient,
    fake_clock: Any,
    expires_in: int,
    reuse_until: float,
) -> None:
    fake_adobe.expires_in = expires_in
    client = make_client()
    first = await client.get_token(CRED, SECRET, SCOPES)
    fake_clock.advance(reuse_until - 0.5)
    assert await client.get_token(CRED, SECRET, SCOPES) is first
    fake_clock.advance(0.5)
    assert await client.get_token(CRED, SECRET, SCOPES) != first
    assert len(fake_adobe.calls("token")) == 2


async def test_margin_default_is_configurable(
    fake_adobe: FakeAdobe, make_client: MakeClient, fake_clock: Any
) -> None:
    from datetime import timedelta

    fake_adobe.expires_in = 3600
    client = make_client(token_margin=timedelta(minutes=30))
    first = await client.get_token(CRED, SECRET, SCOPES)
    fake_clock.advance(1799)
    assert await client.get_token(CRED, SECRET, SCOPES) is first
    fake_clock.advance(1)
    assert await client.get_token(CRED, SECRET, SCOPES) != first


async def test_concurrent_requests_for_one_key_make_one_request(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.token_gate = asyncio.Event()
    client = make_client()
    waiters = [asyncio.create_task(client.get_token(CRED, SECRET, SCOPES)) for _ in range(100)]
    await settle(lambda: len(fake_adobe.calls("token")) == 1)
    fake_adobe.token_gate.set()
    tokens = await asyncio.gather(*waiters)
    assert len(fake_adobe.calls("token")) == 1
    assert {t.reveal() for t in tokens} == {"token-value-1-xyz"}


async def test_a_cancelled_waiter_does_not_cancel_the_others(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.token_gate = asyncio.Event()
    client = make_client()
    first = asyncio.create_task(client.get_token(CRED, SECRET, SCOPES))
    second = asyncio.create_task(client.get_token(CRED, SECRET, SCOPES))
    await settle(lambda: len(fake_adobe.calls("token")) == 1)
    first.cancel()
    fake_adobe.token_gate.set()
    assert (await second).reveal() == "token-value-1-xyz"
    assert first.cancelled()


async def test_forget_secret_drops_its_tokens_only(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    client = make_client()
    await client.get_token(CRED, SECRET, SCOPES)
    await client.get_token(CRED, SECRET, SCOPES[:1])
    other = await client.get_token(CRED, OTHER, SCOPES)
    client.forget_secret(ClientSecretValue(SECRET.reveal()))
    assert await client.get_token(CRED, OTHER, SCOPES) is other
    await client.get_token(CRED, SECRET, SCOPES)
    await client.get_token(CRED, SECRET, SCOPES[:1])
    assert len(fake_adobe.calls("token")) == 5


async def test_a_token_in_flight_when_its_secret_is_forgotten_is_not_cached(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.token_gate = asyncio.Event()
    client = make_client()
    pending = asyncio.create_task(client.get_token(CRED, SECRET, SCOPES))
    await settle(lambda: len(fake_adobe.calls("token")) == 1)
    client.forget_secret(SECRET)
    fake_adobe.token_gate.set()
    await pending
    await client.get_token(CRED, SECRET, SCOPES)
    assert len(fake_adobe.calls("token")) == 2


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (oauth_error(401, "invalid_client"), InvalidClientError),
        (oauth_error(400, "invalid_client"), InvalidClientError),
        (oauth_error(400, "unauthorized_client"), InvalidClientError),
        (httpx.Response(401, text="<html>nope</html>"), InvalidClientError),
        (oauth_error(400, "invalid_scope"), PermissionDeniedError),
        (oauth_error(403, "forbidden"), PermissionDeniedError),
        (oauth_error(400, "invalid_request"), UnexpectedResponseError),
        (httpx.Response(302), UnexpectedResponseError),
        (
            httpx.Response(200, json={"token_type": "bearer", "expires_in": 5}),
            UnexpectedResponseError,
        ),
        (
            httpx.Response(200, json={"access_token": "t", "expires_in": "x"}),
            UnexpectedResponseError,
        ),
        (httpx.Response(200, json={"access_token": "t", "expires_in": 0}), UnexpectedResponseError),
        (
            httpx.Response(200, json={"access_token": "t", "expires_in": 9, "token_type": "mac"}),
            UnexpectedResponseError,
        ),
        (httpx.Response(200, text="not json"), UnexpectedResponseError),
    ],
)
async def test_token_failures_map_to_typed_errors(
    fake_adobe: FakeAdobe, make_client: MakeClient, answer: httpx.Response, error: type[Exception]
) -> None:
    fake_adobe.script("token", answer)
    with pytest.raises(error):
        await make_client().get_token(CRED, SECRET, SCOPES)
    assert len(fake_adobe.calls("token")) == 1


async def test_error_message_quotes_only_standard_codes(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("token", oauth_error(401, "invalid_client", "bad secret p8e-the-current"))
    fake_adobe.script("token", oauth_error(401, "p8e-the-current-secret-echoed"))
    client = make_client()
    with pytest.raises(InvalidClientError) as first:
        await client.get_token(CRED, SECRET, SCOPES)
    with pytest.raises(InvalidClientError) as second:
        await client.get_token(CRED, SECRET, SCOPES)
    assert str(first.value) == "token: IMS refused the client id or secret (401, invalid_client)"
    assert str(second.value) == "token: IMS refused the client id or secret (401)"


async def test_expires_in_as_a_digit_string_is_accepted(
    fake_adobe: FakeAdobe, make_client: MakeClient, fake_clock: Any
) -> None:
    fake_adobe.script("token", httpx.Response(200, json={"access_token": "t", "expires_in": "60"}))
    token = await make_client().get_token(CRED, SECRET, SCOPES)
    assert (token.expires_at - fake_clock()).total_seconds() == 60


@pytest.mark.parametrize(
    ("expires_in", "lifetime_s"),
    [
        (1, 1),  # believed as it is: a longer lifetime would keep a token after it expired
        (12, 12),
        (86399, 86399),
        (172800, 172800),  # 48 h, the most that is believed
        (172801, 172800),
        (10**30, 172800),  # would overflow a datetime
        ("99999999999999999999999", 172800),
    ],
)
async def test_expires_in_is_capped_at_48_hours(
    fake_adobe: FakeAdobe,
    make_client: MakeClient,
    fake_clock: Any,
    expires_in: int | str,
    lifetime_s: int,
) -> None:
    body = {"access_token": "t", "expires_in": expires_in}
    fake_adobe.script("token", httpx.Response(200, json=body))
    token = await make_client().get_token(CRED, SECRET, SCOPES)
    assert (token.expires_at - fake_clock()).total_seconds() == lifetime_s


async def test_a_retry_policy_waits_a_throttled_token_request_out(
    fake_adobe: FakeAdobe, make_client: MakeClient, fake_sleep: Any, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("token", httpx.Response(429, headers={"Retry-After": "12"}))
    token = await make_client(retry=retry_policy).get_token(CRED, SECRET, SCOPES)
    assert token.reveal() == "token-value-1-xyz"
    assert fake_sleep.delays == [12.0]


async def test_a_retry_policy_retries_server_errors_then_surfaces_them(
    fake_adobe: FakeAdobe, make_client: MakeClient, fake_sleep: Any, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("token", *[httpx.Response(503)] * 5)
    with pytest.raises(TransientError) as caught:
        await make_client(retry=retry_policy).get_token(CRED, SECRET, SCOPES)
    assert caught.value.status == 503
    assert len(fake_adobe.calls("token")) == 5
    assert fake_sleep.delays == [0.5, 1.0, 2.0, 4.0]


async def test_throttling_beyond_the_retry_allowance_surfaces_with_retry_after(
    fake_adobe: FakeAdobe, make_client: MakeClient, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("token", httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(ThrottledError) as caught:
        await make_client(retry=retry_policy).get_token(CRED, SECRET, SCOPES)
    assert caught.value.retry_after == 3600.0


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ConnectError]
)
async def test_a_retry_policy_retries_token_transport_failures(
    fake_adobe: FakeAdobe,
    make_client: MakeClient,
    failure: type[Exception],
    retry_policy: RetryPolicy,
) -> None:
    fake_adobe.script("token", failure)
    token = await make_client(retry=retry_policy).get_token(CRED, SECRET, SCOPES)
    assert token.reveal() == "token-value-1-xyz"
    assert len(fake_adobe.calls("token")) == 2


async def test_failures_are_not_cached(fake_adobe: FakeAdobe, make_client: MakeClient) -> None:
    fake_adobe.script("token", oauth_error(401, "invalid_client"))
    client = make_client()
    with pytest.raises(InvalidClientError):
        await client.get_token(CRED, SECRET, SCOPES)
    assert (await client.get_token(CRED, SECRET, SCOPES)).reveal() == "token-value-1-xyz"


async def test_scopes_must_be_a_non_empty_sequence(make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(ValueError, match="scope"):
        await client.get_token(CRED, SECRET, [])
    with pytest.raises(TypeError, match="not one string"):
        await client.get_token(CRED, SECRET, "AdobeID,openid")


async def test_aclose_cancels_requests_in_flight(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.token_gate = asyncio.Event()
    client = make_client()
    waiter = asyncio.create_task(client.get_token(CRED, SECRET, SCOPES))
    await settle(lambda: len(fake_adobe.calls("token")) == 1)
    await client.aclose()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert len(fake_adobe.calls("token")) == 1
