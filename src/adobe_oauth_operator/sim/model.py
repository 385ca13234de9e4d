"""What the simulator stores: credentials, their secrets (as hashes) and issued tokens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

MAX_SECRETS = 2
DEFAULT_TOKEN_TTL_S = 86399
# The scopes Adobe documents for the I/O Management API (kept apart from the client on purpose).
IO_MANAGEMENT_SCOPES: tuple[str, ...] = (
    "AdobeID",
    "openid",
    "read_organizations",
    "additional_info.projectedProductContext",
    "additional_info.roles",
    "adobeio_api",
    "read_client_secret",
    "manage_client_secrets",
)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class SimSecret:
    """A client secret; the plain value is never stored, only its sha256."""

    uuid: str
    value_sha256: str
    created_at: int  # ms since the epoch
    last_used_at: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "value_sha256": self.value_sha256,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimSecret:
        return cls(
            uuid=str(data["uuid"]),
            value_sha256=str(data["value_sha256"]),
            created_at=int(data["created_at"]),
            last_used_at=None if data.get("last_used_at") is None else int(data["last_used_at"]),
        )


@dataclass
class SimCredential:
    """An OAuth Server-to-Server credential and the scopes its project allows."""

    org_id: str
    credential_id: str
    client_id: str
    scopes: tuple[str, ...]
    secrets: list[SimSecret] = field(default_factory=list)

    def secret_by_value(self, value: str) -> SimSecret | None:
        digest = sha256_hex(value)
        return next((s for s in self.secrets if s.value_sha256 == digest), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "credential_id": self.credential_id,
            "client_id": self.client_id,
            "scopes": list(self.scopes),
            "secrets": [s.to_json() for s in self.secrets],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimCredential:
        return cls(
            org_id=str(data["org_id"]),
            credential_id=str(data["credential_id"]),
            client_id=str(data["client_id"]),
            scopes=tuple(str(s) for s in data["scopes"]),
            secrets=[SimSecret.from_json(s) for s in data["secrets"]],
        )


@dataclass(frozen=True)
class SimToken:
    """An issued access token, known by its sha256 only."""

    token_sha256: str
    client_id: str
    secret_uuid: str
    scopes: frozenset[str]
    expires_at: int  # ms since the epoch

    def to_json(self) -> dict[str, Any]:
        return {
            "token_sha256": self.token_sha256,
            "client_id": self.client_id,
            "secret_uuid": self.secret_uuid,
            "scopes": sorted(self.scopes),
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimToken:
        return cls(
            token_sha256=str(data["token_sha256"]),
            client_id=str(data["client_id"]),
            secret_uuid=str(data["secret_uuid"]),
            scopes=frozenset(str(s) for s in data["scopes"]),
            expires_at=int(data["expires_at"]),
        )
