"""The owner annotation on an application Secret: one AdobeOAuthCredential holds it at a time.

Written with a merge patch that carries the resourceVersion read, so of two resources (or two
operator processes) claiming at once only one write succeeds; the other reads the Secret again
and finds it taken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adobe_oauth_operator.kube.calls import MERGE_PATCH, call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import Conflict, NotFound
from adobe_oauth_operator.kube.owned import read_secret
from adobe_oauth_operator.names import FIELD_MANAGER, OWNER_ANNOTATION

# Each lost race means someone else just wrote the Secret: a few rounds settle it.
CLAIM_ROUNDS = 3


@dataclass(frozen=True)
class Claimant:
    """An AdobeOAuthCredential as the owner annotation names it."""

    namespace: str
    name: str
    uid: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}/{self.uid}"

    @classmethod
    def parse(cls, text: str | None) -> Claimant | None:
        parts = (text or "").split("/")
        return cls(*parts) if len(parts) == 3 and all(parts) else None


class SecretGone(Exception):
    """The Secret to claim does not exist (yet)."""


async def claim_app_secret(
    kc: KubeClients,
    namespace: str,
    secret_name: str,
    me: Claimant,
    still_holds: Callable[[Claimant], Awaitable[bool]],
) -> Claimant | None:
    """Make `me` the Secret's owner unless another claimant still holds it; that one, or None.

    A claim whose claimant is gone (or holds the Secret no more, per `still_holds`) is taken
    over, as a released one is. Raises SecretGone when the Secret does not exist.
    """
    for _ in range(CLAIM_ROUNDS):
        obj = await read_secret(kc, namespace, secret_name)
        if obj is None:
            raise SecretGone(secret_name)
        metadata = obj["metadata"]
        owner = Claimant.parse((metadata.get("annotations") or {}).get(OWNER_ANNOTATION))
        if owner == me:
            return None
        if owner is not None and await still_holds(owner):
            return owner
        patch = {
            "metadata": {
                "resourceVersion": metadata["resourceVersion"],
                "annotations": {OWNER_ANNOTATION: str(me)},
            }
        }
        try:
            await call_json(
                f"claim Secret {namespace}/{secret_name}",
                kc.secrets.patch,
                secret_name,
                namespace,
                patch,
                field_manager=FIELD_MANAGER,
                _content_type=MERGE_PATCH,
            )
        except Conflict:
            continue  # written meanwhile: look again
        except NotFound as exc:
            raise SecretGone(secret_name) from exc
        return None
    raise Conflict(f"claim Secret {namespace}/{secret_name}: changed during {CLAIM_ROUNDS} tries")


async def release_app_secret(
    kc: KubeClients, namespace: str, secret_name: str, me: Claimant
) -> None:
    """Remove the owner annotation if it still names `me`; anything else is left alone."""
    obj = await read_secret(kc, namespace, secret_name)
    if obj is None:
        return
    metadata = obj["metadata"]
    if Claimant.parse((metadata.get("annotations") or {}).get(OWNER_ANNOTATION)) != me:
        return
    patch = {
        "metadata": {
            "resourceVersion": metadata["resourceVersion"],
            "annotations": {OWNER_ANNOTATION: None},
        }
    }
    try:
        await call_json(
            f"release Secret {namespace}/{secret_name}",
            kc.secrets.patch,
            secret_name,
            namespace,
            patch,
            field_manager=FIELD_MANAGER,
            _content_type=MERGE_PATCH,
        )
    except (Conflict, NotFound):
        return  # changed or gone meanwhile: whoever claims next checks whether we still hold it
