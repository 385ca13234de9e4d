"""What the state machine is told: messages answering its actions, and the kinds they carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from adobe_oauth_operator.rotation.model import JobConsumer, SecretMeta, Target
from adobe_oauth_operator.rotation.reasons import Reason


class ErrorKind(StrEnum):
    """Failures an action reports; each maps to one reason."""

    INVALID_CLIENT = Reason.INVALID_CLIENT
    PERMISSION_DENIED = Reason.PERMISSION_DENIED
    CREDENTIAL_NOT_FOUND = Reason.CREDENTIAL_NOT_FOUND
    THROTTLED = Reason.THROTTLED
    TRANSIENT = Reason.TRANSIENT_ERROR
    UNEXPECTED_RESPONSE = Reason.UNEXPECTED_RESPONSE
    SECRET_LIMIT = Reason.SECRET_LIMIT_REACHED
    SECRET_MISSING = Reason.SECRET_MISSING
    SECRET_KEY_MISSING = Reason.SECRET_KEY_MISSING
    CLIENT_ID_MISSING = Reason.CLIENT_ID_MISSING
    ADOPTION_AMBIGUOUS = Reason.ADOPTION_AMBIGUOUS
    KUBERNETES = Reason.KUBERNETES_ERROR
    SECRET_NOT_WRITABLE = Reason.SECRET_NOT_WRITABLE
    TARGET_NOT_FOUND = Reason.TARGET_NOT_FOUND
    PENDING_CONFLICT = Reason.PENDING_SECRET_CONFLICT
    CLIENT_ID_INVALID = Reason.CLIENT_ID_INVALID
    RECONCILE_ERROR = Reason.RECONCILE_ERROR
    SECRET_DRIFTED = Reason.SECRET_DRIFTED
    TOKEN_SECRET_CONFLICT = Reason.TOKEN_SECRET_CONFLICT
    KNOWN_GOOD_MISSING = Reason.KNOWN_GOOD_MISSING
    SPEC_CHANGED = Reason.SPEC_CHANGED_MID_ROTATION
    INVALID_SPEC = Reason.INVALID_SPEC

    @property
    def transient(self) -> bool:
        """Fails now, may work later by itself: retried with backoff, shown as Degraded."""
        return self in (
            ErrorKind.THROTTLED,
            ErrorKind.TRANSIENT,
            ErrorKind.ADOPTION_AMBIGUOUS,
            ErrorKind.RECONCILE_ERROR,
        )


class RestartResult(StrEnum):
    RESTARTED = "Restarted"
    ALREADY = "Already"
    PAUSED = "Paused"
    NOT_FOUND = "NotFound"


@dataclass(frozen=True)
class TokenObservation:
    """What the access token Secret holds now (never the token itself)."""

    present: bool
    fingerprint: str | None = None  # HMAC of the token under the key; None without a key
    expires_at: str | None = None  # its ADOBE_ACCESS_TOKEN_EXPIRES_AT value


@dataclass(frozen=True)
class Tick:
    """A periodic or event-driven wake-up carrying what the resource's metadata requests."""

    new_rotation_id: str
    rotate_request: str | None = None
    emergency: bool = False
    generation: int | None = None
    pending_secret_present: bool = False
    # HMAC of what the application Secret holds now; None when unknown (no key, no Secret).
    app_fingerprint: str | None = None
    # The access token Secret; None when spec.accessToken is unset or not yet looked at.
    token: TokenObservation | None = None


@dataclass(frozen=True)
class Adopted:
    secret_uuid: str
    client_id: str
    fingerprint: str | None = None
    created_at: datetime | None = None  # when Adobe created the adopted secret
    # What Adobe listed at adoption (the operator's log says it once): uuids and times only.
    listed: tuple[SecretMeta, ...] = ()


@dataclass(frozen=True)
class DriftAdopted:
    """The Secret was changed outside the operator to another secret Adobe accepts."""

    secret_uuid: str
    fingerprint: str | None
    created_at: datetime | None = None  # when Adobe created that secret


@dataclass(frozen=True)
class DriftRefused:
    """The Secret holds a value IMS refuses, and the known-good copy status relies on is intact."""

    rotation_id: str


