"""The adoption's log line: what Adobe listed, which secret the Secret holds, their times; said
once, after the status write that records the adoption, and never by a later pass."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from adobe_oauth_operator.handlers import reconcile
from adobe_oauth_operator.handlers.adoption_log import adoption_summary
from adobe_oauth_operator.handlers.executor import Resource
from adobe_oauth_operator.kube.errors import Conflict
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import SecretMeta, Spec, Status
from support.claims import claimed

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HELD, OTHER = "a" * 32, "b" * 32
VALUE = "p8e-the-client-secret-value"
FINGERPRINT = "hmac-of-the-value"
SPEC = Spec("1234567", "7654321", "adobe-creds")
LISTED = (
    SecretMeta(OTHER, T0 - timedelta(days=3), None),
    SecretMeta(HELD, T0 - timedelta(days=400), T0 - timedelta(minutes=5, milliseconds=250)),
)
ADOPTED = m.Adopted(
    HELD, "0123456789abcdef0123456789abcdef", FINGERPRINT, LISTED[1].created_at, LISTED
)


def test_the_text_names_each_secret_its_times_and_which_one_the_secret_holds() -> None:
    text = adoption_summary("team", "creds", SPEC, ADOPTED)
    assert text == (
        "team/creds: adopted credential 1234567/7654321: Adobe lists 2 client secret(s), Secret "
        f"team/adobe-creds holds {HELD}; "
        f"{HELD} (the Secret holds it): created 2025-09-27T12:00:00.000Z, last used "
        "2026-11-01T11:54:59.750Z; "
        f"{OTHER}: created 2026-10-29T12:00:00.000Z, last used never"
    )
    assert VALUE not in text and FINGERPRINT not in text and ADOPTED.client_id not in text


def test_a_secret_whose_creation_time_adobe_did_not_give_is_listed_last_as_unknown() -> None:
    listed = (SecretMeta(OTHER, None, None), LISTED[1])
    text = adoption_summary("team", "creds", SPEC, m.Adopted(HELD, "cid", None, None, listed))
    assert text.endswith(f"{OTHER}: created unknown, last used never")
    assert text.index(HELD + " (the Secret holds it)") < text.index(OTHER)


class FakeExecutor:
    """Adopts on the first Adopt it is asked for; records the actions it ran."""

    def __init__(
        self, adobe: Any, kube: Any, resource: Resource, hmac_key: Any = None, claims: Any = None
    ) -> None:
        self.res = resource
        self.actions: list[m.Action] = []

    async def run(self, action: m.Action) -> m.Message:
        self.actions.append(action)
        assert isinstance(action, m.Adopt), action
        return ADOPTED

    async def app_fingerprint(self) -> str | None:
        return FINGERPRINT

    async def observe_token(self) -> None:
        return None


class Store:
    """The resource as the API server holds it; `conflicts` writes of an adoption are refused."""

    def __init__(self) -> None:
        self.obj: dict[str, Any] = {
            "metadata": {"name": "creds", "namespace": "team", "uid": "u1", "resourceVersion": "1"},
            "spec": {"orgId": "1234567", "credentialId": "7654321", "secretName": "adobe-creds"},
            "status": claimed(SPEC).to_dict(),
        }
        self.conflicts = 0

    async def get(self, kube: Any, namespace: str, name: str) -> dict[str, Any]:
        return self.obj

    async def patch(self, kube: Any, namespace: str, name: str, patch: dict[str, Any]) -> Any:
        if self.conflicts and patch["status"].get("currentSecretUuid"):
            self.conflicts -= 1
            raise Conflict("changed meanwhile", status=409)
        version = str(int(self.obj["metadata"]["resourceVersion"]) + 1)
        self.obj = {
            **self.obj,
            "metadata": {**self.obj["metadata"], "resourceVersion": version},
            "status": patch["status"],
        }
        return self.obj


async def _nothing(*_: Any, **__: Any) -> None:
    return None


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    store = Store()
    monkeypatch.setattr(reconcile, "get_credential", store.get)
    monkeypatch.setattr(reconcile, "patch_credential_status", store.patch)
    monkeypatch.setattr(reconcile, "emit_event", _nothing)
    monkeypatch.setattr(reconcile, "read_pending_secret", _nothing)
    monkeypatch.setattr(reconcile, "Executor", FakeExecutor)
    return store


def _deps() -> reconcile.Deps:
    adobe: Any = SimpleNamespace(limiter=None)
    return reconcile.Deps(adobe=adobe, kube=None, clock=lambda: T0)  # type: ignore[arg-type]


def _summaries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "adopted credential" in r.getMessage()]


async def test_logged_once_at_info_and_not_by_later_passes(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    deps = _deps()
    with caplog.at_level(logging.INFO, logger=reconcile.logger.name):
        await reconcile.reconcile(deps, "team", "creds")
        assert Status.from_dict(store.obj["status"]).current_secret_uuid == HELD
        for _ in range(3):  # resyncs, or a restarted operator reading the adopted resource
            await reconcile.reconcile(_deps(), "team", "creds")
    [summary] = _summaries(caplog)
    assert summary == adoption_summary("team", "creds", SPEC, ADOPTED)
    [record] = [r for r in caplog.records if r.getMessage() == summary]
    assert record.levelno == logging.INFO
    assert all(VALUE not in r.getMessage() for r in caplog.records)


async def test_not_logged_when_the_write_recording_the_adoption_loses_a_race(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=reconcile.logger.name):
        store.conflicts = 1  # another writer got there first: the pass starts over
        with pytest.raises(Conflict):
            await reconcile.reconcile(_deps(), "team", "creds")
        assert _summaries(caplog) == []
        await reconcile.reconcile(_deps(), "team", "creds")  # kopf retries the pass
        await reconcile.reconcile(_deps(), "team", "creds")
    assert len(_summaries(caplog)) == 1
