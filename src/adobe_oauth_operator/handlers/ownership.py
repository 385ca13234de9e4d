"""Who holds which Secret and Adobe credential: kopf's index over every AdobeOAuthCredential the
operator watches, and the check CheckClaims runs (see rotation/claims.py for the protocol).

The index holds each resource's claim as its status records it. kopf fills it from the watch
before any daemon runs, and keeps it in the order the API server wrote the resources: once a
resource sees its own new claim in the index, every claim written before it is there too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adobe_oauth_operator.kube.claims import Claimant, SecretGone, claim_app_secret
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credential_secrets import known_good_name, pending_secret_name
from adobe_oauth_operator.kube.credentials import get_credential
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import Claim, Spec, claim_from_dict
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import VISIBLE_POLL, VISIBLE_WAIT

IndexKey = tuple[str, ...]


@dataclass(frozen=True)
class ClaimEntry:
    """One resource as the index keeps it: where it is, what it names, what it claims."""

    namespace: str
    name: str
    uid: str
    secret_name: str
    claim: Claim | None


def index_entries(
    namespace: str | None, name: str, uid: str, spec: Mapping[str, Any], status: Mapping[str, Any]
) -> dict[IndexKey, ClaimEntry]:
    """The index keys of one resource: its namespace, and the credential it claims."""
    claim = claim_from_dict(status.get("claim"))
    entry = ClaimEntry(namespace or "", name, uid, str(spec.get("secretName") or ""), claim)
    keys: dict[IndexKey, ClaimEntry] = {("namespace", entry.namespace): entry}
    if claim is not None:
        keys[("credential", claim.org_id, claim.credential_id)] = entry
    return keys


class ClaimsView:
    """The index as the executor reads it; bound by the first daemon kopf starts."""

    def __init__(self) -> None:
        self._index: Mapping[IndexKey, Collection[ClaimEntry]] | None = None

    def bind(self, index: Mapping[IndexKey, Collection[ClaimEntry]]) -> None:
        self._index = index

    @property
    def bound(self) -> bool:
        return self._index is not None

    def _entries(self, key: IndexKey) -> Iterator[ClaimEntry]:
        if self._index is None:
            return iter(())
        return iter(self._index.get(key, ()))

    def in_namespace(self, namespace: str) -> Iterator[ClaimEntry]:
        return self._entries(("namespace", namespace))

    def on_credential(self, org_id: str, credential_id: str) -> Iterator[ClaimEntry]:
        return self._entries(("credential", org_id, credential_id))


@dataclass(frozen=True)
class Me:
    namespace: str
    name: str
    uid: str
    spec: Spec

    @property
    def claimant(self) -> Claimant:
        return Claimant(self.namespace, self.name, self.uid)


async def check_claims(
    kube: KubeClients, view: ClaimsView, me: Me, since: datetime
) -> m.ClaimsChecked | m.ActionFailed:
    """Claim the Secret, then check names and credential; what was found."""
    if not view.bound:
        return m.ActionFailed(m.ErrorKind.TRANSIENT, "the index of all resources is not ready")
    reserved = _reserved_name(view, me)
    if reserved is not None:
        return m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.SECRET_NAME_RESERVED, reserved)
    if not await _visible(view, me, since):
        return m.ClaimsChecked(m.ClaimOutcome.NOT_VISIBLE)
    spec = me.spec
    holder = _secret_holder(view, me)
    if holder is not None:  # its annotation was lost (the Secret recreated): status still says
        return m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.SECRET_CLAIMED, _taken(me, holder))
    try:
        owner = await claim_app_secret(
            kube, me.namespace, spec.secret_name, me.claimant, _holder_check(kube, spec)
        )
    except SecretGone:
        return m.ActionFailed(
            m.ErrorKind.SECRET_MISSING,
            f"Secret {me.namespace}/{spec.secret_name} does not exist; create it with the current "
            f"client secret under the key {spec.client_secret_key}",
        )
    if owner is not None:
        return m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.SECRET_CLAIMED, _taken(me, owner))
    return _credential(view, me, since)


def _holder_check(kube: KubeClients, spec: Spec) -> Callable[[Claimant], Awaitable[bool]]:
    async def still_holds(owner: Claimant) -> bool:
        """The claimant exists (same uid) and its status still claims this Secret."""
        obj = await get_credential(kube, owner.namespace, owner.name)
        if obj is None or obj["metadata"].get("uid") != owner.uid:
            return False
        claim = claim_from_dict((obj.get("status") or {}).get("claim"))
        return claim is not None and claim.secret_name == spec.secret_name

    return still_holds


def _shows_own_claim(view: ClaimsView, me: Me, since: datetime) -> bool:
    mine = next((e for e in view.in_namespace(me.namespace) if e.uid == me.uid), None)
    return mine is not None and mine.claim is not None and mine.claim.since == since


async def _visible(view: ClaimsView, me: Me, since: datetime) -> bool:
    """Wait, in memory and bounded, until the watch has brought back our own claim."""
    deadline = asyncio.get_running_loop().time() + VISIBLE_WAIT.total_seconds()
    while not _shows_own_claim(view, me, since):
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(VISIBLE_POLL.total_seconds())
    return True


def _credential(view: ClaimsView, me: Me, since: datetime) -> m.ClaimsChecked:
    if not _shows_own_claim(view, me, since):
        return m.ClaimsChecked(m.ClaimOutcome.NOT_VISIBLE)
    spec = me.spec
    others = [e for e in view.on_credential(spec.org_id, spec.credential_id) if e.uid != me.uid]
    holder = next((e for e in others if e.claim is not None and e.claim.confirmed), None)
    if holder is not None:
        text = (
            f"orgId {spec.org_id}, credentialId {spec.credential_id} is held by "
            f"AdobeOAuthCredential {holder.namespace}/{holder.name} (uid {holder.uid}): one Adobe "
            "credential is rotated by one resource, or each rotation deletes the client secret the "
            "other's applications use. Delete one of the two; this one takes over within "
            "spec.rotation.checkInterval once the other is gone"
        )
        return m.ClaimsChecked(m.ClaimOutcome.REFUSED, Reason.CREDENTIAL_CLAIMED, text)
    if others:
        return m.ClaimsChecked(m.ClaimOutcome.CONTENDED)
    return m.ClaimsChecked(m.ClaimOutcome.HELD)


def _secret_holder(view: ClaimsView, me: Me) -> Claimant | None:
    """Another resource whose confirmed claim, in its status, names this Secret."""
    for other in view.in_namespace(me.namespace):
        claim = other.claim
        if (
            other.uid != me.uid
            and claim is not None
            and claim.confirmed
            and claim.secret_name == me.spec.secret_name
        ):
            return Claimant(other.namespace, other.name, other.uid)
    return None


def _taken(me: Me, owner: Claimant) -> str:
    return (
        f"Secret {me.namespace}/{me.spec.secret_name} is held by AdobeOAuthCredential "
        f"{owner.namespace}/{owner.name} (uid {owner.uid}, annotation adobe-oauth-operator.dev/"
        "owner): two resources rotating one Secret delete each other's client secrets. Name "
        "another Secret, or delete that resource; this one adopts the Secret within "
        "spec.rotation.checkInterval once the other is gone"
    )


def _reserved_name(view: ClaimsView, me: Me) -> str | None:
    """A Secret name this resource uses that another resource's operator-made Secret has (or,
    for the token Secret, that another resource's application Secret has)."""
    spec = me.spec
    token = spec.access_token.secret_name if spec.access_token is not None else None
    for other in view.in_namespace(me.namespace):
        if other.uid == me.uid:
            continue
        made = {
            pending_secret_name(other.name): "pending Secret (a new client secret mid-rotation)",
            known_good_name(other.name): "known-good copy of its client secret",
        }
        if other.claim is not None and other.claim.confirmed and other.claim.token_secret_name:
            made[other.claim.token_secret_name] = "access token Secret"
        found = [("spec.secretName", spec.secret_name, made.get(spec.secret_name))]
        if token is not None:
            read = "application Secret" if token == other.secret_name else None
            found.append(("spec.accessToken.secretName", token, made.get(token) or read))
        for field, name, what in found:
            if what is not None:
                return (
                    f"{field} {name} is the name of the {what} of AdobeOAuthCredential "
                    f"{me.namespace}/{other.name}, which the operator creates, rewrites or "
                    f"deletes; choose another name for {field}"
                )
    return None
