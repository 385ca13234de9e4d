"""Adobe and Kubernetes errors become state-machine failures with a reason a person can act on.

The one place that decides which reason an error is reported with, and whether it is retried as
transient. Messages carry the error's own text, which names the operation and never a secret value
(see adobe.errors and kube.errors).
"""

from __future__ import annotations

import math
from datetime import timedelta

from adobe_oauth_operator.adobe import errors as adobe_errors
from adobe_oauth_operator.kube import errors as kube_errors
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.timings import MAX_RETRY_AFTER

_ERROR_KINDS: tuple[tuple[type[adobe_errors.AdobeError], m.ErrorKind, str], ...] = (
    (
        adobe_errors.InvalidClientError,
        m.ErrorKind.INVALID_CLIENT,
        "IMS refused the client id and secret in the Secret; check they belong to this credential",
    ),
    (
        adobe_errors.PermissionDeniedError,
        m.ErrorKind.PERMISSION_DENIED,
        "Adobe denied the call: add the I/O Management API to the project and make sure the token "
        "scopes include read_client_secret and manage_client_secrets",
    ),
    (
        adobe_errors.CredentialNotFoundError,
        m.ErrorKind.CREDENTIAL_NOT_FOUND,
        "Adobe does not know this credential: check spec.orgId and spec.credentialId",
    ),
    (
        adobe_errors.SecretLimitReachedError,
        m.ErrorKind.SECRET_LIMIT,
        "the credential already holds 2 client secrets",
    ),
    (adobe_errors.ThrottledError, m.ErrorKind.THROTTLED, "Adobe is throttling requests"),
    (adobe_errors.TransientError, m.ErrorKind.TRANSIENT, "Adobe is unavailable for now"),
)

# The API server is unavailable or the object changed meanwhile: the same call may succeed later.
_KUBE_TRANSIENT = (kube_errors.Conflict, kube_errors.ServerError, kube_errors.Unreachable)


def failure_from_adobe_error(exc: adobe_errors.AdobeError) -> m.ActionFailed:
    """A known error gives fixed advice and its class (never its text); Retry-After is kept."""
    for error_type, kind, text in _ERROR_KINDS:
        if isinstance(exc, error_type):
            retry = getattr(exc, "retry_after", None)
            return m.ActionFailed(kind, f"{text} ({type(exc).__name__})", _as_delta(retry))
    return m.ActionFailed(
        m.ErrorKind.UNEXPECTED_RESPONSE,
        f"unexpected answer from Adobe ({type(exc).__name__}: {exc})",
    )


def failure_from_kube_error(exc: kube_errors.KubeError) -> m.ActionFailed:
    """The pending Secret's name taken, a call to retry, or an API error to show as it is."""
    if isinstance(exc, kube_errors.NotOwned):
        return m.ActionFailed(m.ErrorKind.PENDING_CONFLICT, str(exc))
    if isinstance(exc, _KUBE_TRANSIENT):
        return m.ActionFailed(m.ErrorKind.TRANSIENT, f"Kubernetes API, retrying: {exc}")
    return m.ActionFailed(m.ErrorKind.KUBERNETES, f"Kubernetes API: {exc}")


def _as_delta(seconds: object) -> timedelta | None:
    if isinstance(seconds, int | float):
        if not math.isfinite(seconds):
            return None
        return timedelta(seconds=min(max(seconds, 0.0), MAX_RETRY_AFTER.total_seconds()))
    return seconds if isinstance(seconds, timedelta) else None