@dataclass(frozen=True)
class KnownGoodSaved:
    """The known-good copy now holds what the Secret holds; None: the Secret no longer matched."""

    fingerprint: str | None


@dataclass(frozen=True)
class KnownGoodDeleted:
    pass


@dataclass(frozen=True)
class SecretsListed:
    secrets: tuple[SecretMeta, ...]


@dataclass(frozen=True)
class PendingInspected:
    """The secrets list, and the uuid held by this rotation's pending Secret if there is one.

    `unnamed_value_held`: the pending Secret holds this rotation's value, but Adobe's add answer
    named no uuid (it is learned from this list)."""

    secrets: tuple[SecretMeta, ...]
    pending_uuid: str | None
    unnamed_value_held: bool = False


@dataclass(frozen=True)
class SecretAdded:
    """The value is in the pending Secret; uuid and creation time as Adobe's add answered (None:
    not in the answer, learned from the next list)."""

    secret_uuid: str | None
    created_at: datetime | None = None


@dataclass(frozen=True)
class AddOutcomeUnknown:
    """The add request may have created a secret whose value nobody received."""


@dataclass(frozen=True)
class SecretDeleted:
    secret_uuid: str


@dataclass(frozen=True)
class Verified:
    pass


@dataclass(frozen=True)
class VerifyRejected:
    message: str


@dataclass(frozen=True)
class AppSecretWritten:
    fingerprint: str | None = None


@dataclass(frozen=True)
class TargetsRestarted:
    results: tuple[tuple[Target, RestartResult], ...]
    # CronJobs and Jobs reading the Secret, found alongside and never restarted.
    jobs: tuple[JobConsumer, ...] = ()


@dataclass(frozen=True)
class RolloutStatus:
    target: Target
    complete: bool
    message: str


@dataclass(frozen=True)
class RolloutsChecked:
    states: tuple[RolloutStatus, ...]


@dataclass(frozen=True)
class PendingDeleted:
    pass


@dataclass(frozen=True)
class PreflightPassed:
    """Everything a rotation will touch exists and is writable; nothing was changed."""


@dataclass(frozen=True)
class AppSecretReverted:
    """The Secret no longer holds the new client secret; the old one must not be deleted."""

    detail: str


@dataclass(frozen=True)
class TokenVended:
    """A fresh token made with client secret `secret_uuid` is in the access token Secret."""

    secret_uuid: str
    expires_at: datetime
    fingerprint: str | None = None
    jitter: float = 0.5  # in [0, 1): spreads the refreshes of many credentials apart


@dataclass(frozen=True)
class TokenReadersRestarted:
    """Workloads reading the token Secret through env, restarted for the token `stamp`."""

    stamp: str
    results: tuple[tuple[Target, RestartResult], ...]


class ClaimOutcome(StrEnum):
    HELD = "Held"  # nobody else holds the Secret, the credential or a name this resource uses
    NOT_VISIBLE = "NotVisible"  # our own claim has not come back through the watch yet
    CONTENDED = "Contended"  # another resource asks for the same credential at the same time
    REFUSED = "Refused"  # another resource holds it: `reason` and `message` say which


@dataclass(frozen=True)
class ClaimsChecked:
    """What CheckClaims found; on REFUSED, `reason` and `message` name the owner."""

    outcome: ClaimOutcome
    reason: Reason | None = None
    message: str = ""
    jitter: float = 0.5  # in [0, 1): spreads the retries of contending resources apart


@dataclass(frozen=True)
class ActionFailed:
    kind: ErrorKind
    message: str
    retry_after: timedelta | None = None
    action: str = ""  # the failing call, e.g. "DeleteSecret"
    jitter: float = 0.5  # in [0, 1): spreads retries of many resources apart


Message = (
    Tick
    | Adopted
    | SecretsListed
    | PendingInspected
    | SecretAdded
    | AddOutcomeUnknown
    | SecretDeleted
    | Verified
    | VerifyRejected
    | AppSecretWritten
    | TargetsRestarted
    | RolloutsChecked
    | PendingDeleted
    | PreflightPassed
    | AppSecretReverted
    | DriftAdopted
    | TokenVended
    | TokenReadersRestarted
    | DriftRefused
    | KnownGoodSaved
    | KnownGoodDeleted
    | ClaimsChecked
    | ActionFailed
)
