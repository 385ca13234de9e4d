"""The resource's status as the state machine sees it, and its wire form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adobe_oauth_operator.rotation.conditions import Condition
from adobe_oauth_operator.rotation.model.codec import (
    claim_from_dict,
    claim_to_dict,
    condition_from_dict,
    condition_to_dict,
    history_from_dict,
    history_to_dict,
    in_flight_from_dict,
    in_flight_to_dict,
    retry_from_dict,
    retry_to_dict,
    rotation_from_dict,
    rotation_to_dict,
    token_from_dict,
    token_to_dict,
)
from adobe_oauth_operator.rotation.model.records import (
    AccessTokenStatus,
    Claim,
    HistoryEntry,
    InFlight,
    Phase,
    Retry,
    Rotation,
)
from adobe_oauth_operator.rotation.model.timestamps import parse_ts, ts

# The finished rotations status keeps, newest first.
HISTORY_LIMIT = 10


@dataclass(frozen=True)
class Status:
    """The resource's status as the state machine sees it."""

    phase: Phase = Phase.PENDING
    conditions: tuple[Condition, ...] = ()
    observed_generation: int | None = None
    client_id: str | None = None
    current_secret_uuid: str | None = None
    # When Adobe created the current secret (its age, without asking Adobe); None when unknown.
    current_secret_created_at: datetime | None = None
    adopted_at: datetime | None = None
    last_rotation_time: datetime | None = None
    next_rotation_time: datetime | None = None
    last_rotate_request: str | None = None
    # The rotate request that came with the emergency annotation: the emergency is spent on it.
    last_emergency_request: str | None = None
    consecutive_failures: int = 0
    rotation: Rotation | None = None
    history: tuple[HistoryEntry, ...] = field(default=())
    action_seq: int = 0
    in_flight: InFlight | None = None
    retry: Retry | None = None
    # HMAC (operator-held key) of the client id and secret the Secret held when last written or
    # adopted: a different one means the Secret was changed outside the operator.
    secret_fingerprint: str | None = None
    access_token: AccessTokenStatus | None = None
    # The HMAC of what the known-good copy holds (onDrift: Rotate); None when there is no copy.
    known_good_fingerprint: str | None = None
    # The credential and Secrets this resource holds alone (or asks to).
    claim: Claim | None = None

    @property
    def adopted(self) -> bool:
        return self.current_secret_uuid is not None

    # -- wire form -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The status as written to the API server (None fields become null, clearing them)."""
        return {
            "phase": self.phase.value,
            "conditions": [condition_to_dict(c) for c in self.conditions],
            "observedGeneration": self.observed_generation,
            "clientId": self.client_id,
            "currentSecretUuid": self.current_secret_uuid,
            "currentSecretCreatedAt": ts(self.current_secret_created_at),
            "adoptedAt": ts(self.adopted_at),
            "lastRotationTime": ts(self.last_rotation_time),
            "nextRotationTime": ts(self.next_rotation_time),
            "lastRotateRequest": self.last_rotate_request,
            "lastEmergencyRequest": self.last_emergency_request,
            "consecutiveFailures": self.consecutive_failures,
            "rotation": rotation_to_dict(self.rotation) if self.rotation else None,
            "history": [history_to_dict(h) for h in self.history],
            "actionSeq": self.action_seq,
            "inFlight": in_flight_to_dict(self.in_flight) if self.in_flight else None,
            "retry": retry_to_dict(self.retry) if self.retry else None,
            "secretHmac": self.secret_fingerprint,
            "accessToken": token_to_dict(self.access_token) if self.access_token else None,
            "knownGoodHmac": self.known_good_fingerprint,
            "claim": claim_to_dict(self.claim) if self.claim else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Status:
        raw = raw or {}
        rotation = raw.get("rotation")
        return cls(
            phase=Phase(raw.get("phase") or Phase.PENDING),
            conditions=tuple(condition_from_dict(c) for c in raw.get("conditions") or ()),
            observed_generation=raw.get("observedGeneration"),
            client_id=raw.get("clientId"),
            current_secret_uuid=raw.get("currentSecretUuid"),
            current_secret_created_at=parse_ts(raw.get("currentSecretCreatedAt")),
            adopted_at=parse_ts(raw.get("adoptedAt")),
            last_rotation_time=parse_ts(raw.get("lastRotationTime")),
            next_rotation_time=parse_ts(raw.get("nextRotationTime")),
            last_rotate_request=raw.get("lastRotateRequest"),
            last_emergency_request=raw.get("lastEmergencyRequest"),
            consecutive_failures=int(raw.get("consecutiveFailures") or 0),
            rotation=rotation_from_dict(rotation) if rotation else None,
            history=tuple(history_from_dict(h) for h in raw.get("history") or ()),
            action_seq=int(raw.get("actionSeq") or 0),
            in_flight=in_flight_from_dict(raw.get("inFlight")),
            retry=retry_from_dict(raw.get("retry")),
            secret_fingerprint=raw.get("secretHmac") or None,
            access_token=token_from_dict(raw.get("accessToken")),
            known_good_fingerprint=raw.get("knownGoodHmac") or None,
            claim=claim_from_dict(raw.get("claim")),
        )
