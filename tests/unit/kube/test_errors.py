"""API errors become typed KubeErrors whose text names the operation, never a request body."""

from __future__ import annotations

import json

import pytest
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.kube import errors


def api_exception(
    status: int, reason: str, message: str = "", kind: str = "Status"
) -> ApiException:
    body = {"kind": kind, "status": "Failure", "message": message, "reason": reason, "code": status}
    return ApiException(status=status, reason=reason, body=json.dumps(body))


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (422, errors.Invalid),
        (429, errors.ServerError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (418, errors.KubeError),
    ],
)
def test_status_picks_the_type(status: int, error_type: type[errors.KubeError]) -> None:
    error = errors.from_api_exception("read Secret ns/x", api_exception(status, "Reason"))
    assert type(error) is error_type
    assert error.status == status


def test_text_has_operation_status_reason_and_server_message() -> None:
    error = errors.from_api_exception(
        "patch Secret ns/creds",
        api_exception(403, "Forbidden", 'secrets "creds" is forbidden: cannot patch'),
    )
    assert str(error) == (
        'patch Secret ns/creds: 403 Forbidden: secrets "creds" is forbidden: cannot patch'
    )
    assert error.reason == "Forbidden"


def test_a_body_that_is_not_a_status_is_never_shown() -> None:
    exc = ApiException(status=500, reason="Internal Server Error", body='{"data": "s3cr3t"}')
    error = errors.from_api_exception("read Secret ns/x", exc)
    assert "s3cr3t" not in str(error)
    assert str(error) == "read Secret ns/x: 500 Internal Server Error"


def test_long_server_messages_are_cut() -> None:
    error = errors.from_api_exception("x", api_exception(422, "Invalid", "m" * 5000))
    assert len(str(error)) < errors.MAX_SERVER_MESSAGE + 50


def test_unreachable_keeps_only_the_exception_type() -> None:
    error = errors.unreachable("list Deployments in ns", ConnectionRefusedError("https://10.0.0.1"))
    assert str(error) == "list Deployments in ns: API server unreachable (ConnectionRefusedError)"
