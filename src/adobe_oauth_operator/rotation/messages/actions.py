"""What the state machine asks for: actions with their declared properties, and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, get_args

from adobe_oauth_operator.rotation.messages.received import (
    AddOutcomeUnknown,
    Adopted,
    AppSecretReverted,
    AppSecretWritten,
    ClaimsChecked,
    DriftAdopted,
    DriftRefused,
    KnownGoodDeleted,
    KnownGoodSaved,
    PendingDeleted,
    PendingInspected,
    PreflightPassed,
    RolloutsChecked,
    SecretAdded,
    SecretDeleted,
    SecretsListed,
    TargetsRestarted,
    TokenReadersRestarted,
    TokenVended,
    Verified,
    VerifyRejected,
)
from adobe_oauth_operator.rotation.model import CredentialIds, Target
from adobe_oauth_operator.rotation.reasons import Reason


class Using(StrEnum):
    """Which known secret value the operator authenticates with for an action."""

    APP_SECRET = "AppSecret"  # the value in the application Secret (the current one)
    PENDING_SECRET = "PendingSecret"  # the new value, held in the pending Secret


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
