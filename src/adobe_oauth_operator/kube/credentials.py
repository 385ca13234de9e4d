"""Read AdobeOAuthCredential objects and write their status subresource."""

from __future__ import annotations

from typing import Any

from adobe_oauth_operator.kube.calls import MERGE_PATCH, call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import NotFound
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
