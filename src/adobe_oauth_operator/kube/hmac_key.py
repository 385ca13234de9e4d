"""The operator's HMAC key, kept in a Secret of its own namespace and created on first start."""

from __future__ import annotations

import base64
import contextlib
import secrets

from adobe_oauth_operator.kube.calls import call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import Conflict, NotFound
from adobe_oauth_operator.names import (
    FIELD_MANAGER,
    HMAC_SECRET_KEY,
    HMAC_SECRET_NAME,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
)
from adobe_oauth_operator.sensitive import Sensitive


async def ensure_hmac_key(kc: KubeClients, namespace: str) -> Sensitive:
    """Read the key; create it when missing. Two operators starting at once agree on one key."""
    key = await _read(kc, namespace)
    if key is not None:
        return key
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": HMAC_SECRET_NAME, "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE}},
        "data": {HMAC_SECRET_KEY: base64.b64encode(secrets.token_bytes(32)).decode()},
    }
    with contextlib.suppress(Conflict):  # another replica created it first: use theirs
        await call_json(
            f"create Secret {namespace}/{HMAC_SECRET_NAME}",
            kc.secrets.create,
            namespace,
            body,
            field_manager=FIELD_MANAGER,
        )
    key = await _read(kc, namespace)
    if key is None:
        raise NotFound(f"Secret {namespace}/{HMAC_SECRET_NAME} vanished right after its creation")
    return key


async def _read(kc: KubeClients, namespace: str) -> Sensitive | None:
    try:
        obj = await call_json(
            f"read Secret {namespace}/{HMAC_SECRET_NAME}",
            kc.secrets.read,
            HMAC_SECRET_NAME,
            namespace,
        )
    except NotFound:
        return None
    encoded = (obj.get("data") or {}).get(HMAC_SECRET_KEY)
    return Sensitive(encoded) if encoded else None
