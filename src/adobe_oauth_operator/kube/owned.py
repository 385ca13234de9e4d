"""Secrets the operator creates for a resource and owns (pending, known-good, access token):
their shape, ownership by the resource's uid, and a write that never takes someone else's."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from adobe_oauth_operator.kube.calls import call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import NotFound, NotOwned
from adobe_oauth_operator.kube.refs import OwnerRef, label_value
from adobe_oauth_operator.names import (
    CREDENTIAL_LABEL,
    FIELD_MANAGER,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
)


def owned_body(
    name: str,
    owner: OwnerRef,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    data: Mapping[str, str],
) -> dict[str, Any]:
    """A Secret of the operator's, owned by (and garbage-collected with) the resource."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "labels": {
                MANAGED_BY_LABEL: MANAGED_BY_VALUE,
                CREDENTIAL_LABEL: label_value(owner.name),
                **labels,
            },
            "annotations": dict(annotations),
            "ownerReferences": [owner.owner_reference()],
        },
        "data": {key: encode(text) for key, text in data.items()},
    }


def is_ours(obj: Mapping[str, Any], owner_uid: str) -> bool:
    """Ownership by identity: labels can be copied, the owner's uid cannot."""
    owners = obj["metadata"].get("ownerReferences") or []
    return any(ref.get("uid") == owner_uid for ref in owners)


async def read_secret(kc: KubeClients, namespace: str, name: str) -> dict[str, Any] | None:
    """The Secret as the API server returns it; None when it does not exist."""
    try:
        obj: dict[str, Any] = await call_json(
            f"read Secret {namespace}/{name}", kc.secrets.read, name, namespace
        )
    except NotFound:
        return None
    return obj


async def create_or_replace(
    kc: KubeClients,
    namespace: str,
    body: dict[str, Any],
    owner_uid: str,
    *,
    taken: str,
    unchanged: Callable[[Mapping[str, Any]], bool] = lambda _: False,
) -> None:
    """Create the Secret `body` describes, or replace it when it is ours and not `unchanged`.

    Raises NotOwned with the text `taken` when a Secret of that name is not ours. A replace
    carries the resourceVersion read, so a concurrent change fails it (Conflict) instead of
    being overwritten; labels and annotations others added (e.g. a reloader's) are kept.
    """
    metadata = body["metadata"]
    name = metadata["name"]
    existing = await read_secret(kc, namespace, name)
    if existing is None:
        await call_json(
            f"create Secret {namespace}/{name}",
            kc.secrets.create,
            namespace,
            body,
            field_manager=FIELD_MANAGER,
        )
        return
    if not is_ours(existing, owner_uid):
        raise NotOwned(taken, status=409, reason="AlreadyExists")
    if unchanged(existing):
        return
    found = existing["metadata"]
    metadata["resourceVersion"] = found["resourceVersion"]
    metadata["labels"] = {**(found.get("labels") or {}), **metadata.get("labels", {})}
    metadata["annotations"] = {
        **(found.get("annotations") or {}),
        **metadata.get("annotations", {}),
    }
    await call_json(
        f"replace Secret {namespace}/{name}",
        kc.secrets.replace,
        name,
        namespace,
        body,
        field_manager=FIELD_MANAGER,
    )


def encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def decode(encoded: str | None) -> str | None:
    if encoded is None:
        return None
    # "replace": a decode error would carry the undecodable bytes of a secret value in its text.
    return base64.b64decode(encoded).decode("utf-8", "replace")
