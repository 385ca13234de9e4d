"""Namespaced REST calls of one resource kind over the official client's ApiClient.

The typed facades (CoreV1Api, AppsV1Api, BatchV1Api) import every model their methods name:
about 400 modules and 25 MiB of pydantic schemas in a process that reads raw JSON anyway.
These calls go through the same ApiClient (configuration, auth, connection pool, timeouts) and
fail the same way: ApiException for any non-2xx answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

JSON = "application/json"
JSON_PATCH = "application/json-patch+json"

# The query parameters the operator uses, by the typed client's keyword names.
_QUERY_NAMES = {
    "field_manager": "fieldManager",
    "dry_run": "dryRun",
    "label_selector": "labelSelector",
    "field_selector": "fieldSelector",
    "limit": "limit",
    "_continue": "continue",
}


@dataclass(frozen=True)
class NamespacedResource:
    """`list`, `read`, `create`, `replace`, `patch` and `delete` of one kind, e.g. Secrets.

    Arguments in the typed client's order, (name, namespace[, body]), so either can be passed
    where a call is expected; the answer is the raw urllib3 response.
    """

    api_client: ApiClient
    api_path: str  # "/api/v1" or "/apis/<group>/<version>"
    plural: str

    def list(self, namespace: str, **kw: Any) -> Any:
        return self._call("GET", self._path(namespace), None, kw)

    def read(self, name: str, namespace: str, **kw: Any) -> Any:
        return self._call("GET", self._path(namespace, name), None, kw)

    def create(self, namespace: str, body: Any, **kw: Any) -> Any:
        return self._call("POST", self._path(namespace), body, kw)

    def replace(self, name: str, namespace: str, body: Any, **kw: Any) -> Any:
        return self._call("PUT", self._path(namespace, name), body, kw)

    def patch(self, name: str, namespace: str, body: Any, **kw: Any) -> Any:
        kw.setdefault("_content_type", JSON_PATCH)  # the typed client's default
        return self._call("PATCH", self._path(namespace, name), body, kw)

    def delete(self, name: str, namespace: str, body: Any = None, **kw: Any) -> Any:
        return self._call("DELETE", self._path(namespace, name), body, kw)

    def _path(self, namespace: str, name: str | None = None) -> str:
        path = f"{self.api_path}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return path if name is None else f"{path}/{quote(name, safe='')}"

    def _call(self, method: str, path: str, body: Any, kw: dict[str, Any]) -> Any:
        timeout = kw.pop("_request_timeout", None)
        kw.pop("_preload_content", None)  # always raw: callers parse the JSON themselves
        headers = {"Accept": JSON}
        content_type = kw.pop("_content_type", None)
        if body is not None:
            headers["Content-Type"] = content_type or JSON
        query = [(_QUERY_NAMES[key], value) for key, value in kw.items() if value is not None]
        request = self.api_client.param_serialize(
            method=method,
            resource_path=path,
            query_params=query,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api_client.call_api(*request, _request_timeout=timeout)
        if not 200 <= response.status <= 299:
            response.read()  # type: ignore[no-untyped-call]
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response
