"""The access token Secret (spec.accessToken): created, owned and rewritten by the operator.

It holds a vended IMS access token and its expiry, nothing else; applications mount it as a
volume (the kubelet updates the file in place) or read it through the API.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from adobe_oauth_operator.kube.calls import call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import NotFound, NotOwned
from adobe_oauth_operator.kube.refs import OwnerRef, label_value
from adobe_oauth_operator.names import (
    ACCESS_TOKEN_LABEL,
    ACCESS_TOKEN_LABEL_VALUE,
    CREDENTIAL_LABEL,
    EXPIRES_AT_KEY,
    FIELD_MANAGER,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
)
from adobe_oauth_operator.sensitive import Sensitive


@dataclass(frozen=True)
class TokenSecret:
    """What the access token Secret holds now; `token` is None when its key is missing."""

    token: Sensitive | None
    expires_at: str | None
    owned: bool


async def read_token_secret(
    kc: KubeClients, namespace: str, name: str, key: str, owner_uid: str
) -> TokenSecret | None:
    """The token Secret; None when it does not exist."""
    obj = await _read(kc, namespace, name)
    if obj is None:
        return None
    data = obj.get("data") or {}
    token = _decode(data.get(key))
    return TokenSecret(
        token=Sensitive(token) if token else None,
        expires_at=_decode(data.get(EXPIRES_AT_KEY)),
        owned=_is_ours(obj, owner_uid),
    )


async def write_token_secret(
    kc: KubeClients,
    namespace: str,
    name: str,
    owner: OwnerRef,
    key: str,
    token: Sensitive,
    expires_at: str,
) -> None:
    """Create the Secret, or replace its data when it is ours; NotOwned when the name is taken.

    A replace carries the resourceVersion read, so a concurrent change makes it fail (Conflict,
    retried) instead of being overwritten blindly.
    """
    body = _body(name, owner, key, token, expires_at)
    existing = await _read(kc, namespace, name)
    if existing is None:
        await call_json(
            f"create Secret {namespace}/{name}",
            kc.secrets.create,
            namespace,
            body,
            field_manager=FIELD_MANAGER,
        )
        return
    if not _is_ours(existing, owner.uid):
        raise NotOwned(
            f"Secret {namespace}/{name} exists and was not created by the operator for this "
            "resource (no ownerReference to it); the operator writes vended access tokens only "
            "into a Secret it owns: rename spec.accessToken.secretName or delete that Secret",
            status=409,
            reason="AlreadyExists",
        )
    metadata = existing["metadata"]
    body["metadata"]["resourceVersion"] = metadata["resourceVersion"]
    # Labels and annotations others added (e.g. a reloader's) are kept.
    body["metadata"]["labels"] = {**(metadata.get("labels") or {}), **body["metadata"]["labels"]}
    body["metadata"]["annotations"] = dict(metadata.get("annotations") or {})
    await call_json(
        f"replace Secret {namespace}/{name}",
        kc.secrets.replace,
        name,
        namespace,
        body,
        field_manager=FIELD_MANAGER,
    )


def _body(
    name: str, owner: OwnerRef, key: str, token: Sensitive, expires_at: str
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "labels": {
                MANAGED_BY_LABEL: MANAGED_BY_VALUE,
                CREDENTIAL_LABEL: label_value(owner.name),
                ACCESS_TOKEN_LABEL: ACCESS_TOKEN_LABEL_VALUE,
            },
            "ownerReferences": [owner.owner_reference()],
        },
        "data": {key: _encode(token.reveal()), EXPIRES_AT_KEY: _encode(expires_at)},
    }


def _is_ours(obj: dict[str, Any], owner_uid: str) -> bool:
    owners = obj["metadata"].get("ownerReferences") or []
    return any(ref.get("uid") == owner_uid for ref in owners)


async def _read(kc: KubeClients, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        obj: dict[str, Any] = await call_json(
            f"read Secret {namespace}/{name}", kc.secrets.read, name, namespace
        )
    except NotFound:
        return None
    return obj


def _encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _decode(encoded: str | None) -> str | None:
    if encoded is None:
        return None
    return base64.b64decode(encoded).decode("utf-8", "replace")
