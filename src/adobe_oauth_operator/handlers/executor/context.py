"""What every executor module works with: the resource, the clients, and fingerprints."""

from __future__ import annotations

from dataclasses import dataclass, replace

from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.adobe.models import CredentialRef
from adobe_oauth_operator.adobe.scopes import IO_MANAGEMENT_SCOPES
from adobe_oauth_operator.handlers.ownership import ClaimsView
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credential_secrets import (
    AppSecret,
    KnownGood,
    OwnerRef,
    read_app_secret,
)
from adobe_oauth_operator.names import API_VERSION, KIND
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import Spec
from adobe_oauth_operator.sensitive import Sensitive, same_hmac, secret_fingerprint


class ActionError(Exception):
    """An action cannot proceed; carries the message the state machine gets."""

    def __init__(self, failure: m.ActionFailed) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True)
class Resource:
    """The AdobeOAuthCredential an action works for."""

    namespace: str
    name: str
    uid: str
    spec: Spec
    client_id: str | None  # learned at adoption, or from the spec

    @property
    def owner(self) -> OwnerRef:
        return OwnerRef(
            api_version=API_VERSION,
            kind=KIND,
            name=self.name,
            uid=self.uid,
            namespace=self.namespace,
        )


class Context:
    """The clients and the resource one action runs for."""

    def __init__(
        self,
        adobe: AdobeClient,
        kube: KubeClients,
        resource: Resource,
        hmac_key: Sensitive | None = None,
        claims: ClaimsView | None = None,
    ) -> None:
        self.adobe = adobe
        self.kube = kube
        self.res = resource
        self.hmac_key = hmac_key
        self.claims = claims if claims is not None else ClaimsView()
        # A resource stored before CRD defaulting may lack scopes: use the documented set.
        self.spec = replace(resource.spec, scopes=resource.spec.scopes or IO_MANAGEMENT_SCOPES)

    async def read_app(self) -> AppSecret | None:
        """The application Secret as it is now; None when it does not exist."""
        spec = self.spec
        return await read_app_secret(
            self.kube,
            self.res.namespace,
            spec.secret_name,
            spec.client_id_key,
            spec.client_secret_key,
        )

    def ref(self, client_id: str) -> CredentialRef:
        return CredentialRef(
            org_id=self.spec.org_id, credential_id=self.spec.credential_id, client_id=client_id
        )

    def fingerprint(self, client_id: str, value: Sensitive) -> str | None:
        """The HMAC status keeps of what the Secret holds; None without a key."""
        if self.hmac_key is None:
            return None
        return secret_fingerprint(self.hmac_key, client_id, value)

    def token_fingerprint(self, token: Sensitive) -> str | None:
        """The HMAC status keeps of the vended token; None without a key."""
        if self.hmac_key is None:
            return None
        return secret_fingerprint(self.hmac_key, "access-token", token)

    def known_good_intact(self, copy: KnownGood, expected: str | None) -> bool:
        """The copy holds the value whose HMAC status recorded; never without key and HMAC."""
        if expected is None or self.hmac_key is None:
            return False
        return same_hmac(self.fingerprint(copy.client_id, copy.value), expected)

    async def app_fingerprint(self) -> str | None:
        """The HMAC of what the Secret holds now; None when it or its keys are missing."""
        app = await self.read_app()
        if app is None or not app.client_secret:
            return None
        client_id = self.spec.client_id or app.client_id or self.res.client_id or ""
        return self.fingerprint(client_id, app.client_secret)
