"""Values exchanged with the Adobe client; the secret-bearing ones never show their value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from adobe_oauth_operator.sensitive import Sensitive


@dataclass(frozen=True, slots=True, repr=False)
class ClientSecretValue(Sensitive):
    """A plain client secret value; `reveal()` is the only way to read it."""

    def __repr__(self) -> str:
        return "ClientSecretValue(<redacted>)"


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An IMS access token and when it expires; `reveal()` is the only way to read it."""

    _value: str = field(repr=False)
    expires_at: datetime

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "<redacted>"

    def __format__(self, spec: str) -> str:
        return "<redacted>"

    def __repr__(self) -> str:
        return f"AccessToken(<redacted>, expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True, slots=True)
class CredentialRef:
    """Which OAuth Server-to-Server credential: the console's numeric ids and its client id."""

    org_id: str
    credential_id: str
    client_id: str


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """One client secret as listed: never its value. Datetimes are timezone-aware UTC;
    `created_at` is None when Adobe's answer held no readable time."""

    uuid: str
    created_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class AddedSecret:
    """The result of add: the only moment the plain value is ever available.

    Adobe's OpenAPI description answers add without `uuid` and `created_at` (the guide includes
    them): either may be None, and is then learned from the next list.
    """

    value: ClientSecretValue
    uuid: str | None
    created_at: datetime | None
