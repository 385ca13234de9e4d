"""The application Secret the workloads read, the pending Secret of a rotation in flight, and the
known-good copy.

The pending Secret holds a just-created Adobe client secret until the rotation ends (like AWS's
AWSPENDING stage or cert-manager's next-private-key Secret), so the value survives restarts. The
known-good copy holds the last client secret the operator verified, so a Secret overwritten with a
refused value can still be rotated back to a working one (spec.rotation.onDrift: Rotate).
"""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass
from typing import Any

from adobe_oauth_operator.kube.calls import MERGE_PATCH, call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import NotFound, NotOwned
from adobe_oauth_operator.kube.refs import OwnerRef, bounded_name, label_value
from adobe_oauth_operator.names import (
    CREDENTIAL_LABEL,
    FIELD_MANAGER,
    KNOWN_GOOD_CLIENT_ID_KEY,
    KNOWN_GOOD_LABEL,
    KNOWN_GOOD_SUFFIX,
    KNOWN_GOOD_VALUE_KEY,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    PENDING_LABEL,
    PENDING_LABEL_VALUE,
    PENDING_SUFFIX,
    PENDING_VALUE_KEY,
    PREFLIGHT_ANNOTATION,
    ROTATION_ID_ANNOTATION,
    SECRET_UUID_ANNOTATION,
)
from adobe_oauth_operator.sensitive import Sensitive

__all__ = [
    "AppSecret",
    "KnownGood",
    "OwnerRef",
    "PendingSecret",
    "check_app_secret_writable",
    "delete_known_good",
    "delete_pending_secret",
    "known_good_name",
    "pending_secret_conflict",
    "pending_secret_name",
    "read_app_secret",
    "read_known_good",
    "read_pending_secret",
    "write_app_secret",
    "write_known_good",
    "write_pending_secret",
]


@dataclass(frozen=True)
class AppSecret:
    """What the application Secret holds; a missing key is None."""

    client_id: str | None
    client_secret: Sensitive | None
    annotations: dict[str, str]
    resource_version: str
    immutable: bool = False


@dataclass(frozen=True)
class PendingSecret:
    """The new client secret of the rotation `rotation_id`, not yet (or just) in the app Secret."""

    rotation_id: str
    secret_uuid: str
    value: Sensitive


@dataclass(frozen=True)
class KnownGood:
    """The client id and secret the operator last verified, and Adobe's uuid of that secret."""

    client_id: str
    value: Sensitive
    secret_uuid: str


# -- the application Secret ---------------------------------------------------------------------
async def read_app_secret(
    kc: KubeClients,
    namespace: str,
    name: str,
    client_id_key: str,
    client_secret_key: str,
) -> AppSecret | None:
    """Read the app Secret; None when it does not exist."""
    obj = await _read_secret(kc, namespace, name)
    if obj is None:
        return None
    data = obj.get("data") or {}
    secret_value = _decode(data.get(client_secret_key))
    metadata = obj["metadata"]
    return AppSecret(
        client_id=_decode(data.get(client_id_key)),
        client_secret=Sensitive(secret_value) if secret_value is not None else None,
        annotations=dict(metadata.get("annotations") or {}),
        resource_version=metadata["resourceVersion"],
        immutable=bool(obj.get("immutable")),
    )


async def check_app_secret_writable(kc: KubeClients, namespace: str, name: str) -> None:
    """A server-side dry-run patch: raises Forbidden (RBAC) or Invalid/NotFound, changes nothing."""
    patch = {"metadata": {"annotations": {PREFLIGHT_ANNOTATION: "dry-run"}}}
    await call_json(
        f"patch Secret {namespace}/{name} (dry run)",
        kc.secrets.patch,
        name,
        namespace,
        patch,
        field_manager=FIELD_MANAGER,
        dry_run="All",
        _content_type=MERGE_PATCH,
    )


