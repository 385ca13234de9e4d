"""`kubectl aoc check` against a stand-in Adobe: what it says before calling, and which secret
it calls with."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import parse_qs

import httpx
import pytest

from adobe_oauth_operator.plugin.check import Preflight
from adobe_oauth_operator.plugin.kube import Cluster

CLIENT_ID = "0123456789abcdef0123456789abcdef"
OLD_VALUE, NEW_VALUE = "p8e-the-old-value-in-the-copies", "p8e-the-new-value-in-the-secret"
OLD, NEW = "a" * 32, "b" * 32
SPEC = {"orgId": "1234567", "credentialId": "7654321", "secretName": "adobe-creds"}
# As the operator writes it: the plugin reads status with the operator's decoder.
DRAINING = {
    "rotation": {
        "id": "20261102-1",
        "step": "Drain",
        "startedAt": "2026-11-02T10:00:00.000Z",
        "oldSecretUuid": OLD,
        "newSecretUuid": NEW,
    }
}


def _secret(value: str) -> Any:
    data = {"ADOBE_CLIENT_ID": CLIENT_ID, "ADOBE_CLIENT_SECRET": value}
    return SimpleNamespace(data={k: base64.b64encode(v.encode()).decode() for k, v in data.items()})


@dataclass
class FakeCluster:
    """A namespace in the middle of a drain: the Secret holds the new value, the operator's
    pending and known-good copies are there too (the known-good one still the old value)."""

    namespace: str = "team"
    secrets: dict[str, Any] = field(
        default_factory=lambda: {
            "adobe-creds": _secret(NEW_VALUE),
            "creds-pending": _secret(NEW_VALUE),
            "creds-known-good": _secret(OLD_VALUE),
        }
    )
    read: list[str] = field(default_factory=list)

    def secret(self, name: str) -> Any:
        self.read.append(name)
        return self.secrets.get(name)


@dataclass
class FakeAdobe:
    """IMS and the secrets list; logs each request into the same transcript as the output."""

    transcript: list[str]
    listed: tuple[str, ...] = (OLD, NEW)
    secrets_used: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.transcript.append(f"<{request.method} {request.url}>")
        if request.url.path == "/ims/token/v3":
            form = parse_qs(request.content.decode())
            self.secrets_used += form["client_secret"]
            body = {"access_token": "tok", "token_type": "bearer", "expires_in": 86399}
            return httpx.Response(200, json=body)
        assert request.headers["x-api-key"] == CLIENT_ID
        secrets = [
            {"uuid": u, "created_at": "1683005777000", "secret_usages": None} for u in self.listed
        ]
        return httpx.Response(200, json={"client_id": CLIENT_ID, "client_secrets": secrets})


def run(
    status: dict[str, Any] | None, listed: tuple[str, ...] = (OLD, NEW)
) -> tuple[list[str], FakeAdobe, FakeCluster, list[Any]]:
    transcript: list[str] = []
    adobe = FakeAdobe(transcript, listed)
    cluster = FakeCluster()
    preflight = Preflight(
        cast(Cluster, cluster),
        "https://ims.test",
        "https://api.test/",
        out=transcript.append,
        transport=httpx.MockTransport(adobe),
    )
    results = preflight.run("creds", dict(SPEC), status)
    return transcript, adobe, cluster, results


def test_it_says_what_it_will_call_before_calling_it() -> None:
    transcript, _, _, _ = run(DRAINING)
    first_call = next(i for i, line in enumerate(transcript) if line.startswith("<"))
    said = "\n".join(transcript[:first_call])
    assert "with the client secret Secret team/adobe-creds holds now" in said
    assert "POST https://ims.test/ims/token/v3" in said
    assert "Adobe counts it as a use of that client secret (its last-used time moves)" in said
    assert "GET  https://api.test/console/organizations/1234567/credentials/7654321/secrets" in said
    assert "nothing is created or deleted" in said
    assert transcript[first_call : first_call + 2] == [
        "<POST https://ims.test/ims/token/v3>",
        "<GET https://api.test/console/organizations/1234567/credentials/7654321/secrets>",
    ]
    assert "[ok]   secrets list: 2 client secret(s)" in transcript


def test_it_uses_only_the_secret_the_secret_holds_never_a_copy() -> None:
    transcript, adobe, cluster, _ = run(DRAINING)
    assert cluster.read == ["adobe-creds"], "neither the pending nor the known-good copy is read"
    assert adobe.secrets_used == [NEW_VALUE], "one token request, with the Secret's value"
    for line in transcript:
        assert OLD_VALUE not in line and NEW_VALUE not in line


def test_during_a_rotation_its_two_secrets_pass_the_count_and_nothing_is_to_be_deleted() -> None:
    _, _, _, results = run(DRAINING)
    count = results[-1]
    assert (count.name, count.ok) == ("secret count", True)
    assert "rotation 20261102-1 is in progress (step Drain)" in count.detail
    assert "delete nothing by hand" in count.detail


def test_outside_a_rotation_two_secrets_fail_the_count_with_what_to_delete() -> None:
    _, _, _, results = run({})
    count = results[-1]
    assert count.ok is False and OLD in count.detail and NEW in count.detail
    assert "delete the client secret the Secret does not hold" in count.fix


def test_during_a_rotation_a_secret_it_does_not_know_fails_the_count_without_delete_advice() -> (
    None
):
    stranger = "c" * 32
    _, _, _, results = run(DRAINING, listed=(OLD, stranger))
    count = results[-1]
    assert count.ok is False and stranger in count.detail
    assert "SecretLimitReached" in count.fix and "delete nothing the rotation" in count.fix


@pytest.mark.parametrize("status", [None, {}])
def test_one_secret_leaves_room_for_a_rotation(status: dict[str, Any] | None) -> None:
    _, _, _, results = run(status, listed=(NEW,))
    assert [(r.name, r.ok) for r in results] == [
        ("spec", True),
        ("Secret", True),
        ("token", True),
        ("secrets list", True),
        ("secret count", True),
    ]
    assert json.dumps([r.detail for r in results]).count(NEW_VALUE) == 0
