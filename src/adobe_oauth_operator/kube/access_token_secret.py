"""The access token Secret (spec.accessToken): created, owned and rewritten by the operator.

It holds a vended IMS access token and its expiry, nothing else; applications mount it as a
volume (the kubelet updates the file in place) or read it through the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.owned import (
    create_or_replace,
    decode,
    is_ours,
    owned_body,
    read_secret,
)
from adobe_oauth_operator.kube.refs import OwnerRef
from adobe_oauth_operator.names import (
    ACCESS_TOKEN_LABEL,
    ACCESS_TOKEN_LABEL_VALUE,
    EXPIRES_AT_KEY,
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
    obj = await read_secret(kc, namespace, name)
    if obj is None:
        return None
    data = obj.get("data") or {}
    token = decode(data.get(key))
    return TokenSecret(
        token=Sensitive(token) if token else None,
        expires_at=decode(data.get(EXPIRES_AT_KEY)),
        owned=is_ours(obj, owner_uid),
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
    """Create the Secret, or replace its data when it is ours; NotOwned when the name is taken."""
    body = owned_body(
        name,
        owner,
        {ACCESS_TOKEN_LABEL: ACCESS_TOKEN_LABEL_VALUE},
        {},
        {key: token.reveal(), EXPIRES_AT_KEY: expires_at},
    )
    taken = (
        f"Secret {namespace}/{name} exists and was not created by the operator for this "
        "resource (no ownerReference to it); the operator writes vended access tokens only "
        "into a Secret it owns: rename spec.accessToken.secretName or delete that Secret"
    )
    await create_or_replace(kc, namespace, body, owner.uid, taken=taken)