async def write_app_secret(
    kc: KubeClients,
    namespace: str,
    name: str,
    client_id_key: str,
    client_secret_key: str,
    client_id: str,
    client_secret: Sensitive,
    annotations: dict[str, str],
) -> None:
    """Set the two keys and `annotations`, keeping every other key, label and annotation.

    The Secret must exist (NotFound otherwise): it is the user's, the operator never creates it.
    """
    patch = {
        "metadata": {"annotations": annotations},
        "data": {
            client_id_key: _encode(client_id),
            client_secret_key: _encode(client_secret.reveal()),
        },
    }
    # A merge patch touches only the keys it names, and re-sending equal values changes nothing.
    await call_json(
        f"patch Secret {namespace}/{name}",
        kc.secrets.patch,
        name,
        namespace,
        patch,
        field_manager=FIELD_MANAGER,
        _content_type=MERGE_PATCH,
    )


# -- the pending Secret -------------------------------------------------------------------------
def pending_secret_name(credential_name: str) -> str:
    """`<credential>-pending`, shortened with a hash when it would exceed 253 characters."""
    return bounded_name(credential_name, PENDING_SUFFIX)


async def write_pending_secret(
    kc: KubeClients,
    namespace: str,
    owner: OwnerRef,
    rotation_id: str,
    secret_uuid: str,
    value: Sensitive,
) -> None:
    """Store `value` for `rotation_id`; a no-op when already stored, replacing another rotation's.

    Raises NotOwned when a Secret of that name exists that is not this resource's.
    """
    name = pending_secret_name(owner.name)
    body = _pending_body(name, owner, rotation_id, secret_uuid, value)
    existing = await _read_secret(kc, namespace, name)
    if existing is None:
        await call_json(
            f"create Secret {namespace}/{name}",
            kc.secrets.create,
            namespace,
            body,
            field_manager=FIELD_MANAGER,
        )
        return
    _require_ours(existing, owner.uid, namespace, name)
    annotations = existing["metadata"].get("annotations") or {}
    if (
        annotations.get(ROTATION_ID_ANNOTATION) == rotation_id
        and annotations.get(SECRET_UUID_ANNOTATION) == secret_uuid
    ):
        return
    # resourceVersion makes the replace fail with Conflict if the Secret changed since the read.
    body["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
    await call_json(
        f"replace Secret {namespace}/{name}",
        kc.secrets.replace,
        name,
        namespace,
        body,
        field_manager=FIELD_MANAGER,
    )


async def read_pending_secret(
    kc: KubeClients, namespace: str, credential_name: str, owner_uid: str
) -> PendingSecret | None:
    """The pending Secret of a credential; None when absent, not ours, or without a value."""
    obj = await _read_secret(kc, namespace, pending_secret_name(credential_name))
    if obj is None or not _is_ours(obj, owner_uid):
        return None
    value = _decode((obj.get("data") or {}).get(PENDING_VALUE_KEY))
    if value is None:
        return None
    annotations = obj["metadata"].get("annotations") or {}
    return PendingSecret(
        rotation_id=annotations.get(ROTATION_ID_ANNOTATION, ""),
        secret_uuid=annotations.get(SECRET_UUID_ANNOTATION, ""),
        value=Sensitive(value),
    )


async def pending_secret_conflict(
    kc: KubeClients, namespace: str, credential_name: str, owner_uid: str
) -> str | None:
    """Why the pending Secret's place is taken by a Secret that is not ours; None when free/ours."""
    name = pending_secret_name(credential_name)
    obj = await _read_secret(kc, namespace, name)
    if obj is None or _is_ours(obj, owner_uid):
        return None
    return (
        f"Secret {namespace}/{name} exists and is not this resource's pending Secret (no "
        "ownerReference to it); the operator needs that name to keep a new client secret safe "
        "during a rotation: rename or delete that Secret"
    )


async def delete_pending_secret(
    kc: KubeClients, namespace: str, credential_name: str, owner_uid: str
) -> None:
    """Delete the pending Secret; absent (or not ours) is fine."""
    await _delete_if_ours(kc, namespace, pending_secret_name(credential_name), owner_uid)


# -- the known-good copy ------------------------------------------------------------------------
def known_good_name(credential_name: str) -> str:
    """`<credential>-known-good`, shortened with a hash when it would exceed 253 characters."""
    return bounded_name(credential_name, KNOWN_GOOD_SUFFIX)


async def write_known_good(
    kc: KubeClients, namespace: str, owner: OwnerRef, copy: KnownGood
) -> None:
    """Create or replace the copy; raises NotOwned when a Secret of that name is not ours."""
    name = known_good_name(owner.name)
    body = _owned_body(
        name,
        owner,
        {KNOWN_GOOD_LABEL: "true"},
        {SECRET_UUID_ANNOTATION: copy.secret_uuid},
        {KNOWN_GOOD_CLIENT_ID_KEY: copy.client_id, KNOWN_GOOD_VALUE_KEY: copy.value.reveal()},
    )
    existing = await _read_secret(kc, namespace, name)
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
            f"Secret {namespace}/{name} exists and is not this resource's known-good copy; "
            "rename or delete it",
            status=409,
            reason="AlreadyExists",
        )
    body["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
    await call_json(
        f"replace Secret {namespace}/{name}",
        kc.secrets.replace,
        name,
        namespace,
        body,
        field_manager=FIELD_MANAGER,
    )


async def read_known_good(
    kc: KubeClients, namespace: str, credential_name: str, owner_uid: str
) -> KnownGood | None:
    """The known-good copy; None when absent, not ours, or incomplete."""
    obj = await _read_secret(kc, namespace, known_good_name(credential_name))
    if obj is None or not _is_ours(obj, owner_uid):
        return None
    data = obj.get("data") or {}
    client_id = _decode(data.get(KNOWN_GOOD_CLIENT_ID_KEY))
    value = _decode(data.get(KNOWN_GOOD_VALUE_KEY))
    if not client_id or not value:
        return None
    annotations = obj["metadata"].get("annotations") or {}
    return KnownGood(client_id, Sensitive(value), annotations.get(SECRET_UUID_ANNOTATION, ""))


async def delete_known_good(
    kc: KubeClients, namespace: str, credential_name: str, owner_uid: str
) -> None:
    """Delete the copy; absent (or not ours) is fine."""
    await _delete_if_ours(kc, namespace, known_good_name(credential_name), owner_uid)


async def _delete_if_ours(kc: KubeClients, namespace: str, name: str, owner_uid: str) -> None:
    obj = await _read_secret(kc, namespace, name)
    if obj is None or not _is_ours(obj, owner_uid):
        return
    # The uid precondition keeps us from deleting a Secret recreated since the read.
    options = {"preconditions": {"uid": obj["metadata"]["uid"]}}
    with contextlib.suppress(NotFound):
        await call_json(
            f"delete Secret {namespace}/{name}",
            kc.secrets.delete,
            name,
            namespace,
            body=options,
        )


def _pending_body(
    name: str, owner: OwnerRef, rotation_id: str, secret_uuid: str, value: Sensitive
) -> dict[str, Any]:
    return _owned_body(
        name,
        owner,
        {PENDING_LABEL: PENDING_LABEL_VALUE},
        {ROTATION_ID_ANNOTATION: rotation_id, SECRET_UUID_ANNOTATION: secret_uuid},
        {PENDING_VALUE_KEY: value.reveal()},
    )


def _owned_body(
    name: str,
    owner: OwnerRef,
    labels: dict[str, str],
    annotations: dict[str, str],
    data: dict[str, str],
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
            "annotations": annotations,
            "ownerReferences": [owner.owner_reference()],
        },
        "data": {key: _encode(text) for key, text in data.items()},
    }


def _is_ours(obj: dict[str, Any], owner_uid: str) -> bool:
    """Ownership by identity: labels can be copied, the owner's uid cannot."""
    owners = obj["metadata"].get("ownerReferences") or []
    return any(ref.get("uid") == owner_uid for ref in owners)


def _require_ours(obj: dict[str, Any], owner_uid: str, namespace: str, name: str) -> None:
    if not _is_ours(obj, owner_uid):
        raise NotOwned(
            f"Secret {namespace}/{name} exists and is not this resource's pending Secret; "
            "rename or delete it",
            status=409,
            reason="AlreadyExists",
        )


async def _read_secret(kc: KubeClients, namespace: str, name: str) -> dict[str, Any] | None:
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
    # "replace": a decode error would carry the undecodable bytes of a secret value in its text.
    return base64.b64decode(encoded).decode("utf-8", "replace")
