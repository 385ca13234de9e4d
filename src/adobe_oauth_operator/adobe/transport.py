"""Sending one request and turning transport failures and generic statuses into typed errors."""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from adobe_oauth_operator.adobe.errors import (
    AddOutcomeUnknownError,
    AdobeError,
    ThrottledError,
    TransientError,
    UnexpectedResponseError,
)
from adobe_oauth_operator.adobe.limiter import AdobeLimiter

# Failures before a single byte of the request left: the server cannot have acted on it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# Told of every request: its operation (token, list, add, delete), the HTTP status as text or
# "error" when no answer came, and how long it took in seconds.
RequestObserver = Callable[[str, str, float], None]
NO_ERROR_CODE = "error"
# No answer of IMS or the secrets endpoints comes near this; a larger one is refused unread.
MAX_BODY_BYTES = 1024 * 1024
# Describe the body as sent, not the decoded copy kept.
_TRANSFER_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def ignore_request(operation: str, code: str, seconds: float) -> None:
    """The observer when nobody watches."""


async def send(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    operation: str,
    idempotent: bool,
    limiter: AdobeLimiter | None = None,
    observe: RequestObserver = ignore_request,
) -> httpx.Response:
    """Send `request`; a failure after it may have reached the server is fatal unless idempotent.

    With a limiter, the request waits for its turn there first, and a 429 pauses every caller.
    `observe` is told of the request itself, not of the wait for its turn.
    """
    if limiter is None:
        return await _send(
            http, request, operation=operation, idempotent=idempotent, observe=observe
        )
    async with limiter.turn():
        response = await _send(
            http, request, operation=operation, idempotent=idempotent, observe=observe
        )
    if response.status_code == 429:
        limiter.pause(retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC)))
    return response


async def _send(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    operation: str,
    idempotent: bool,
    observe: RequestObserver,
) -> httpx.Response:
    started = time.monotonic()
    code = NO_ERROR_CODE
    try:
        response = await http.send(request, stream=True)
        code = str(response.status_code)
        return await _read_capped(response, operation)
    except httpx.UnsupportedProtocol:
        raise AdobeError(f"{operation}: unsupported URL scheme", operation=operation) from None
    except _NOT_SENT as exc:
        raise TransientError(
            f"{operation}: could not connect ({type(exc).__name__})", operation=operation
        ) from None
    except httpx.TransportError as exc:
        if idempotent:
            raise TransientError(
                f"{operation}: no answer ({type(exc).__name__})", operation=operation
            ) from None
        raise AddOutcomeUnknownError(
            f"{operation}: the request may have reached Adobe but no answer arrived "
            f"({type(exc).__name__}); list the secrets to learn whether it took effect",
            operation=operation,
        ) from None
    finally:
        observe(operation, code, time.monotonic() - started)


async def _read_capped(response: httpx.Response, operation: str) -> httpx.Response:
    """The response with its (decoded) body read, or UnexpectedResponseError as soon as the body
    is known to exceed MAX_BODY_BYTES: never more than that is held in memory."""
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _too_large(operation, response.status_code)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise _too_large(operation, response.status_code)
    finally:
        await response.aclose()
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in _TRANSFER_HEADERS]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=bytes(body),
        request=response.request,
        extensions=response.extensions,
    )


def _too_large(operation: str, status: int) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"{operation}: the {status} answer is larger than {MAX_BODY_BYTES // 1024} KiB; not read",
        operation=operation,
        status=status,
    )


def generic_error(operation: str, response: httpx.Response, now: datetime) -> AdobeError | None:
    """The error for 429 and 5xx, which mean the same on every endpoint; None otherwise."""
    status = response.status_code
    if status == 429:
        retry_after = retry_after_seconds(response.headers.get("retry-after"), now)
        return ThrottledError(
            f"{operation}: throttled (429, retry after {retry_after}s)",
            operation=operation,
            status=status,
            retry_after=retry_after,
        )
    if status >= 500:
        return TransientError(
            f"{operation}: Adobe answered {status}", operation=operation, status=status
        )
    return None


def unexpected_status(operation: str, response: httpx.Response) -> UnexpectedResponseError:
    """An error naming only the status: bodies are never quoted, they could echo a secret."""
    return UnexpectedResponseError(
        f"{operation}: unexpected status {response.status_code}",
        operation=operation,
        status=response.status_code,
    )


def json_object(operation: str, response: httpx.Response) -> dict[str, object]:
    """The body as a JSON object, or UnexpectedResponseError."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise UnexpectedResponseError(
            f"{operation}: the body of the {response.status_code} answer is not a JSON object",
            operation=operation,
            status=response.status_code,
        )
    return body


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Parse Retry-After (delta seconds or HTTP date) into seconds from `now`; None if absent."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until_date(value, now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until_date(value: str, now: datetime) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
