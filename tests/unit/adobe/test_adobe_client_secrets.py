"""list/add/delete through AdobeClient: headers, parsing, errors, add's caution, and what a retry
policy does (the operator uses none: test_adobe_one_attempt.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from adobe_fakes import CRED, DOC_SECRET_UNUSED, SECRETS_PATH, FakeAdobe, oauth_error

from adobe_oauth_operator.adobe import (
    AddOutcomeUnknownError,
    AdobeClient,
    ClientSecretValue,
    CredentialNotFoundError,
    CredentialRef,
    PermissionDeniedError,
    RetryPolicy,
    SecretInfo,
    SecretLimitReachedError,
    SecretNotFoundError,
    ThrottledError,
    TokenRejectedError,
    TransientError,
    UnexpectedResponseError,
)

SECRET = ClientSecretValue("p8e-the-current-secret")
SCOPES = ("AdobeID", "read_client_secret", "manage_client_secrets")

MakeClient = Callable[..., AdobeClient]


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


async def test_list_sends_bearer_and_api_key_and_parses_the_sample(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.secrets.append(dict(DOC_SECRET_UNUSED))
    secrets = await make_client().list_secrets(CRED, SECRET, SCOPES)
    (request,) = fake_adobe.calls("list")
    assert request.url == f"https://api.test{SECRETS_PATH}"
    assert request.headers["authorization"] == "Bearer token-value-1-xyz"
    assert request.headers["x-api-key"] == "client-abc"
    assert secrets == [
        SecretInfo("22ede8ab42f138f3abe335d886a407fb", ms(1683005777000), ms(1683162010101)),
        SecretInfo("11ede8ab42f138f3abe335d886a407fb", ms(1683005777000), None),
    ]
    assert secrets[0].created_at.tzinfo is UTC


async def test_last_used_is_the_latest_of_all_usages(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    usages = [
        {"last_used_at": "1683162010101", "grant_type": "client_credentials"},
        {"last_used_at": "1683162099999", "grant_type": "other"},
    ]
    fake_adobe.secrets = [{**DOC_SECRET_UNUSED, "secret_usages": usages}]
    (info,) = await make_client().list_secrets(CRED, SECRET, SCOPES)
    assert info.last_used_at == ms(1683162099999)


async def test_empty_usages_mean_never_used(fake_adobe: FakeAdobe, make_client: MakeClient) -> None:
    fake_adobe.secrets = [{**DOC_SECRET_UNUSED, "secret_usages": []}]
    (info,) = await make_client().list_secrets(CRED, SECRET, SCOPES)
    assert info.last_used_at is None


@pytest.mark.parametrize(
    "body",
    [
        {"client_id": "x"},
        {"client_secrets": "nope"},
        {"client_secrets": [{"created_at": "1"}]},
        {"client_secrets": [{"uuid": "u", "created_at": "1", "secret_usages": {}}]},
        {
            "client_secrets": [
                {"uuid": "u", "created_at": "1", "secret_usages": [{"last_used_at": "x"}]}
            ]
        },
        {"client_secrets": [{"uuid": "u", "secret_usages": [{"last_used_at": ""}]}]},
        {"client_secrets": ["11ede8ab42f138f3abe335d886a407fb"]},
    ],
)
async def test_list_with_a_bad_shape_is_unexpected(
    fake_adobe: FakeAdobe, make_client: MakeClient, body: dict[str, Any]
) -> None:
    fake_adobe.script("list", httpx.Response(200, json=body))
    with pytest.raises(UnexpectedResponseError):
        await make_client().list_secrets(CRED, SECRET, SCOPES)


async def test_path_segments_are_escaped(fake_adobe: FakeAdobe, make_client: MakeClient) -> None:
    odd = CredentialRef(org_id="1/../2", credential_id="3?x", client_id="client-abc")
    fake_adobe.script("delete", httpx.Response(204))
    await make_client().delete_secret(odd, SECRET, SCOPES, "a/b")
    (request,) = fake_adobe.calls("delete")
    assert (
        request.url.raw_path == b"/console/organizations/1%2F..%2F2/credentials/3%3Fx/secrets/a%2Fb"
    )


async def test_add_returns_the_value_once(fake_adobe: FakeAdobe, make_client: MakeClient) -> None:
    added = await make_client().add_secret(CRED, SECRET, SCOPES)
    (request,) = fake_adobe.calls("add")
    assert request.method == "POST"
    assert request.content == b""
    assert added.value.reveal() == "p8e-added-secret-value"
    assert (added.uuid, added.created_at) == (f"{2:032x}", ms(1683005777000))


# The add answer of Adobe's OpenAPI description: no uuid, no created_at. The value is kept.
DESCRIPTION_ADD = {
    "client_secret": "p8e-v",
    "expires_at": "PERMANENT",
    "expires_at_str": "PERMANENT",
}


@pytest.mark.parametrize(
    ("extra", "uuid", "created_at"),
    [
        ({}, None, None),
        ({"uuid": "aa" * 16}, "aa" * 16, None),
        ({"created_at": "1683005777000"}, None, ms(1683005777000)),
        ({"uuid": "", "created_at": ""}, None, None),
        ({"uuid": 42, "created_at": "soon"}, None, None),
        ({"uuid": None, "created_at": None, "secret_usages": "odd"}, None, None),
    ],
    ids=["description", "uuid-only", "created-only", "empty", "odd-types", "odd-usages"],
)
async def test_add_keeps_the_value_whatever_else_the_answer_lacks(
    fake_adobe: FakeAdobe,
    make_client: MakeClient,
    extra: dict[str, Any],
    uuid: str | None,
    created_at: datetime | None,
) -> None:
    fake_adobe.script("add", httpx.Response(200, json={**DESCRIPTION_ADD, **extra}))
    added = await make_client().add_secret(CRED, SECRET, SCOPES)
    assert added.value.reveal() == "p8e-v"
    assert (added.uuid, added.created_at) == (uuid, created_at)
    assert len(fake_adobe.calls("add")) == 1


# created_at: documented as milliseconds in a string. Also read as a time: an integral JSON number
# and an ISO 8601 date with a zone. Anything else is unknown (None): it only weakens the proof that
# a secret is ours, never deletes anything.
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1683005777000", ms(1683005777000)),
        (1683005777000, ms(1683005777000)),
        (1683005777000.0, ms(1683005777000)),
        (" 1683005777000 ", ms(1683005777000)),
        ("2023-05-02T05:36:17Z", datetime(2023, 5, 2, 5, 36, 17, tzinfo=UTC)),
        ("2023-05-02T07:36:17+02:00", datetime(2023, 5, 2, 5, 36, 17, tzinfo=UTC)),
        ("2023-05-02T05:36:17", None),
        ("", None),
        (None, None),
        ("yesterday", None),
        (True, None),
        (1.5, None),
        (-1, None),
        ("99999999999999999999", None),
        ({"ms": 1}, None),
    ],
)
async def test_list_reads_created_at_as_documented_or_as_unknown(
    fake_adobe: FakeAdobe, make_client: MakeClient, raw: object, expected: datetime | None
) -> None:
    secret = {"uuid": "u", "created_at": raw, "secret_usages": []}
    fake_adobe.script("list", httpx.Response(200, json={"client_secrets": [secret]}))
    (listed,) = await make_client().list_secrets(CRED, SECRET, SCOPES)
    assert listed.created_at == expected


# last_used_at: the same readings; a usage whose time is unreadable (even "") is an error, since
# taking it for "never used" could let a drain delete a secret still in use.
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1683162010101", ms(1683162010101)),
        (1683162010101, ms(1683162010101)),
        ("2023-05-04T01:00:10.101Z", ms(1683162010101)),
        (None, None),
    ],
)
async def test_list_reads_last_used_at_as_documented(
    fake_adobe: FakeAdobe, make_client: MakeClient, raw: object, expected: datetime | None
) -> None:
    usage = {"last_used_at": raw, "grant_type": "client_credentials"}
    secret = {"uuid": "u", "created_at": "1", "secret_usages": [usage]}
    fake_adobe.script("list", httpx.Response(200, json={"client_secrets": [secret]}))
    (listed,) = await make_client().list_secrets(CRED, SECRET, SCOPES)
    assert listed.last_used_at == expected


async def test_add_without_a_value_is_unexpected(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("add", httpx.Response(201, json=DOC_SECRET_UNUSED))
    with pytest.raises(UnexpectedResponseError):
        await make_client().add_secret(CRED, SECRET, SCOPES)


# 400: the guide dialect's choice; 403: the spec dialect's (the description lists no 400 for add).
@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
async def test_third_secret_is_reported_as_the_limit(
    fake_adobe: FakeAdobe, make_client: MakeClient, status: int
) -> None:
    fake_adobe.secrets.append(dict(DOC_SECRET_UNUSED))
    fake_adobe.script("add", oauth_error(status, "whatever_adobe_calls_it"))
    with pytest.raises(SecretLimitReachedError) as caught:
        await make_client().add_secret(CRED, SECRET, SCOPES)
    assert caught.value.status == status
    assert len(fake_adobe.calls("add")) == 1


async def test_add_forbidden_below_the_limit_stays_permission_denied(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("add", oauth_error(403, "forbidden"))
    with pytest.raises(PermissionDeniedError) as caught:
        await make_client().add_secret(CRED, SECRET, SCOPES)
    assert not isinstance(caught.value, SecretLimitReachedError)
    assert caught.value.status == 403


@pytest.mark.parametrize("status", [200, 201])
async def test_add_succeeds_with_200_or_201_and_array_or_null_usages(
    fake_adobe: FakeAdobe, make_client: MakeClient, status: int
) -> None:
    for usages in (None, []):
        body = {**DOC_SECRET_UNUSED, "secret_usages": usages, "client_secret": "p8e-v"}
        fake_adobe.script("add", httpx.Response(status, json=body))
        added = await make_client().add_secret(CRED, SECRET, SCOPES)
        assert added.uuid == DOC_SECRET_UNUSED["uuid"]
        assert added.value.reveal() == "p8e-v"


@pytest.mark.parametrize(
    "answer", [httpx.Response(200), httpx.Response(204), httpx.Response(200, json={})]
)
async def test_delete_succeeds_with_200_or_204(
    fake_adobe: FakeAdobe, make_client: MakeClient, answer: httpx.Response
) -> None:
    fake_adobe.script("delete", answer)
    await make_client().delete_secret(CRED, SECRET, SCOPES, f"{2:032x}")
    assert len(fake_adobe.calls("delete")) == 1


async def test_add_refused_below_the_limit_stays_unexpected(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("add", oauth_error(409, "conflict"))
    with pytest.raises(UnexpectedResponseError) as caught:
        await make_client().add_secret(CRED, SECRET, SCOPES)
    assert caught.value.status == 409


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteTimeout]
)
async def test_add_that_may_have_reached_adobe_is_never_retried(
    fake_adobe: FakeAdobe, make_client: MakeClient, failure: type[Exception]
) -> None:
    fake_adobe.script("add", failure)
    with pytest.raises(AddOutcomeUnknownError):
        await make_client().add_secret(CRED, SECRET, SCOPES)
    assert len(fake_adobe.calls("add")) == 1


@pytest.mark.parametrize("status", [502, 504])
async def test_add_through_a_failing_gateway_is_outcome_unknown(
    fake_adobe: FakeAdobe, make_client: MakeClient, status: int
) -> None:
    fake_adobe.script("add", httpx.Response(status))
    with pytest.raises(AddOutcomeUnknownError) as caught:
        await make_client().add_secret(CRED, SECRET, SCOPES)
    assert caught.value.status == status
    assert len(fake_adobe.calls("add")) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(500),
        httpx.Response(503),
    ],
)
async def test_a_retry_policy_retries_an_add_certainly_not_done(
    fake_adobe: FakeAdobe, make_client: MakeClient, failure: Any, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("add", failure)
    added = await make_client(retry=retry_policy).add_secret(CRED, SECRET, SCOPES)
    assert added.value.reveal() == "p8e-added-secret-value"
    assert len(fake_adobe.calls("add")) == 2


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.Response(502)]
)
async def test_a_retry_policy_retries_lost_answers_of_idempotent_calls(
    fake_adobe: FakeAdobe, make_client: MakeClient, failure: Any, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("list", failure)
    assert len(await make_client(retry=retry_policy).list_secrets(CRED, SECRET, SCOPES)) == 1
    assert len(fake_adobe.calls("list")) == 2


async def test_a_retry_policy_waits_retry_after_out(
    fake_adobe: FakeAdobe, make_client: MakeClient, fake_sleep: Any, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("list", httpx.Response(429, headers={"Retry-After": "9"}))
    await make_client(retry=retry_policy).list_secrets(CRED, SECRET, SCOPES)
    assert fake_sleep.delays == [9.0]


async def test_a_retry_policy_surfaces_persistent_server_errors(
    fake_adobe: FakeAdobe, make_client: MakeClient, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("delete", *[httpx.Response(500)] * 5)
    with pytest.raises(TransientError):
        await make_client(retry=retry_policy).delete_secret(CRED, SECRET, SCOPES, "u")
    assert len(fake_adobe.calls("delete")) == 5
    assert len(fake_adobe.calls("token")) == 1


async def test_a_retry_policy_surfaces_persistent_throttling(
    fake_adobe: FakeAdobe, make_client: MakeClient, retry_policy: RetryPolicy
) -> None:
    fake_adobe.script("list", *[httpx.Response(429, headers={"Retry-After": "20"})] * 5)
    with pytest.raises(ThrottledError) as caught:
        await make_client(retry=retry_policy).list_secrets(CRED, SECRET, SCOPES)
    assert caught.value.retry_after == 20.0
    assert len(fake_adobe.calls("list")) == 4  # three waits of 20 s fill 60 s, a fourth would not


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, PermissionDeniedError),
        (404, CredentialNotFoundError),
        (418, UnexpectedResponseError),
        (200, UnexpectedResponseError),
    ],
)
async def test_list_statuses_map_to_typed_errors(
    fake_adobe: FakeAdobe, make_client: MakeClient, status: int, error: type[Exception]
) -> None:
    fake_adobe.script("list", httpx.Response(status, text="[]"))
    with pytest.raises(error) as caught:
        await make_client().list_secrets(CRED, SECRET, SCOPES)
    assert caught.value.status == status  # type: ignore[attr-defined]


async def test_a_refused_token_is_renewed_once(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("list", httpx.Response(401))
    await make_client().list_secrets(CRED, SECRET, SCOPES)
    first, second = fake_adobe.calls("list")
    assert first.headers["authorization"] == "Bearer token-value-1-xyz"
    assert second.headers["authorization"] == "Bearer token-value-2-xyz"


async def test_a_token_refused_twice_is_an_error(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("add", httpx.Response(401), httpx.Response(401))
    client = make_client()
    with pytest.raises(TokenRejectedError) as caught:
        await client.add_secret(CRED, SECRET, SCOPES)
    assert isinstance(caught.value, PermissionDeniedError)
    assert len(fake_adobe.calls("token")) == 2
    await client.list_secrets(CRED, SECRET, SCOPES)
    assert len(fake_adobe.calls("token")) == 3  # the refused token was not kept


async def test_delete_sends_the_uuid(fake_adobe: FakeAdobe, make_client: MakeClient) -> None:
    uuid = "22ede8ab42f138f3abe335d886a407fb"
    await make_client().delete_secret(CRED, SECRET, SCOPES, uuid)
    (request,) = fake_adobe.calls("delete")
    assert request.url.path == f"{SECRETS_PATH}/{uuid}"
    assert request.headers["x-api-key"] == "client-abc"
    assert fake_adobe.secrets == []


async def test_delete_of_an_absent_uuid_is_secret_not_found(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("delete", httpx.Response(404))
    with pytest.raises(SecretNotFoundError) as caught:
        await make_client().delete_secret(CRED, SECRET, SCOPES, "gone")
    assert isinstance(caught.value, CredentialNotFoundError)


async def test_delete_on_a_missing_credential_is_credential_not_found(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("delete", httpx.Response(404))
    fake_adobe.script("list", httpx.Response(404))
    with pytest.raises(CredentialNotFoundError) as caught:
        await make_client().delete_secret(CRED, SECRET, SCOPES, "gone")
    assert not isinstance(caught.value, SecretNotFoundError)


async def test_delete_404_for_a_listed_uuid_stays_credential_not_found(
    fake_adobe: FakeAdobe, make_client: MakeClient
) -> None:
    fake_adobe.script("delete", httpx.Response(404))
    with pytest.raises(CredentialNotFoundError) as caught:
        await make_client().delete_secret(CRED, SECRET, SCOPES, "22ede8ab42f138f3abe335d886a407fb")
    assert not isinstance(caught.value, SecretNotFoundError)


async def test_aclose_leaves_a_given_http_client_open(make_client: MakeClient) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    client = make_client(http_client=http)
    await client.aclose()
    assert not http.is_closed
    await http.aclose()


async def test_aclose_closes_its_own_http_client() -> None:
    client = AdobeClient(ims_url="https://ims.test", api_url="https://api.test")
    async with client:
        pass
    assert client._http.is_closed
