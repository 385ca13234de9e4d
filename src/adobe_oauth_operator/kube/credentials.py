"""Read AdobeOAuthCredential objects and write their status subresource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adobe_oauth_operator.kube.calls import MERGE_PATCH, call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import Invalid, NotFound
from adobe_oauth_operator.names import FIELD_MANAGER, GROUP, PLURAL, VERSION


async def get_credential(kc: KubeClients, namespace: str, name: str) -> dict[str, Any] | None:
    """The object as plain JSON; None when it does not exist."""
    try:
        obj: dict[str, Any] = await call_json(
            f"read AdobeOAuthCredential {namespace}/{name}",
            kc.custom.get_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            name,
        )
    except NotFound:
        return None
    return obj


async def patch_credential_status(
    kc: KubeClients, namespace: str, name: str, status_patch: dict[str, Any]
) -> dict[str, Any]:
    """Merge-patch the status subresource and return the updated object.

    `status_patch` is the whole merge-patch document, e.g. {"status": {"phase": "Ready"}}; a
    None value deletes that field, and lists (conditions, history) are replaced whole.
    """
    obj: dict[str, Any] = await call_json(
        f"patch AdobeOAuthCredential {namespace}/{name} status",
        kc.custom.patch_namespaced_custom_object_status,
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        name,
        status_patch,
        field_manager=FIELD_MANAGER,
        _content_type=MERGE_PATCH,
    )
    return obj


JSON_PATCH = "application/json-patch+json"


async def remove_spent_annotation(
    kc: KubeClients,
    namespace: str,
    name: str,
    key: str,
    expected: Mapping[str, str],
    resource_version: str,
) -> str | None:
    """Remove annotation `key` if the object is still at `resource_version` with `expected`
    annotations; return the new resourceVersion, or None when anything changed meanwhile.

    The JSON patch tests first, so a request made meanwhile (a new rotate value, a new
    emergency) is never removed, and the version returned follows only our own writes.
    """
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": resource_version}
    ]
    ops += [{"op": "test", "path": _annotation_path(k), "value": v} for k, v in expected.items()]
    ops.append({"op": "remove", "path": _annotation_path(key)})
    try:
        obj: dict[str, Any] = await call_json(
            f"remove annotation {key} from AdobeOAuthCredential {namespace}/{name}",
            kc.custom.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            name,
            ops,
            field_manager=FIELD_MANAGER,
            _content_type=JSON_PATCH,
        )
    except (Invalid, NotFound):
        return None
    return str(obj["metadata"]["resourceVersion"])


def _annotation_path(key: str) -> str:
    return "/metadata/annotations/" + key.replace("~", "~0").replace("/", "~1")
