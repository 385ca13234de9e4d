"""Every request to Adobe is reported once at the transport: operation, status or `error`."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from adobe_fakes import CRED, FakeAdobe

from adobe_oauth_operator.adobe import AdobeClient, ClientSecretValue, RetryPolicy

SECRET = ClientSecretValue("p8e-the-current-secret")
SCOPES = ("AdobeID", "read_client_secret", "manage_client_secrets")


def recorder() -> tuple[list[tuple[str, str]], Callable[[str, str, float], None]]:
    seen: list[tuple[str, str]] = []

    def observe(operation: str, code: str, seconds: float) -> None:
        assert seconds >= 0
        seen.append((operation, code))

    return seen, observe


async def test_each_call_is_observed_with_its_status(
    make_client: Callable[..., AdobeClient], fake_adobe: FakeAdobe
) -> None:
    seen, observe = recorder()
    client = make_client(observe=observe)
    await client.list_secrets(CRED, SECRET, SCOPES)
    added = await client.add_secret(CRED, SECRET, SCOPES)
    await client.delete_secret(CRED, SECRET, SCOPES, added.uuid or "")
    assert seen == [("token", "200"), ("list", "200"), ("add", "201"), ("delete", "204")]


async def test_retries_of_a_policy_and_lost_answers_are_each_observed(
    make_client: Callable[..., AdobeClient], fake_adobe: FakeAdobe, retry_policy: RetryPolicy
) -> None:
    seen, observe = recorder()
    fake_adobe.script("list", httpx.Response(503), httpx.ReadTimeout, httpx.ConnectError)
    await make_client(observe=observe, retry=retry_policy).list_secrets(CRED, SECRET, SCOPES)
    assert seen == [
        ("token", "200"),
        ("list", "503"),
        ("list", "error"),  # no answer came
        ("list", "error"),
        ("list", "200"),
    ]
