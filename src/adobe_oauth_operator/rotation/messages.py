"""What the state machine is told (messages) and what it asks for (actions, events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, get_args

from adobe_oauth_operator.rotation.model import CredentialIds, JobConsumer, SecretMeta, Target
from adobe_oauth_operator.rotation.reasons import Reason


class Using(StrEnum):
    """Which known secret value the operator authenticates with for an action."""

    APP_SECRET = "AppSecret"  # the value in the application Secret (the current one)
    PENDING_SECRET = "PendingSecret"  # the new value, held in the pending Secret


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


# -- messages ---------------------------------------------------------------------------------
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


# -- actions ----------------------------------------------------------------------------------
class Family(StrEnum):
    """Which side effects an action has: the executor module that carries it out."""

    ADOBE = "adobe"  # calls to Adobe about the credential's client secrets
    CHECKS = "checks"  # read-only checks before a rotation, and the ownership claim
    DRIFT = "drift"  # the Secret changed outside the operator; the known-good copy
    SECRETS = "secrets"  # the application and pending Kubernetes Secrets
    TOKENS = "tokens"  # access tokens vended to applications
    WORKLOADS = "workloads"  # restarts and rollouts of the workloads reading the Secret


@dataclass(frozen=True)
class Properties:
    """What an action is, declared once on its class; the tables below are derived from it."""

    family: Family
    # Has a side effect: runs only after a status write that records it (fencing).
    mutating: bool
    # Calls Adobe: admitted by the shared request budget first.
    calls_adobe: bool
    # The success messages answering it: a failing call has recovered only when one arrives.
    answered_by: tuple[type, ...]


@dataclass(frozen=True)
class KnownGoodCopy:
    """Authenticate with the known-good copy instead of the Secret (a rotation restoring a
    drifted Secret), only while the copy holds the value with this HMAC (status.knownGoodHmac)."""

    fingerprint: str | None


@dataclass(frozen=True)
class Authenticated:
    """An action that authenticates with the credential's client secret.

    `from_known_good` says which one: None, the Secret's (or the pending one's, per `using`); set,
    the known-good copy's. Stamped on the machine's actions by rotation.credential_source."""

    from_known_good: KnownGoodCopy | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Adopt(Authenticated):
    """Learn the uuid of the secret the application Secret holds."""

    props: ClassVar[Properties] = Properties(Family.ADOBE, False, True, (Adopted,))


@dataclass(frozen=True)
class ListSecrets(Authenticated):
    using: Using

    props: ClassVar[Properties] = Properties(Family.ADOBE, False, True, (SecretsListed,))


@dataclass(frozen=True)
class InspectPending(Authenticated):
    """List secrets and read this rotation's pending Secret (reconciles a lost add)."""

    rotation_id: str

    props: ClassVar[Properties] = Properties(Family.ADOBE, False, True, (PendingInspected,))


@dataclass(frozen=True)
class AddSecret(Authenticated):
    """Add a secret and store its value in the pending Secret before reporting back."""

    rotation_id: str

    props: ClassVar[Properties] = Properties(
        Family.ADOBE, True, True, (SecretAdded, AddOutcomeUnknown)
    )


@dataclass(frozen=True)
class CheckClaims:
    """Claim the app Secret (an owner annotation, fenced by its resourceVersion), check that no
    other resource holds the credential or reserves a name this one uses, once the claim
    recorded in status at `since` is visible among all resources."""

    since: datetime

    props: ClassVar[Properties] = Properties(Family.CHECKS, True, False, (ClaimsChecked,))


class DeleteGuard(StrEnum):
    """What the executor re-checks in the app Secret right before a delete."""

    NONE = "None"
    APP_HOLDS_NEW = "AppHoldsNew"  # deleting the old secret: the Secret must hold the new one
    APP_NOT_NEW = "AppNotNew"  # deleting the new secret: the Secret must not hold it


@dataclass(frozen=True)
class DeleteSecret(Authenticated):
    secret_uuid: str
    using: Using
    guard: DeleteGuard = DeleteGuard.NONE
    # The credential the rotation recorded: the delete is refused for any other (a spec edited
    # mid-rotation), and "not found" is success only for this one. A check the delete carries,
    # not part of which delete it is.
    credential: CredentialIds | None = field(default=None, compare=False)

    props: ClassVar[Properties] = Properties(
        Family.ADOBE, True, True, (SecretDeleted, AppSecretReverted)
    )


