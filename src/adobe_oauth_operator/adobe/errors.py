"""The typed errors of the Adobe client; messages never carry secret values, tokens or bodies."""

from __future__ import annotations


class AdobeError(Exception):
    """Base of every error the Adobe client raises."""

    def __init__(self, message: str, *, operation: str, status: int | None = None) -> None:
        super().__init__(message)
        self.operation = operation  # "token", "list", "add" or "delete"
        self.status = status  # the HTTP status, None when no response arrived


class InvalidClientError(AdobeError):
    """IMS refused the client id or client secret."""


class PermissionDeniedError(AdobeError):
    """403: a scope is missing, the I/O Management API is not added, or x-api-key mismatches."""


class TokenRejectedError(PermissionDeniedError):
    """The API answered 401 even to a freshly issued token."""


class CredentialNotFoundError(AdobeError):
    """404: no such organization or credential (for this client)."""


class SecretNotFoundError(CredentialNotFoundError):
    """The credential exists but holds no client secret with that uuid (already deleted)."""


class SecretLimitReachedError(AdobeError):
    """The credential already holds the maximum of 2 client secrets."""


class ThrottledError(AdobeError):
    """429: Adobe asks to slow down; `retry_after` is in seconds when the server said so."""

    def __init__(
        self, message: str, *, operation: str, status: int | None, retry_after: float | None
    ) -> None:
        super().__init__(message, operation=operation, status=status)
        self.retry_after = retry_after


class TransientError(AdobeError):
    """5xx, timeout or connection failure; the same call may succeed later."""


class UnexpectedResponseError(AdobeError):
    """The answer does not have the documented status or shape."""


class AddOutcomeUnknownError(AdobeError):
    """The add request may have created a secret whose value is lost: list and reconcile."""
