"""The application Secret the workloads read, the pending Secret of a rotation in flight, and the
known-good copy.

The pending Secret holds a just-created Adobe client secret until the rotation ends (like AWS's
AWSPENDING stage or cert-manager's next-private-key Secret), so the value survives restarts. The
known-good copy holds the last client secret the operator verified, so a Secret overwritten with a
refused value can still be rotated back to a working one (spec.rotation.onDrift: Rotate).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adobe_oauth_operator.kube.calls import MERGE_PATCH, call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import NotFound
from adobe_oauth_operator.kube.owned import (
    create_or_replace,
    decode,
    encode,
    is_ours,
    owned_body,
    read_secret,
)
from adobe_oauth_operator.kube.refs import OwnerRef, bounded_name
from adobe_oauth_operator.names import (
    FIELD_MANAGER,
    KNOWN_GOOD_CLIENT_ID_KEY,
    KNOWN_GOOD_LABEL,
    KNOWN_GOOD_SUFFIX,
    KNOWN_GOOD_VALUE_KEY,
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
    secret_uuid: str  # "" when Adobe's add answer named no uuid
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
    obj = await read_secret(kc, namespace, name)
    if obj is None:
        return None
    data = obj.get("data") or {}
    secret_value = decode(data.get(client_secret_key))
    metadata = obj["metadata"]
    return AppSecret(
        client_id=decode(data.get(client_id_key)),
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
            client_id_key: encode(client_id),
            client_secret_key: encode(client_secret.reveal()),
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

    def stored(existing: Mapping[str, Any]) -> bool:
        annotations = existing["metadata"].get("annotations") or {}
        return (
            annotations.get(ROTATION_ID_ANNOTATION) == rotation_id
            and annotations.get(SECRET_UUID_ANNOTATION) == secret_uuid
        )

    taken = (
        f"Secret {namespace}/{name} exists and is not this resource's pending Secret; "
        "rename or delete it"
    )
    await create_or_replace(kc, namespace, body, owner.uid, taken=taken, unchanged=stored)


async def read_pending_secret(
    kc: KubeClients, namespace: str, credential_name: str, owner_uid: str
) -> PendingSecret | None:
    """The pending Secret of a credential; None when absent, not ours, or without a value."""
    obj = await read_secret(kc, namespace, pending_secret_name(credential_name))
    if obj is None or not is_ours(obj, owner_uid):
        return None
    value = decode((obj.get("data") or {}).get(PENDING_VALUE_KEY))
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
    obj = await read_secret(kc, namespace, name)
    if obj is None or is_ours(obj, owner_uid):
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
    body = owned_body(
        name,
        owner,
        {KNOWN_GOOD_LABEL: "true"},
        {SECRET_UUID_ANNOTATION: copy.secret_uuid},
        {KNOWN_GOOD_CLIENT_ID_KEY: copy.client_id, KNOWN_GOOD_VALUE_KEY: copy.value.reveal()},
    )
    taken = (
        f"Secret {namespace}/{name} exists and is not this resource's known-good copy; "
        "rename or delete it"
    )
    await create_or_replace(kc, namespace, body, owner.uid, taken=taken)


async def read_known_good(
    kc: KubeClients, namespace: str, credential_name: str, owner_uid: str
) -> KnownGood | None:
    """The known-good copy; None when absent, not ours, or incomplete."""
    obj = await read_secret(kc, namespace, known_good_name(credential_name))
    if obj is None or not is_ours(obj, owner_uid):
        return None
    data = obj.get("data") or {}
    client_id = decode(data.get(KNOWN_GOOD_CLIENT_ID_KEY))
    value = decode(data.get(KNOWN_GOOD_VALUE_KEY))
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
    obj = await read_secret(kc, namespace, name)
    if obj is None or not is_ours(obj, owner_uid):
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
    return owned_body(
        name,
        owner,
        {PENDING_LABEL: PENDING_LABEL_VALUE},
        {ROTATION_ID_ANNOTATION: rotation_id, SECRET_UUID_ANNOTATION: secret_uuid},
        {PENDING_VALUE_KEY: value.reveal()},
    )