@dataclass(frozen=True)
class InspectDrift(Authenticated):
    """The Secret changed behind our back: does Adobe accept its secret, and which one is it?

    If IMS refuses it, the known-good copy with the HMAC `known_good` (if any) is checked, and a
    rotation from it would get the id `rotation_id`.
    """

    rotation_id: str = ""
    known_good: str | None = None

    props: ClassVar[Properties] = Properties(
        Family.DRIFT, False, True, (DriftAdopted, DriftRefused)
    )


@dataclass(frozen=True)
class SaveKnownGood:
    """Copy the Secret's client id and secret to the known-good copy if they still have the HMAC
    `fingerprint` (the one status trusts)."""

    fingerprint: str
    secret_uuid: str

    props: ClassVar[Properties] = Properties(Family.DRIFT, True, False, (KnownGoodSaved,))


@dataclass(frozen=True)
class DeleteKnownGood:
    """onDrift is Report: keep no copy of the client secret."""

    props: ClassVar[Properties] = Properties(Family.DRIFT, True, False, (KnownGoodDeleted,))


@dataclass(frozen=True)
class Preflight(Authenticated):
    """Check, without changing anything, that a rotation can complete before Adobe is touched."""

    props: ClassVar[Properties] = Properties(Family.CHECKS, False, False, (PreflightPassed,))


@dataclass(frozen=True)
class VerifyNewSecret(Authenticated):
    """Request a token with the pending secret; from then on the old one is never used."""

    props: ClassVar[Properties] = Properties(Family.ADOBE, True, True, (Verified, VerifyRejected))


@dataclass(frozen=True)
class WriteAppSecret(Authenticated):
    rotation_id: str
    secret_uuid: str

    props: ClassVar[Properties] = Properties(Family.SECRETS, True, False, (AppSecretWritten,))


@dataclass(frozen=True)
class RestartTargets:
    rotation_id: str

    props: ClassVar[Properties] = Properties(Family.WORKLOADS, True, False, (TargetsRestarted,))


@dataclass(frozen=True)
class CheckRollouts:
    rotation_id: str
    targets: tuple[Target, ...]

    props: ClassVar[Properties] = Properties(Family.WORKLOADS, False, False, (RolloutsChecked,))


@dataclass(frozen=True)
class DeletePending:
    props: ClassVar[Properties] = Properties(Family.SECRETS, True, False, (PendingDeleted,))


@dataclass(frozen=True)
class VendToken(Authenticated):
    """Grant a fresh access token with a known client secret and write it into the token Secret."""

    using: Using
    secret_uuid: str

    props: ClassVar[Properties] = Properties(Family.TOKENS, True, True, (TokenVended,))


@dataclass(frozen=True)
class RestartTokenReaders:
    """Restart the workloads that read the token Secret through env, stamped with `stamp`."""

    stamp: str

    props: ClassVar[Properties] = Properties(
        Family.WORKLOADS, True, False, (TokenReadersRestarted,)
    )


Action = (
    Adopt
    | Preflight
    | InspectDrift
    | ListSecrets
    | InspectPending
    | AddSecret
    | DeleteSecret
    | VerifyNewSecret
    | WriteAppSecret
    | RestartTargets
    | CheckRollouts
    | DeletePending
    | VendToken
    | RestartTokenReaders
    | SaveKnownGood
    | DeleteKnownGood
    | CheckClaims
)

# Every action class; the tables below are derived from their `props`.
ACTIONS: tuple[type[Action], ...] = get_args(Action)

# The action each success message answers: a failing call has recovered only when it succeeds.
ANSWERS: dict[type, type] = {
    answer: action for action in ACTIONS for answer in action.props.answered_by
}

# Actions with a side effect: each runs only after a status write that records it succeeded.
MUTATING: tuple[type, ...] = tuple(action for action in ACTIONS if action.props.mutating)

# The actions that call Adobe (the others talk to Kubernetes only).
CALLS_ADOBE: tuple[type, ...] = tuple(action for action in ACTIONS if action.props.calls_adobe)


@dataclass(frozen=True)
class Event:
    """A Kubernetes event to emit on the resource."""

    warning: bool
    reason: Reason
    message: str
