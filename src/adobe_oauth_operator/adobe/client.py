"""AdobeClient: the one object the operator uses to talk to IMS and the I/O Management API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TypeVar

import httpx

from adobe_oauth_operator import __version__
from adobe_oauth_operator.adobe.client_secrets import SecretsApi
from adobe_oauth_operator.adobe.errors import (
    AdobeError,
    CredentialNotFoundError,
    SecretLimitReachedError,
    SecretNotFoundError,
    ThrottledError,
    TokenRejectedError,
)
from adobe_oauth_operator.adobe.ims import ImsTokenClient, TokenCache
from adobe_oauth_operator.adobe.limiter import AdobeLimiter
from adobe_oauth_operator.adobe.models import AccessToken, AddedSecret, CredentialRef, SecretInfo
from adobe_oauth_operator.adobe.retry import RETRYABLE, RetryPolicy
from adobe_oauth_operator.adobe.transport import RequestObserver, ignore_request
from adobe_oauth_operator.config import (
    API_URL_NAME,
    DEFAULT_API_URL,
    DEFAULT_IMS_URL,
    IMS_URL_NAME,
    adobe_url_problem,
)
from adobe_oauth_operator.sensitive import Sensitive
from adobe_oauth_operator.timings import ADOBE_CONNECT_TIMEOUT, ADOBE_READ_TIMEOUT, IMS_TOKEN_MARGIN

logger = logging.getLogger("adobe_oauth_operator.adobe")

T = TypeVar("T")
MAX_SECRETS = 2
DEFAULT_TIMEOUT = httpx.Timeout(
    ADOBE_READ_TIMEOUT.total_seconds(), connect=ADOBE_CONNECT_TIMEOUT.total_seconds()
)

DEFAULT_POOL = 20


def utc_now() -> datetime:
    return datetime.now(UTC)


class AdobeClient:
    """Tokens and client-secret calls; each call's `secret` is the one its token is made with."""

    def __init__(
        self,
        *,
        ims_url: str = DEFAULT_IMS_URL,
        api_url: str = DEFAULT_API_URL,
        http_client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        token_margin: timedelta = IMS_TOKEN_MARGIN,
        limiter: AdobeLimiter | None = None,
        observe: RequestObserver = ignore_request,
    ) -> None:
        for url, name in ((ims_url, IMS_URL_NAME), (api_url, API_URL_NAME)):
            if (problem := adobe_url_problem(url, name)) is not None:
                raise ValueError(problem)  # secrets and tokens go there: https or loopback only
        self._owns_http = http_client is None
        # The pool is several times the limiter's concurrency: requests never queue in it.
        pool = 4 * limiter.concurrency if limiter else DEFAULT_POOL
        self._http = http_client or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT,
            headers={"User-Agent": f"adobe-oauth-operator/{__version__}"},
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
        )
        self.limiter = limiter
        self._retry = retry or RetryPolicy()
        ims = ImsTokenClient(self._http, ims_url, clock, limiter, observe)
        self._tokens = TokenCache(ims, retry=self._retry, clock=clock, margin=token_margin)
        self._api = SecretsApi(self._http, api_url, clock, limiter, observe)

    async def get_token(
        self, cred: CredentialRef, secret: Sensitive, scopes: Sequence[str]
    ) -> AccessToken:
        """A valid token for the credential, from the cache when possible."""
        return await self._tokens.get(cred.client_id, secret, scopes)

    async def grant_token(
        self, cred: CredentialRef, secret: Sensitive, scopes: Sequence[str]
    ) -> AccessToken:
        """A newly granted token, neither taken from nor put into the cache: for handing out."""
        return await self._tokens.fresh(cred.client_id, secret, scopes)

    async def list_secrets(
        self, cred: CredentialRef, secret: Sensitive, scopes: Sequence[str]
    ) -> list[SecretInfo]:
        """The credential's client secrets (uuids and timestamps, never values)."""
        return await self._authorized(cred, secret, scopes, lambda t: self._api.list(cred, t))

    async def add_secret(
        self, cred: CredentialRef, secret: Sensitive, scopes: Sequence[str]
    ) -> AddedSecret:
        """Create a client secret; AddOutcomeUnknownError when it may exist with its value lost."""
        try:
            return await self._authorized(cred, secret, scopes, lambda t: self._api.add(cred, t))
        except AdobeError as error:
            if isinstance(error, ThrottledError | TokenRejectedError) or not _is_4xx(error.status):
                raise
            # The limit's status and wording are undocumented (Adobe's OpenAPI description lists
            # only 401, 403, 404 and 500 for add, the guide no status): any refusal but 401 and
            # 429 while two secrets are present is the limit; the count is what tells.
            if len(await self.list_secrets(cred, secret, scopes)) < MAX_SECRETS:
                raise
            raise SecretLimitReachedError(
                f"add: the credential already holds {MAX_SECRETS} client secrets",
                operation="add",
                status=error.status,
            ) from error

    async def delete_secret(
        self, cred: CredentialRef, secret: Sensitive, scopes: Sequence[str], uuid: str
    ) -> None:
        """Delete one secret; SecretNotFoundError when the credential has no such uuid."""
        try:
            await self._authorized(cred, secret, scopes, lambda t: self._api.delete(cred, t, uuid))
        except CredentialNotFoundError as error:
            # A 404 does not say whether the credential or the secret is missing; a list does.
            listed = await self.list_secrets(cred, secret, scopes)
            if any(s.uuid == uuid for s in listed):
                raise
            raise SecretNotFoundError(
                f"delete: the credential holds no client secret {uuid}",
                operation="delete",
                status=error.status,
            ) from error

    def forget_secret(self, secret: Sensitive) -> None:
        """Never reuse tokens made with `secret` (it is retired, or its last use must move)."""
        self._tokens.forget_secret(secret)

    async def aclose(self) -> None:
        await self._tokens.aclose()
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AdobeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _authorized(
        self,
        cred: CredentialRef,
        secret: Sensitive,
        scopes: Sequence[str],
        call: Callable[[AccessToken], Awaitable[T]],
    ) -> T:
        """Get a token, make the call; renew a refused token once, retry as the policy allows
        (the default: not at all)."""
        allowance = self._retry.start()
        renewed = False
        while True:
            token = await self._tokens.get(cred.client_id, secret, scopes)
            try:
                return await call(token)
            except TokenRejectedError:
                self._tokens.invalidate(cred.client_id, secret, scopes, token)
                if renewed:
                    raise
                renewed = True
                logger.debug("adobe: the API refused a cached token, renewing it once")
            except RETRYABLE as error:
                if not await allowance.allows_retry(error):
                    raise


def _is_4xx(status: int | None) -> bool:
    return status is not None and 400 <= status < 500
