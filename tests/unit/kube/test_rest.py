"""Namespaced calls without the typed facades: the paths, queries and headers they send."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.kube.rest import NamespacedResource


class RecordingApiClient:
    """The two ApiClient methods the calls use; answers with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.serialized: dict[str, Any] = {}
        self.timeout: Any = None

    def param_serialize(self, **kw: Any) -> tuple[Any, ...]:
        self.serialized = kw
        return (kw["method"], kw["resource_path"], kw["header_params"], kw["body"], [])

    def call_api(self, *_: Any, _request_timeout: Any = None) -> Any:
        self.timeout = _request_timeout
        body = b'{"kind": "Status", "reason": "NotFound", "code": 404}'
        return SimpleNamespace(
            status=self.status,
            reason="x",
            data=body,
            response=SimpleNamespace(data=b"{}"),
            read=lambda: body,
            headers={},
            getheaders=lambda: {},
        )


def secrets(api: RecordingApiClient) -> NamespacedResource:
    return NamespacedResource(api, "/api/v1", "secrets")  # type: ignore[arg-type]


def test_a_patch_names_its_content_type_and_field_manager() -> None:
    api = RecordingApiClient()
    secrets(api).patch(
        "creds",
        "team-a",
        {"data": {}},
        field_manager="adobe-oauth-operator",
        dry_run="All",
        _content_type="application/merge-patch+json",
        _request_timeout=(5, 30),
        _preload_content=False,
    )
    sent = api.serialized
    assert (sent["method"], sent["resource_path"]) == (
        "PATCH",
        "/api/v1/namespaces/team-a/secrets/creds",
    )
    assert sent["query_params"] == [("fieldManager", "adobe-oauth-operator"), ("dryRun", "All")]
    assert sent["header_params"]["Content-Type"] == "application/merge-patch+json"
    assert sent["auth_settings"] == ["BearerToken"]
    assert api.timeout == (5, 30)


def test_a_list_pages_and_a_read_has_no_body() -> None:
    api = RecordingApiClient()
    jobs = NamespacedResource(api, "/apis/batch/v1", "jobs")  # type: ignore[arg-type]
    jobs.list("ns", limit=500, _continue=None)
    assert api.serialized["resource_path"] == "/apis/batch/v1/namespaces/ns/jobs"
    assert api.serialized["query_params"] == [("limit", 500)]
    secrets(api).read("a/b", "ns")
    assert api.serialized["resource_path"] == "/api/v1/namespaces/ns/secrets/a%2Fb"
    assert "Content-Type" not in api.serialized["header_params"]


def test_a_non_2xx_answer_raises_like_the_typed_client() -> None:
    with pytest.raises(ApiException) as caught:
        secrets(RecordingApiClient(status=404)).read("creds", "ns")
    assert caught.value.status == 404


def test_an_unknown_argument_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        secrets(RecordingApiClient()).list("ns", pretty="true")


def test_the_operator_does_not_import_the_typed_facades() -> None:
    """They would bring about 400 modules and 25 MiB of pydantic schemas it never uses."""
    code = (
        "import sys\n"
        "import adobe_oauth_operator.cli, adobe_oauth_operator.handlers.kopf_app\n"
        "from kubernetes import client\n"
        "from adobe_oauth_operator.kube.clients import KubeClients\n"
        "KubeClients.from_api_client(client.ApiClient())\n"
        "print(sum(m.startswith('kubernetes.client.models.') for m in sys.modules))\n"
        "print([m for m in sys.modules if m.startswith('kubernetes.client.api.')])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert int(out[0]) < 20, "CustomObjectsApi's few models only, not the typed facades' 400"
    assert out[1] == "['kubernetes.client.api.custom_objects_api']"
