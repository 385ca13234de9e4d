"""Adobe and Kubernetes errors become state-machine failures with a reason a person can act on.

Every error class of adobe.errors and kube.errors is mapped here, once. A known Adobe error gives
a fixed text naming its class (the failing call is recorded in ActionFailed.action by the state
machine); anything else, and every Kubernetes error, carries the error's own text, which names the
operation and never a value. A secret attached to an error anywhere else must not reach the status.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.adobe import errors as e
from adobe_oauth_operator.handlers.executor import Executor, Resource
from adobe_oauth_operator.handlers.failures import (
    failure_from_adobe_error,
    failure_from_kube_error,
)
from adobe_oauth_operator.kube import errors as k
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.messages import ErrorKind
from adobe_oauth_operator.rotation.model import Spec
from adobe_oauth_operator.rotation.reasons import Reason

SECRET = "p8e-TEST-secret-value-must-not-leak"
E = TypeVar("E", bound=Exception)

# Every class of adobe.errors: a factory taking the error's text, the reason, a hint the message
# gives (None: the error's own text, which an unexpected answer shows as it is).
AdobeFactory = Callable[[str], e.AdobeError]
ADOBE_CASES: dict[str, tuple[AdobeFactory, ErrorKind, str | None]] = {
    "InvalidClient": (
        lambda text: e.InvalidClientError(text, operation="token", status=401),
        ErrorKind.INVALID_CLIENT,
        "IMS refused",
    ),
    "PermissionDenied": (
        lambda text: e.PermissionDeniedError(text, operation="list", status=403),
        ErrorKind.PERMISSION_DENIED,
        "I/O Management API",
    ),
    "TokenRejected": (
        lambda text: e.TokenRejectedError(text, operation="list", status=401),
        ErrorKind.PERMISSION_DENIED,
        "scopes",
    ),
    "CredentialNotFound": (
        lambda text: e.CredentialNotFoundError(text, operation="list", status=404),
        ErrorKind.CREDENTIAL_NOT_FOUND,
        "spec.orgId",
    ),
    "SecretNotFound": (
        lambda text: e.SecretNotFoundError(text, operation="delete", status=404),
        ErrorKind.CREDENTIAL_NOT_FOUND,
        "spec.credentialId",
    ),
    "SecretLimitReached": (
        lambda text: e.SecretLimitReachedError(text, operation="add", status=400),
        ErrorKind.SECRET_LIMIT,
        "2 client",
    ),
    "Throttled": (
        lambda text: e.ThrottledError(text, operation="list", status=429, retry_after=None),
        ErrorKind.THROTTLED,
        "throttling",
    ),
    "Transient": (
        lambda text: e.TransientError(text, operation="list", status=503),
        ErrorKind.TRANSIENT,
        "unavailable",
    ),
    "UnexpectedResponse": (
        lambda text: e.UnexpectedResponseError(text, operation="list", status=200),
        ErrorKind.UNEXPECTED_RESPONSE,
        None,
    ),
    "AddOutcomeUnknown": (
        lambda text: e.AddOutcomeUnknownError(text, operation="add"),
        ErrorKind.UNEXPECTED_RESPONSE,
        None,
    ),
    "AdobeError": (
        lambda text: e.AdobeError(text, operation="token"),
        ErrorKind.UNEXPECTED_RESPONSE,
        None,
    ),
}
KNOWN_ADOBE = {
    name: factory
    for name, (factory, kind, _) in ADOBE_CASES.items()
    if kind is not ErrorKind.UNEXPECTED_RESPONSE
}

# Every class of kube.errors, worded as the kube layer words them: the operation comes first.
OPERATION = "patch Secret payments/adobe-creds"
KUBE_CASES: dict[str, tuple[Callable[[], k.KubeError], ErrorKind]] = {
    "BadRequest": (
        lambda: k.BadRequest(f"{OPERATION}: 400 BadRequest", status=400),
        ErrorKind.KUBERNETES,
    ),
    "Unauthorized": (
        lambda: k.Unauthorized(f"{OPERATION}: 401 Unauthorized", status=401),
        ErrorKind.KUBERNETES,
    ),
    "Forbidden": (
        lambda: k.Forbidden(f"{OPERATION}: 403 Forbidden: no", status=403, reason="Forbidden"),
        ErrorKind.KUBERNETES,
    ),
    "NotFound": (
        lambda: k.NotFound(f"{OPERATION}: 404 NotFound", status=404),
        ErrorKind.KUBERNETES,
    ),
    "Conflict": (lambda: k.Conflict(f"{OPERATION}: 409 Conflict", status=409), ErrorKind.TRANSIENT),
    "Invalid": (lambda: k.Invalid(f"{OPERATION}: 422 Invalid", status=422), ErrorKind.KUBERNETES),
    "ServerError 500": (
        lambda: k.ServerError(f"{OPERATION}: 500 InternalError", status=500),
        ErrorKind.TRANSIENT,
    ),
    "ServerError 429": (
        lambda: k.ServerError(f"{OPERATION}: 429 TooManyRequests", status=429),
        ErrorKind.TRANSIENT,
    ),
    "Unreachable": (
        lambda: k.unreachable(OPERATION, ConnectionRefusedError(f"https://{SECRET}@api")),
        ErrorKind.TRANSIENT,
    ),
    "NotOwned": (
        lambda: k.NotOwned(
            f"{OPERATION}: Secret payments/adobe-pending exists and is not this resource's "
            "pending Secret; rename or delete it",
            status=409,
            reason="AlreadyExists",
        ),
        ErrorKind.PENDING_CONFLICT,
    ),
    "KubeError 418": (
        lambda: k.KubeError(f"{OPERATION}: 418 Teapot", status=418),
        ErrorKind.KUBERNETES,
    ),
}


def _with_secret_attached(exc: E) -> E:
    """Attach a secret where a careless mapping might look: a cause, a note, an attribute."""
    exc.__cause__ = ValueError(SECRET)
    exc.add_note(SECRET)
    exc.body = SECRET  # type: ignore[attr-defined]
    return exc


def _classes(module: Any, base: type[Exception]) -> set[type[Exception]]:
    return {v for v in vars(module).values() if isinstance(v, type) and issubclass(v, base)}


def test_every_error_class_has_a_case() -> None:
    assert {type(f("x")) for f, _, _ in ADOBE_CASES.values()} == _classes(e, e.AdobeError)
    assert {type(f()) for f, _ in KUBE_CASES.values()} == _classes(k, k.KubeError)


# -- Adobe --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("factory", "kind", "hint"), ADOBE_CASES.values(), ids=ADOBE_CASES.keys())
def test_adobe_errors(factory: AdobeFactory, kind: ErrorKind, hint: str | None) -> None:
    error = factory("list: 200 but no list in the answer")
    failure = failure_from_adobe_error(_with_secret_attached(error))
    assert failure.kind is kind
    assert (hint or str(error)) in failure.message
    assert type(error).__name__ in failure.message
    assert SECRET not in failure.message


@pytest.mark.parametrize("factory", KNOWN_ADOBE.values(), ids=KNOWN_ADOBE.keys())
def test_known_adobe_errors_do_not_repeat_the_error_text(factory: AdobeFactory) -> None:
    """A known error says what to do in fixed words: whatever its text holds is not shown."""
    assert SECRET not in failure_from_adobe_error(factory(SECRET)).message


@pytest.mark.parametrize(
    ("said", "read"),
    [(1e300, timedelta(days=1)), (-5.0, timedelta(0)), (float("nan"), None), (float("inf"), None)],
)
def test_a_retry_after_at_the_edge_of_its_type_is_bounded(
    said: float, read: timedelta | None
) -> None:
    error = e.ThrottledError("slow", operation="list", status=429, retry_after=said)
    assert failure_from_adobe_error(error).retry_after == read


def test_throttling_carries_retry_after() -> None:
    error = e.ThrottledError("slow", operation="token", status=429, retry_after=7.5)
    assert failure_from_adobe_error(error).retry_after == timedelta(seconds=7.5)


@pytest.mark.parametrize("factory", [f for f, _, _ in ADOBE_CASES.values()], ids=ADOBE_CASES.keys())
def test_only_a_server_asking_to_wait_sets_retry_after(factory: AdobeFactory) -> None:
    assert failure_from_adobe_error(factory("x")).retry_after is None


# -- Kubernetes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("factory", "kind"), KUBE_CASES.values(), ids=KUBE_CASES.keys())
def test_kube_errors(factory: Callable[[], k.KubeError], kind: ErrorKind) -> None:
    failure = failure_from_kube_error(_with_secret_attached(factory()))
    assert failure.kind is kind
    assert OPERATION in failure.message
    assert SECRET not in failure.message
    assert failure.retry_after is None


@pytest.mark.parametrize(("factory", "kind"), KUBE_CASES.values(), ids=KUBE_CASES.keys())
def test_kube_error_wording(factory: Callable[[], k.KubeError], kind: ErrorKind) -> None:
    error = factory()
    expected = {
        ErrorKind.TRANSIENT: f"Kubernetes API, retrying: {error}",
        ErrorKind.KUBERNETES: f"Kubernetes API: {error}",
        # The pending Secret's place is taken: the error itself says what to do.
        ErrorKind.PENDING_CONFLICT: str(error),
    }
    assert failure_from_kube_error(error).message == expected[kind]


def test_an_api_error_keeps_the_status_message_only() -> None:
    """Built by the kube layer from an ApiException: the Status message, never the whole body."""
    status = {"kind": "Status", "reason": "Invalid", "message": "data: Invalid value", "code": 422}
    body = json.dumps({**status, "details": {"causes": [{"field": SECRET}]}})
    error = k.from_api_exception(OPERATION, SimpleNamespace(status=422, reason="x", body=body))
    failure = failure_from_kube_error(error)
    assert failure.kind is ErrorKind.KUBERNETES
    assert failure.message == f"Kubernetes API: {OPERATION}: 422 Invalid: data: Invalid value"


# -- Executor.run uses the two mappings ---------------------------------------------------------
class _Api:
    """A kubernetes API or Adobe client whose every call raises `exc`, or returns `value`."""

    def __init__(self, exc: BaseException | None = None, value: Any = None) -> None:
        self.exc, self.value = exc, value

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*_: Any, **__: Any) -> Any:
            if self.exc is not None:
                raise self.exc
            return self.value

        return call


def _executor(core: _Api, adobe: _Api | None = None) -> Executor:
    spec = Spec(org_id="1", credential_id="2", secret_name="creds")
    kube = SimpleNamespace(secrets=core, events=core, custom=None)
    resource = Resource("ns", "aoc", "uid-1", spec, client_id="0123456789abcdef0123456789abcdef")
    return Executor(adobe, kube, resource)  # type: ignore[arg-type]


async def test_executor_maps_kube_errors() -> None:
    core = _Api(ApiException(status=503, reason="ServiceUnavailable"))
    result = await _executor(core).run(m.DeletePending())
    assert isinstance(result, m.ActionFailed)
    assert result.kind is ErrorKind.TRANSIENT
    assert result.message.startswith("Kubernetes API, retrying: read Secret ns/aoc-pending: 503")


async def test_executor_maps_adobe_errors() -> None:
    data = {"ADOBE_CLIENT_SECRET": base64.b64encode(SECRET.encode()).decode()}
    secret = {"metadata": {"resourceVersion": "1"}, "data": data}
    core = _Api(value=SimpleNamespace(data=json.dumps(secret).encode()))
    adobe = _Api(e.CredentialNotFoundError(SECRET, operation="list", status=404))
    result = await _executor(core, adobe).run(m.ListSecrets(m.Using.APP_SECRET))
    assert isinstance(result, m.ActionFailed)
    assert result.kind is ErrorKind.CREDENTIAL_NOT_FOUND
    assert SECRET not in result.message


async def test_vending_without_spec_access_token_is_an_invalid_spec_not_an_adobe_answer() -> None:
    """Nothing is called: a spec without accessToken is refused before Kubernetes or Adobe."""
    untouched = _Api(AssertionError("no call expected"))
    result = await _executor(untouched, untouched).run(m.VendToken(m.Using.APP_SECRET, "a" * 32))
    assert result == m.ActionFailed(ErrorKind.INVALID_SPEC, "spec.accessToken is not set")
    assert Reason(result.kind.value) is Reason.INVALID_SPEC
    assert not result.kind.transient
