"""The operator's client makes one attempt per call: its state machine is the only retry layer.

So a failure reaches the machine after exactly one request (the backoff its status shows is the one
that happens), with what the machine needs to back off: the error's class and Retry-After.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from adobe_fakes import CRED, FakeAdobe

from adobe_oauth_operator.adobe import (
    AddOutcomeUnknownError,
    AdobeClient,
    AdobeError,
    ClientSecretValue,
    RetryPolicy,
    ThrottledError,
    TransientError,
)

SECRET = ClientSecretValue("p8e-the-current-secret")
SCOPES = ("AdobeID", "read_client_secret", "manage_client_secrets")
MakeClient = Callable[..., AdobeClient]
CALLS: dict[str, Callable[[AdobeClient], Awaitable[object]]] = {
    "token": lambda c: c.get_token(CRED, SECRET, SCOPES),
    "list": lambda c: c.list_secrets(CRED, SECRET, SCOPES),
    "add": lambda c: c.add_secret(CRED, SECRET, SCOPES),
    "delete": lambda c: c.delete_secret(CRED, SECRET, SCOPES, "u"),
}
FAILURES: list[tuple[Any, type[AdobeError]]] = [
    (httpx.Response(500), TransientError),
    (httpx.Response(503), TransientError),
    (httpx.Response(429, headers={"Retry-After": "30"}), ThrottledError),
    (httpx.ConnectError, TransientError),
    (httpx.ConnectTimeout, TransientError),
]


def test_the_default_policy_is_one_attempt() -> None:
    assert RetryPolicy().max_attempts == 1


@pytest.mark.parametrize("operation", sorted(CALLS))
@pytest.mark.parametrize(("failure", "error"), FAILURES, ids=["500", "503", "429", "conn", "cto"])
async def test_a_failing_call_is_one_request_and_no_wait(
    fake_adobe: FakeAdobe,
    make_client: MakeClient,
    fake_sleep: Any,
    operation: str,
    failure: Any,
    error: type[AdobeError],
) -> None:
    fake_adobe.script(operation, failure, failure)  # a second attempt would fail again
    with pytest.raises(error):
        await CALLS[operation](make_client())
    assert len(fake_adobe.calls(operation)) == 1
    assert fake_sleep.delays == []


@pytest.mark.parametrize("operation", ["token", "list", "delete"])
@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError])
async def test_a_lost_answer_is_one_request_and_transient(
    fake_adobe: FakeAdobe, make_client: MakeClient, operation: str, failure: type[Exception]
) -> None:
    fake_adobe.script(operation, failure, failure)
    with pytest.raises(TransientError):
        await CALLS[operation](make_client())
    assert len(fake_adobe.calls(operation)) == 1


async def test_a_lost_add_answer_is_outcome_unknown_after_one_request(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("add", httpx.ReadTimeout, httpx.ReadTimeout)
    with pytest.raises(AddOutcomeUnknownError):
        await make_client().add_secret(CRED, SECRET, SCOPES)
    assert len(fake_adobe.calls("add")) == 1


async def test_throttling_surfaces_at_once_with_retry_after_for_the_machine(
    fake_adobe: FakeAdobe, make_client: MakeClient, fake_sleep: Any
) -> None:
    fake_adobe.script("list", httpx.Response(429, headers={"Retry-After": "45"}))
    with pytest.raises(ThrottledError) as caught:
        await make_client().list_secrets(CRED, SECRET, SCOPES)
    assert caught.value.retry_after == 45.0
    assert fake_sleep.delays == []
    assert len(fake_adobe.calls("list")) == 1


async def test_a_refused_cached_token_is_still_renewed_once(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    """Not a retry of a failure: the cache held a token the API no longer takes."""
    fake_adobe.script("list", httpx.Response(401))
    assert len(await make_client().list_secrets(CRED, SECRET, SCOPES)) == 1
    assert len(fake_adobe.calls("list")) == 2
    assert len(fake_adobe.calls("token")) == 2
