"""IMS access tokens: the client_credentials grant and a cache that collapses concurrent asks."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from adobe_oauth_operator.adobe.errors import (
    AdobeError,
    InvalidClientError,
    PermissionDeniedError,
    UnexpectedResponseError,
)
from adobe_oauth_operator.adobe.limiter import AdobeLimiter
from adobe_oauth_operator.adobe.models import AccessToken
from adobe_oauth_operator.adobe.retry import RetryPolicy, call_with_retries
from adobe_oauth_operator.adobe.transport import (
    RequestObserver,
    generic_error,
    ignore_request,
    json_object,
    send,
    unexpected_status,
)
from adobe_oauth_operator.sensitive import Sensitive
from adobe_oauth_operator.timings import IMS_TOKEN_MARGIN, MAX_IMS_TOKEN_LIFETIME

logger = logging.getLogger("adobe_oauth_operator.adobe")

TOKEN_PATH = "/ims/token/v3"
# RFC 6749 section 5.2 codes: quoting one of these can never echo a secret back.
_OAUTH_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)


@dataclass(frozen=True, slots=True)
class TokenKey:
    """What a token is cached under: the secret only as its sha256."""

    client_id: str
    secret_sha256: str
    scopes: tuple[str, ...]

    @classmethod
    def of(cls, client_id: str, secret: Sensitive, scopes: Iterable[str]) -> TokenKey:
        return cls(client_id, secret_sha256(secret), normalize_scopes(scopes))


def secret_sha256(secret: Sensitive) -> str:
    return hashlib.sha256(secret.reveal().encode()).hexdigest()


def normalize_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Sorted and deduplicated, so the same set always makes the same key and request."""
    if isinstance(scopes, str):
        raise TypeError("scopes must be a sequence of scope names, not one string")
    normalized = tuple(sorted({s.strip() for s in scopes if s.strip()}))
    if not normalized:
        raise ValueError("at least one scope is required")
    return normalized


class ImsTokenClient:
    """One `client_credentials` grant per call, no caching, no retries."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        ims_url: str,
        clock: Callable[[], datetime],
        limiter: AdobeLimiter | None = None,
        observe: RequestObserver = ignore_request,
    ):
        self._http = http
        self._url = ims_url.rstrip("/") + TOKEN_PATH
        self._clock = clock
        self._limiter = limiter
        self._observe = observe

    async def request(
        self, client_id: str, secret: Sensitive, scopes: tuple[str, ...]
    ) -> AccessToken:
        """Ask IMS for a token; the credentials travel in the form body, never in the URL."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret.reveal(),
            "scope": ",".join(scopes),
        }
        request = self._http.build_request("POST", self._url, data=form)
        logger.debug("adobe token: requesting for client %s, %d scopes", client_id, len(scopes))
        response = await send(
            self._http,
            request,
            operation="token",
            idempotent=True,
            limiter=self._limiter,
            observe=self._observe,
        )
        now = self._clock()
        if response.status_code != 200:
            raise token_error(response, now)
        token = parse_token(response, now)
        logger.debug("adobe token: issued for client %s until %s", client_id, token.expires_at)
        return token


def token_error(response: httpx.Response, now: datetime) -> AdobeError:
    """Map a failed grant to a typed error; only standard OAuth codes are quoted, never text."""
    error = generic_error("token", response, now)
    if error is not None:
        return error
    status = response.status_code
    code = _oauth_code(response)
    label = f"{status}, {code}" if code else str(status)
    if status == 403 or code == "invalid_scope":
        return PermissionDeniedError(
            f"token: IMS refused the requested scopes ({label})", operation="token", status=status
        )
    if code in ("invalid_request", "unsupported_grant_type"):
        return UnexpectedResponseError(
            f"token: IMS called the request malformed ({label})", operation="token", status=status
        )
    if status in (400, 401):
        return InvalidClientError(
            f"token: IMS refused the client id or secret ({label})",
            operation="token",
            status=status,
        )
    return unexpected_status("token", response)


def _oauth_code(response: httpx.Response) -> str | None:
    try:
        code = json_object("token", response).get("error")
    except UnexpectedResponseError:
        return None
    return code if isinstance(code, str) and code in _OAUTH_CODES else None


