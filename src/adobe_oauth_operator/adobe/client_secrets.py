"""The I/O Management API client-secrets endpoints: one HTTP call per method, no retries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx

from adobe_oauth_operator.adobe.errors import (
    AddOutcomeUnknownError,
    AdobeError,
    CredentialNotFoundError,
    PermissionDeniedError,
    TokenRejectedError,
    UnexpectedResponseError,
)
from adobe_oauth_operator.adobe.limiter import AdobeLimiter
from adobe_oauth_operator.adobe.models import (
    AccessToken,
    AddedSecret,
    ClientSecretValue,
    CredentialRef,
    SecretInfo,
)
from adobe_oauth_operator.adobe.transport import (
    RequestObserver,
    generic_error,
    ignore_request,
    json_object,
    send,
    unexpected_status,
)

logger = logging.getLogger("adobe_oauth_operator.adobe")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A gateway that timed out or failed upstream may have forwarded the add to the backend.
_ADD_MAYBE_DONE = frozenset({502, 504})
# datetime's own limit (year 9999): a larger number is no time at all.
_MAX_MILLIS = 253_402_300_799_999


class SecretsApi:
    """list, add and delete for one credential's client secrets."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_url: str,
        clock: Callable[[], datetime],
        limiter: AdobeLimiter | None = None,
        observe: RequestObserver = ignore_request,
    ):
        self._http = http
        self._base = api_url.rstrip("/")
        self._clock = clock
        self._limiter = limiter
        self._observe = observe

    async def list(self, cred: CredentialRef, token: AccessToken) -> list[SecretInfo]:
        """GET .../secrets: the credential's secrets, without values."""
        response = await self._call("list", "GET", cred, token)
        if response.status_code != 200:
            raise self._error("list", response)
        body = json_object("list", response)
        raw = body.get("client_secrets")
        if not isinstance(raw, list):
            raise _bad_shape("list", 200, "client_secrets is not a list")
        secrets = [parse_secret("list", 200, item) for item in raw]
        logger.debug("adobe list: credential %s holds %d secrets", cred.credential_id, len(secrets))
        return secrets

    async def add(self, cred: CredentialRef, token: AccessToken) -> AddedSecret:
        """POST .../secrets: a new secret and, this once, its value."""
        response = await self._call("add", "POST", cred, token)
        if response.status_code in _ADD_MAYBE_DONE:
            raise AddOutcomeUnknownError(
                f"add: Adobe's gateway answered {response.status_code}, the secret may have "
                "been created; list the secrets to learn whether it was",
                operation="add",
                status=response.status_code,
            )
        if response.status_code not in (200, 201):
            raise self._error("add", response)
        body = json_object("add", response)
        value = body.get("client_secret")
        if not isinstance(value, str) or not value:
            raise _bad_shape("add", response.status_code, "no client_secret")
        # Adobe's OpenAPI description answers without uuid and created_at, the guide with them:
        # whatever else the answer holds, the value is the one thing that must not be lost.
        uuid = body.get("uuid")
        added = AddedSecret(
            value=ClientSecretValue(value),
            uuid=uuid if isinstance(uuid, str) and uuid else None,
            created_at=adobe_time(body.get("created_at")),
        )
        logger.debug(
            "adobe add: credential %s got secret %s",
            cred.credential_id,
            added.uuid or "(uuid not in the answer)",
        )
        return added

    async def delete(self, cred: CredentialRef, token: AccessToken, uuid: str) -> None:
        """DELETE .../secrets/{uuid}."""
        response = await self._call("delete", "DELETE", cred, token, uuid)
        if response.status_code not in (200, 202, 204):
            raise self._error("delete", response)
        logger.debug("adobe delete: credential %s lost secret %s", cred.credential_id, uuid)

    async def _call(
        self, operation: str, method: str, cred: CredentialRef, token: AccessToken, *tail: str
    ) -> httpx.Response:
        segments = ("console", "organizations", cred.org_id, "credentials", cred.credential_id)
        path = "/".join(quote(s, safe="") for s in (*segments, "secrets", *tail))
        headers = {
            "Authorization": f"Bearer {token.reveal()}",
            "x-api-key": cred.client_id,
            "Accept": "application/json",
        }
        request = self._http.build_request(method, f"{self._base}/{path}", headers=headers)
        logger.debug("adobe %s: %s %s", operation, method, request.url.path)
        return await send(
            self._http,
            request,
            operation=operation,
            idempotent=operation != "add",
            limiter=self._limiter,
            observe=self._observe,
        )

    def _error(self, operation: str, response: httpx.Response) -> AdobeError:
        error = generic_error(operation, response, self._clock())
        if error is not None:
            return error
        status = response.status_code
        if status == 401:
            return TokenRejectedError(
                f"{operation}: the API refused the access token (401)",
                operation=operation,
                status=status,
            )
        if status == 403:
            return PermissionDeniedError(
                f"{operation}: forbidden (403): is the I/O Management API added to the project, "
                "and does the token carry its scopes?",
                operation=operation,
                status=status,
            )
        if status == 404:
            return CredentialNotFoundError(
                f"{operation}: not found (404)", operation=operation, status=status
            )
        return unexpected_status(operation, response)


def parse_secret(operation: str, status: int, raw: object) -> SecretInfo:
    """One SECRET object of the documentation into a SecretInfo."""
    if not isinstance(raw, dict):
        raise _bad_shape(operation, status, "a secret is not an object")
    uuid = raw.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise _bad_shape(operation, status, "a secret has no uuid")
    created_at = adobe_time(raw.get("created_at"))
    return SecretInfo(uuid, created_at, _last_used(operation, status, raw.get("secret_usages")))


def _last_used(operation: str, status: int, usages: object) -> datetime | None:
    """The latest last_used_at over all usages; None when never used (null or empty).

    A usage whose time cannot be read (even an empty string) is an error, not "never used": a
    drain must not take an unreadable use of the old secret for no use at all.
    """
    if usages is None:
        return None
    if not isinstance(usages, list):
        raise _bad_shape(operation, status, "secret_usages is neither null nor a list")
    times = []
    for usage in usages:
        if not isinstance(usage, dict):
            raise _bad_shape(operation, status, "a secret usage is not an object")
        raw = usage.get("last_used_at")
        when = adobe_time(raw)
        if when is None and raw is not None:
            raise _bad_shape(operation, status, "last_used_at is not a time")
        if when is not None:
            times.append(when)
    return max(times, default=None)


def adobe_time(value: object) -> datetime | None:
    """A time as Adobe sends it, as an aware datetime; None when absent or unreadable.

    Documented: milliseconds since the epoch as a string. Also read: the same as a JSON number
    (integral), and an ISO 8601 date with a time zone (a naive one has no defined instant).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            value = int(text)
        else:
            return _iso_time(text)
    if not isinstance(value, int) or not 0 <= value <= _MAX_MILLIS:
        return None
    return _EPOCH + timedelta(milliseconds=value)


def _iso_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def _bad_shape(operation: str, status: int, what: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"{operation}: unexpected answer shape ({what})", operation=operation, status=status
    )
