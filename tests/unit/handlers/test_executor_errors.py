"""Adobe errors become state-machine failures with a reason a person can act on."""

from datetime import timedelta

import pytest

from adobe_oauth_operator.adobe import errors as e
from adobe_oauth_operator.handlers.executor import failure_from_adobe_error
from adobe_oauth_operator.rotation.messages import ErrorKind


@pytest.mark.parametrize(
    ("error", "kind", "hint"),
    [
        (e.InvalidClientError("x", operation="token"), ErrorKind.INVALID_CLIENT, "IMS refused"),
        (
            e.PermissionDeniedError("x", operation="list"),
            ErrorKind.PERMISSION_DENIED,
            "I/O Management API",
        ),
        (e.TokenRejectedError("x", operation="list"), ErrorKind.PERMISSION_DENIED, "scopes"),
        (
            e.CredentialNotFoundError("x", operation="list"),
            ErrorKind.CREDENTIAL_NOT_FOUND,
            "spec.orgId",
        ),
        (e.SecretLimitReachedError("x", operation="add"), ErrorKind.SECRET_LIMIT, "2 client"),
        (e.TransientError("x", operation="list"), ErrorKind.TRANSIENT, "unavailable"),
        (
            e.UnexpectedResponseError("bad shape", operation="list"),
            ErrorKind.UNEXPECTED,
            "bad shape",
        ),
    ],
)
def test_error_mapping(error: e.AdobeError, kind: ErrorKind, hint: str) -> None:
    failure = failure_from_adobe_error(error)
    assert failure.kind is kind
    assert hint in failure.message


def test_throttling_carries_retry_after() -> None:
    error = e.ThrottledError("slow", operation="token", status=429, retry_after=7.5)
    assert failure_from_adobe_error(error).retry_after == timedelta(seconds=7.5)