def parse_token(response: httpx.Response, now: datetime) -> AccessToken:
    """Read `access_token`, `token_type` and `expires_in` (seconds) from a 200 answer."""
    body = json_object("token", response)
    value = body.get("access_token")
    expires_in = body.get("expires_in")
    token_type = body.get("token_type", "bearer")
    if isinstance(expires_in, str) and expires_in.isascii() and expires_in.isdigit():
        expires_in = int(expires_in)
    if not isinstance(value, str) or not value:
        raise _bad_token("no access_token")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise _bad_token("no positive expires_in")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise _bad_token("token_type is not bearer")
    lifetime = timedelta(seconds=min(expires_in, _MAX_LIFETIME_S))
    return AccessToken(value, expires_at=now + lifetime)


_MAX_LIFETIME_S = int(MAX_IMS_TOKEN_LIFETIME.total_seconds())


def _bad_token(what: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"token: the 200 answer is unusable ({what})", operation="token", status=200
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    token: AccessToken
    refresh_at: datetime


class TokenCache:
    """Reuses tokens until shortly before expiry; one in-flight request per key at a time."""

    def __init__(
        self,
        ims: ImsTokenClient,
        *,
        retry: RetryPolicy,
        clock: Callable[[], datetime],
        margin: timedelta = IMS_TOKEN_MARGIN,
    ) -> None:
        self._ims = ims
        self._retry = retry
        self._clock = clock
        self._margin = margin
        self._entries: dict[TokenKey, _Entry] = {}
        self._inflight: dict[TokenKey, asyncio.Task[AccessToken]] = {}
        # Every request still running, even one forget_secret() detached from _inflight.
        self._running: set[asyncio.Task[AccessToken]] = set()

    async def get(self, client_id: str, secret: Sensitive, scopes: Iterable[str]) -> AccessToken:
        """A token for these credentials and scopes: cached, joined in flight, or fetched."""
        key = TokenKey.of(client_id, secret, scopes)
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(key, client_id, secret))
            self._inflight[key] = task
            self._running.add(task)
            task.add_done_callback(lambda done: self._settle(key, done))
        # Shielded: a cancelled caller must not cancel the request the others wait for.
        return await asyncio.shield(task)

    async def fresh(self, client_id: str, secret: Sensitive, scopes: Iterable[str]) -> AccessToken:
        """A newly granted token whatever the cache holds, to hand out; never cached, so the
        operator's own calls never use a token someone else holds."""
        key = TokenKey.of(client_id, secret, scopes)
        return await call_with_retries(
            self._retry, lambda: self._ims.request(client_id, secret, key.scopes)
        )

    def invalidate(
        self, client_id: str, secret: Sensitive, scopes: Iterable[str], token: AccessToken
    ) -> None:
        """Drop `token` if it is still the cached one (the API refused it)."""
        key = TokenKey.of(client_id, secret, scopes)
        entry = self._entries.get(key)
        if entry is not None and entry.token == token:
            del self._entries[key]

    def forget_secret(self, secret: Sensitive) -> None:
        """Drop every token made with `secret`, and keep in-flight ones from being cached."""
        digest = secret_sha256(secret)
        for key in [k for k in self._entries if k.secret_sha256 == digest]:
            del self._entries[key]
        for key in [k for k in self._inflight if k.secret_sha256 == digest]:
            del self._inflight[key]

    async def aclose(self) -> None:
        """Cancel requests nobody may be waiting for any more."""
        tasks = list(self._running)
        self._inflight.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _fetch(self, key: TokenKey, client_id: str, secret: Sensitive) -> AccessToken:
        token = await call_with_retries(
            self._retry, lambda: self._ims.request(client_id, secret, key.scopes)
        )
        # forget_secret() during the request removed us from _inflight: then do not cache.
        if self._inflight.get(key) is asyncio.current_task():
            self._store(key, token)
        return token

    def _store(self, key: TokenKey, token: AccessToken) -> None:
        now = self._clock()
        lifetime = token.expires_at - now
        margin = max(self._margin, lifetime / 10)
        # A lifetime shorter than the margin would never be cached at all: keep half of it.
        margin = min(margin, lifetime / 2)
        self._entries = {k: e for k, e in self._entries.items() if e.token.expires_at > now}
        self._entries[key] = _Entry(token, token.expires_at - margin)

    def _settle(self, key: TokenKey, task: asyncio.Task[AccessToken]) -> None:
        self._running.discard(task)
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here: waiters may all have been cancelled
