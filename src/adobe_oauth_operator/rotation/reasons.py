"""The one table of condition and event reasons; each is a CamelCase word a person can search."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Reasons used in conditions and events."""

    # adoption and the idle state
    ADOPTED = "Adopted"
    ADOPTING = "Adopting"
    ADOPTION_AMBIGUOUS = "AdoptionAmbiguous"
    SECRET_MISSING = "SecretMissing"
    SECRET_KEY_MISSING = "SecretKeyMissing"
    CLIENT_ID_MISSING = "ClientIdMissing"
    INVALID_SPEC = "InvalidSpec"
    UP_TO_DATE = "UpToDate"
    SUSPENDED = "Suspended"
    IDLE = "Idle"
    # rotation steps
    ROTATION_STARTED = "RotationStarted"
    ROTATION_REQUEST_IGNORED = "RotationRequestIgnored"
    ROTATING = "Rotating"
    ORPHAN_DELETED = "OrphanSecretDeleted"
    SECRET_LIMIT_REACHED = "SecretLimitReached"
    NEW_SECRET_UNIDENTIFIED = "NewSecretUnidentified"
    CURRENT_SECRET_GONE = "CurrentSecretGone"
    SECRET_ADDED = "SecretAdded"
    ADD_RESPONSE_LOST = "AddResponseLost"
    VERIFIED = "SecretVerified"
    VERIFICATION_FAILED = "VerificationFailed"
    SECRET_UPDATED = "SecretUpdated"
    RESTARTED = "Restarted"
    JOBS_NOT_RESTARTED = "JobsNotRestarted"
    JOB_STILL_RUNNING = "JobStillRunning"
    ROLLOUT_PAUSED = "RolloutPaused"
    TARGET_NOT_FOUND = "TargetNotFound"
    ROLLOUT_TIMEOUT = "RolloutTimeout"
    ROLLOUT_COMPLETE = "RolloutComplete"
    DRAINING = "Draining"
    STILL_IN_USE = "OldSecretStillInUse"
    DELETING_IN_USE = "DeletingSecretStillInUse"
    OLD_SECRET_DELETED = "OldSecretDeleted"
    ROTATED = "Rotated"
    ROTATION_FAILED = "RotationFailed"
    # safety: fencing, ownership, verified deletes, budgets
    ACTION_IN_FLIGHT = "ActionInFlight"
    SECRET_REVERTED = "SecretReverted"
    PENDING_SECRET_CONFLICT = "PendingSecretConflict"
    RETRY_BUDGET_EXHAUSTED = "RetryBudgetExhausted"
    SECRET_NOT_WRITABLE = "SecretNotWritable"
    CLIENT_ID_INVALID = "ClientIdInvalid"
    # the Secret changed outside the operator
    SECRET_DRIFTED = "SecretDrifted"
    SECRET_CHANGED = "SecretChanged"
    # vended access tokens (spec.accessToken; the TokenFresh condition)
    TOKEN_ISSUED = "TokenIssued"
    TOKEN_REFRESHED = "TokenRefreshed"
    TOKEN_SWITCHED = "TokenSwitched"
    TOKEN_REFRESH_FAILED = "TokenRefreshFailed"
    TOKEN_EXPIRED = "TokenExpired"
    TOKEN_RECOVERED = "TokenRecovered"
    TOKEN_SECRET_CONFLICT = "TokenSecretConflict"
    WAITING_FOR_TOKEN = "WaitingForToken"
    # one owner per Secret and per Adobe credential; a rotation keeps to the credential it began on
    SECRET_CLAIMED = "SecretClaimed"
    CREDENTIAL_CLAIMED = "CredentialClaimed"
    SECRET_NAME_RESERVED = "SecretNameReserved"
    CLAIMED = "Claimed"
    SPEC_CHANGED_MID_ROTATION = "SpecChangedMidRotation"
    # onDrift: Rotate cannot proceed: the copy it rotates from is gone or was changed
    KNOWN_GOOD_MISSING = "KnownGoodMissing"
    # failing calls and their recovery (the Degraded condition)
    NO_FAILURES = "NoFailures"
    RECOVERED = "Recovered"
    RECONCILE_ERROR = "ReconcileError"
    # metrics only (reconcile_errors_total): an exception nobody expected, i.e. a bug
    UNEXPECTED_ERROR = "Unexpected"
    # deletion of the resource
    CLEANED_UP = "CleanedUp"
    OLD_SECRET_LEFT = "OldSecretLeftInAdobe"
    CLEANUP_INCOMPLETE = "CleanupIncomplete"
    # errors reported by Adobe or Kubernetes
    INVALID_CLIENT = "InvalidClientCredentials"
    PERMISSION_DENIED = "PermissionDenied"
    CREDENTIAL_NOT_FOUND = "CredentialNotFound"
    THROTTLED = "Throttled"
    TRANSIENT_ERROR = "TransientError"
    UNEXPECTED_RESPONSE = "UnexpectedResponse"
    KUBERNETES_ERROR = "KubernetesError"
    # the operator's own budget of Adobe requests (all credentials share it)
    WAITING_FOR_ADOBE_BUDGET = "WaitingForAdobeBudget"
