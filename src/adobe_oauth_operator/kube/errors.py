"""Typed Kubernetes API errors whose text carries the operation, status and reason only.

The text never includes a request body, and the response body only through the API server's
Status message, which describes the failure (for Secrets: names and keys, never values).
"""

from __future__ import annotations

import json
from typing import Any

# Long enough for RBAC and validation messages, short enough for a status condition.
MAX_SERVER_MESSAGE = 300


class KubeError(Exception):
    """A Kubernetes API call failed."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class BadRequest(KubeError):
    """400: the request was malformed."""


class Unauthorized(KubeError):
    """401: the operator's credentials were not accepted."""


class Forbidden(KubeError):
    """403: RBAC denies the operator this call."""


class NotFound(KubeError):
    """404: the object (or its type) does not exist."""


class Conflict(KubeError):
    """409: the object changed meanwhile, or already exists."""


class Invalid(KubeError):
    """422: the API server rejected the object as invalid."""


class ServerError(KubeError):
    """5xx or 429: the API server is unavailable for now."""


class Unreachable(KubeError):
    """No answer at all: connection refused, TLS or timeout."""


class NotOwned(KubeError):
    """An object the operator would write exists and belongs to someone else."""


_BY_STATUS: dict[int, type[KubeError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Invalid,
}


def from_api_exception(what: str, exc: Any) -> KubeError:
    """Translate a kubernetes.client ApiException raised by `what` (e.g. "patch Secret ns/x")."""
    status = int(exc.status) if exc.status is not None else None
    reason, server_message = _status_details(getattr(exc, "body", None))
    reason = reason or str(exc.reason or "")
    error_type = _BY_STATUS.get(status or 0, ServerError if _is_retryable(status) else KubeError)
    text = f"{what}: {status} {reason}".rstrip()
    if server_message:
        text = f"{text}: {server_message}"
    return error_type(text, status=status, reason=reason)


def unreachable(what: str, exc: BaseException) -> Unreachable:
    """The API server did not answer; only the exception type is kept (it may hold a URL)."""
    return Unreachable(f"{what}: API server unreachable ({type(exc).__name__})")


def _is_retryable(status: int | None) -> bool:
    return status is not None and (status == 429 or status >= 500)


def _status_details(body: object) -> tuple[str, str]:
    """Reason and message of a metav1.Status response body, if it is one."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str):
        return "", ""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "", ""
    if not isinstance(parsed, dict) or parsed.get("kind") != "Status":
        return "", ""
    message = str(parsed.get("message") or "")
    if len(message) > MAX_SERVER_MESSAGE:
        message = message[: MAX_SERVER_MESSAGE - 3] + "..."
    return str(parsed.get("reason") or ""), message
