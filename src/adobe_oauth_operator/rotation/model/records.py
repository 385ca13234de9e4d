"""The records status is made of: the rotation in flight, retries, history, claim, token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from adobe_oauth_operator.rotation.model.spec import Target
from adobe_oauth_operator.rotation.model.timestamps import ts
from adobe_oauth_operator.rotation.reasons import Reason


class Phase(StrEnum):
    PENDING = "Pending"
    READY = "Ready"
    ROTATING = "Rotating"
    STALLED = "Stalled"
    FAILED = "Failed"


class Step(StrEnum):
    PREPARE = "Prepare"
    ADD = "Add"
    VERIFY = "Verify"
    UPDATE_SECRET = "UpdateSecret"
    ROLLOUT = "Rollout"
    DRAIN = "Drain"
    DELETE_OLD = "DeleteOld"


class Trigger(StrEnum):
    SCHEDULED = "Scheduled"
    ON_DEMAND = "OnDemand"
    EMERGENCY = "Emergency"
    # The Secret was overwritten with a value Adobe refuses: rotate from the known-good copy.
    DRIFT = "Drift"


@dataclass(frozen=True)
class SecretMeta:
    """What Adobe's list call tells about one client secret (never its value); `created_at` is
    None when Adobe's answer held no readable time."""

    uuid: str
    created_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    restarted: bool = False
    complete: bool = False


class JobKind(StrEnum):
    CRON_JOB = "CronJob"
    JOB = "Job"


@dataclass(frozen=True, order=True)
class JobConsumer:
    """A CronJob or Job reading the Secret: it picks up the new value at its next run.

    `running_since` is set for a Job still running with the value it started with.
    """

    kind: JobKind
    name: str
    running_since: datetime | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}/{self.name}"

    @property
    def note(self) -> str:
        if self.kind is JobKind.CRON_JOB:
            return "picks up the new value at its next run"
        if self.running_since is not None:
            return (
                "still running with the value it started with (since "
                f"{ts(self.running_since)}); the drain waits until the old secret is unused"
            )
        return "picks up the new value when it runs again"


@dataclass(frozen=True, order=True)
class CredentialIds:
    """Which Adobe credential a rotation works on: the ids its calls use."""

    org_id: str
    credential_id: str
    client_id: str | None = None

    def __str__(self) -> str:
        return f"orgId {self.org_id}, credentialId {self.credential_id}"


@dataclass(frozen=True)
class Claim:
    """What a resource holds alone, recorded in its status: the credential, the app Secret (also
    annotated with the owner) and the token Secret's name. Held once `confirmed`."""

    org_id: str
    credential_id: str
    secret_name: str
    token_secret_name: str | None
    since: datetime
    confirmed: bool = False

    def same_names(self, other: Claim) -> bool:
        return (
            self.org_id == other.org_id
            and self.credential_id == other.credential_id
            and self.secret_name == other.secret_name
            and self.token_secret_name == other.token_secret_name
        )


@dataclass(frozen=True)
class Rotation:
    """The rotation in flight, persisted step by step."""

    id: str
    step: Step
    trigger: Trigger
    started_at: datetime
    old_secret_uuid: str
    new_secret_uuid: str | None = None
    # When Adobe created the new secret: the current secret's creation time once the rotation ends.
    new_secret_created_at: datetime | None = None
    rollout_started_at: datetime | None = None
    rollout_completed_at: datetime | None = None
    drain_deadline: datetime | None = None
    next_check_at: datetime | None = None
    old_last_used_at: datetime | None = None
    # While draining: the old secret may be deleted once unused until then (moves with each use).
    delete_after: datetime | None = None
    still_in_use_reported: bool = False
    targets: tuple[TargetProgress, ...] = ()
    # CronJobs and Jobs reading the Secret: never restarted, listed for the person watching.
    jobs: tuple[JobConsumer, ...] = ()
    # The rotation call budget (machine/fencing.py): mutating Adobe calls, counted before each.
    add_attempts: int = 0
    delete_attempts: int = 0
    # The proof of ownership: what Adobe held right before our latest add, and when it was sent.
    pre_add_uuids: tuple[str, ...] = ()
    add_attempted_at: datetime | None = None
    # How often the Secret was found changed back and the new value written again.
    reverts: int = 0
    # Adobe is called with the known-good copy, not the Secret: the Secret holds a refused value.
    from_known_good: bool = False
    # The credential every call of this rotation is for; None only for a rotation an older
    # operator started (then the spec's ids are recorded at the next step).
    credential: CredentialIds | None = None

    @property
    def emergency(self) -> bool:
        return self.trigger is Trigger.EMERGENCY

    @property
    def restart_id(self) -> str:
        """The stamp for pod templates and the Secret; new after each revert, so pods roll again."""
        return self.id if not self.reverts else f"{self.id}-{self.reverts}"


@dataclass(frozen=True)
class InFlight:
    """A side effect recorded before it runs; another operator waits for it instead of racing."""

    seq: int
    action: str
    holder: str
    started_at: datetime


@dataclass(frozen=True)
class Retry:
    """A call that keeps failing: what, why, how often, and when it is tried again."""

    action: str
    reason: Reason
    message: str
    attempts: int
    since: datetime
    next_retry_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    trigger: Trigger
    started_at: datetime
    finished_at: datetime
    succeeded: bool
    old_secret_uuid: str
    new_secret_uuid: str | None
    message: str


@dataclass(frozen=True)
class TokenFailure:
    """Refreshing the vended token keeps failing: why, how often, when it is tried again."""

    reason: Reason
    message: str
    attempts: int
    since: datetime
    next_retry_at: datetime
    expiry_reported: bool = False  # the Warning that the vended token expired was emitted


@dataclass(frozen=True)
class AccessTokenStatus:
    """The vended token as status may show it: where, made with what, until when; never it."""

    secret_name: str
    key: str
    scopes: tuple[str, ...] = ()
    secret_uuid: str | None = None  # the client secret the token was made with
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    refresh_at: datetime | None = None
    # HMAC (operator-held key) of the token, as status.secretHmac is of the client secret.
    fingerprint: str | None = None
    refreshes: int = 0
    failure: TokenFailure | None = None
    # The latest stretch of time in which the Secret held an expired token (refreshes failing).
    expired_from: datetime | None = None
    expired_until: datetime | None = None
    # The refresh whose token the env readers of the Secret were last restarted for.
    readers_stamp: str | None = None

    @property
    def stamp(self) -> str | None:
        """Names this token's refresh on the pod templates of its env readers."""
        return f"token-{self.issued_at:%Y%m%d-%H%M%S}" if self.issued_at else None
