"""Typed views of an AdobeOAuthCredential's spec and status, and their wire (dict) forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from adobe_oauth_operator.rotation.conditions import Condition, ConditionType
from adobe_oauth_operator.rotation.durations import parse_duration
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.rotation.validation import is_secret_management_scope, spec_problems
from adobe_oauth_operator.rotation.window import Window

HISTORY_LIMIT = 10
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_CHECK_INTERVAL = timedelta(seconds=1)


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


class OnStillInUse(StrEnum):
    WAIT = "Wait"
    DELETE = "Delete"


class OnDrift(StrEnum):
    """What to do when the Secret is changed outside the operator to a value Adobe refuses."""

    ROTATE = "Rotate"
    REPORT = "Report"


@dataclass(frozen=True, order=True)
class Target:
    """A workload restarted after the Secret changes."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


DEFAULT_TOKEN_KEY = "ADOBE_ACCESS_TOKEN"


@dataclass(frozen=True)
class AccessTokenSpec:
    """spec.accessToken: vend IMS access tokens into a Secret the operator owns."""

    secret_name: str
    key: str = DEFAULT_TOKEN_KEY
    scopes: tuple[str, ...] = ()  # empty: the credential's spec.scopes
    refresh_before: timedelta | None = None  # None: when 20 % of the lifetime is left
    # Off: the token never carries read_client_secret or manage_client_secrets.
    allow_secret_management: bool = False

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> AccessTokenSpec | None:
        if not raw:
            return None
        return cls(
            secret_name=_required(raw, "secretName", "spec.accessToken."),
            key=raw.get("key") or DEFAULT_TOKEN_KEY,
            scopes=tuple(raw.get("scopes") or ()),
            refresh_before=_duration(raw, "refreshBefore", None),
            allow_secret_management=raw.get("allowSecretManagement") is True,
        )


@dataclass(frozen=True)
class Spec:
    """The parsed spec; defaults mirror the CRD's so a spec written before defaulting works too."""

    org_id: str
    credential_id: str
    secret_name: str
    client_id: str | None = None
    client_id_key: str = "ADOBE_CLIENT_ID"
    client_secret_key: str = "ADOBE_CLIENT_SECRET"
    scopes: tuple[str, ...] = ()
    interval: timedelta | None = None
    # One access-token lifetime: a consumer caching its token returns to the old secret only then.
    drain_period: timedelta = timedelta(hours=24)
    max_wait: timedelta = timedelta(hours=72)
    on_still_in_use: OnStillInUse = OnStillInUse.WAIT
    on_drift: OnDrift = OnDrift.ROTATE
    check_interval: timedelta = timedelta(seconds=60)
    targets: tuple[Target, ...] = ()
    auto_discover: bool = True
    rollout_timeout: timedelta = timedelta(minutes=15)
    suspend: bool = False
    # When scheduled rotations may start; None: at any time.
    window: Window | None = None
    access_token: AccessTokenSpec | None = None

    @property
    def token_scopes(self) -> tuple[str, ...]:
        """The scopes of vended tokens: their own, else the credential's; without the opt-in,
        never the ones that manage client secrets (a reader of the token Secret could)."""
        vended = self.access_token
        scopes = vended.scopes if vended is not None and vended.scopes else self.scopes
        if vended is not None and vended.allow_secret_management:
            return scopes
        return tuple(s for s in scopes if not is_secret_management_scope(s))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], name: str | None = None) -> Spec:
        """Parse a CR spec; raise ValueError with a message naming the bad field.

        With the resource's `name`, the CRD's admission rules are checked too (the installed CRD
        may be older than the operator) and every broken rule is named, joined by "; ".
        """
        if name is not None and (problems := spec_problems(name, spec)):
            raise ValueError("; ".join(problems))
        keys = spec.get("secretKeys") or {}
        rotation = spec.get("rotation") or {}
        rollout = spec.get("rollout") or {}
        try:
            return cls(
                org_id=_required(spec, "orgId"),
                credential_id=_required(spec, "credentialId"),
                secret_name=_required(spec, "secretName"),
                client_id=spec.get("clientId") or None,
                client_id_key=keys.get("clientId") or cls.client_id_key,
                client_secret_key=keys.get("clientSecret") or cls.client_secret_key,
                scopes=tuple(spec.get("scopes") or ()),
                interval=_duration(rotation, "interval", None),
                drain_period=_duration(rotation, "drainPeriod", cls.drain_period),
                max_wait=_duration(rotation, "maxWait", cls.max_wait),
                on_still_in_use=OnStillInUse(rotation.get("onStillInUse") or "Wait"),
                on_drift=OnDrift(rotation.get("onDrift") or OnDrift.ROTATE),
                check_interval=max(
                    MIN_CHECK_INTERVAL, _duration(rotation, "checkInterval", cls.check_interval)
                ),
                targets=tuple(
                    sorted({Target(t["kind"], t["name"]) for t in rollout.get("targets") or ()})
                ),
                auto_discover=bool(rollout.get("autoDiscover", True)),
                rollout_timeout=_duration(rollout, "timeout", cls.rollout_timeout),
                suspend=bool(spec.get("suspend", False)),
                window=Window.from_dict(rotation["window"]) if rotation.get("window") else None,
                access_token=AccessTokenSpec.from_dict(spec.get("accessToken")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed spec: {exc}") from exc


def _required(spec: Mapping[str, Any], name: str, prefix: str = "spec.") -> str:
    value = spec.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{prefix}{name} is required")
    return value


def _duration(section: Mapping[str, Any], name: str, default: Any) -> Any:
    text = section.get(name)
    if not text:
        return default
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc


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
                f"{_ts(self.running_since)}); the drain waits until the old secret is unused"
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
            "conditions": [_condition_to_dict(c) for c in self.conditions],
            "observedGeneration": self.observed_generation,
            "clientId": self.client_id,
            "currentSecretUuid": self.current_secret_uuid,
            "currentSecretCreatedAt": _ts(self.current_secret_created_at),
            "adoptedAt": _ts(self.adopted_at),
            "lastRotationTime": _ts(self.last_rotation_time),
            "nextRotationTime": _ts(self.next_rotation_time),
            "lastRotateRequest": self.last_rotate_request,
            "lastEmergencyRequest": self.last_emergency_request,
            "consecutiveFailures": self.consecutive_failures,
            "rotation": _rotation_to_dict(self.rotation) if self.rotation else None,
            "history": [_history_to_dict(h) for h in self.history],
            "actionSeq": self.action_seq,
            "inFlight": _in_flight_to_dict(self.in_flight) if self.in_flight else None,
            "retry": _retry_to_dict(self.retry) if self.retry else None,
            "secretHmac": self.secret_fingerprint,
            "accessToken": _token_to_dict(self.access_token) if self.access_token else None,
            "knownGoodHmac": self.known_good_fingerprint,
            "claim": _claim_to_dict(self.claim) if self.claim else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Status:
        raw = raw or {}
        rotation = raw.get("rotation")
        return cls(
            phase=Phase(raw.get("phase") or Phase.PENDING),
            conditions=tuple(_condition_from_dict(c) for c in raw.get("conditions") or ()),
            observed_generation=raw.get("observedGeneration"),
            client_id=raw.get("clientId"),
            current_secret_uuid=raw.get("currentSecretUuid"),
            current_secret_created_at=_parse_ts(raw.get("currentSecretCreatedAt")),
            adopted_at=_parse_ts(raw.get("adoptedAt")),
            last_rotation_time=_parse_ts(raw.get("lastRotationTime")),
            next_rotation_time=_parse_ts(raw.get("nextRotationTime")),
            last_rotate_request=raw.get("lastRotateRequest"),
            last_emergency_request=raw.get("lastEmergencyRequest"),
            consecutive_failures=int(raw.get("consecutiveFailures") or 0),
            rotation=_rotation_from_dict(rotation) if rotation else None,
            history=tuple(_history_from_dict(h) for h in raw.get("history") or ()),
            action_seq=int(raw.get("actionSeq") or 0),
            in_flight=_in_flight_from_dict(raw.get("inFlight")),
            retry=_retry_from_dict(raw.get("retry")),
            secret_fingerprint=raw.get("secretHmac") or None,
            access_token=_token_from_dict(raw.get("accessToken")),
            known_good_fingerprint=raw.get("knownGoodHmac") or None,
            claim=claim_from_dict(raw.get("claim")),
        )


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _condition_to_dict(c: Condition) -> dict[str, Any]:
    return {
        "type": c.type.value,
        "status": "True" if c.status else "False",
        "reason": c.reason.value,
        "message": c.message,
        "lastTransitionTime": _ts(c.last_transition_time),
    }


def _reason(text: object) -> Reason:
    return Reason(str(text)) if text in Reason._value2member_map_ else Reason.IDLE


def _condition_from_dict(raw: Mapping[str, Any]) -> Condition:
    return Condition(
        type=ConditionType(raw["type"]),
        status=raw.get("status") == "True",
        reason=_reason(raw.get("reason", "")),
        message=raw.get("message", ""),
        last_transition_time=_parse_ts(raw.get("lastTransitionTime")) or EPOCH,
    )


def _rotation_to_dict(r: Rotation) -> dict[str, Any]:
    return {
        "id": r.id,
        "step": r.step.value,
        "reason": r.trigger.value,
        "startedAt": _ts(r.started_at),
        "oldSecretUuid": r.old_secret_uuid,
        "newSecretUuid": r.new_secret_uuid,
        "newSecretCreatedAt": _ts(r.new_secret_created_at),
        "rolloutStartedAt": _ts(r.rollout_started_at),
        "rolloutCompletedAt": _ts(r.rollout_completed_at),
        "drainDeadline": _ts(r.drain_deadline),
        "nextCheckAt": _ts(r.next_check_at),
        "oldLastUsedAt": _ts(r.old_last_used_at),
        "drain": _drain_to_dict(r),
        "stillInUseReported": r.still_in_use_reported,
        "addAttempts": r.add_attempts,
        "deleteAttempts": r.delete_attempts,
        "preAddUuids": list(r.pre_add_uuids),
        "addAttemptedAt": _ts(r.add_attempted_at),
        "reverts": r.reverts,
        "fromKnownGood": r.from_known_good,
        **_credential_to_dict(r.credential),
        "targets": [
            {
                "kind": t.target.kind,
                "name": t.target.name,
                "restarted": t.restarted,
                "complete": t.complete,
            }
            for t in r.targets
        ],
        "jobs": [
            {
                "kind": j.kind.value,
                "name": j.name,
                "runningSince": _ts(j.running_since),
                "message": j.note,
            }
            for j in r.jobs
        ],
    }


def _drain_to_dict(r: Rotation) -> dict[str, Any] | None:
    if r.step is not Step.DRAIN or r.delete_after is None:
        return None
    return {"oldSecretLastUsed": _ts(r.old_last_used_at), "deleteAfter": _ts(r.delete_after)}


def _rotation_from_dict(raw: Mapping[str, Any]) -> Rotation:
    return Rotation(
        id=raw["id"],
        step=Step(raw["step"]),
        trigger=Trigger(raw.get("reason") or Trigger.ON_DEMAND),
        started_at=_parse_ts(raw["startedAt"]) or EPOCH,
        old_secret_uuid=raw["oldSecretUuid"],
        new_secret_uuid=raw.get("newSecretUuid"),
        new_secret_created_at=_parse_ts(raw.get("newSecretCreatedAt")),
        rollout_started_at=_parse_ts(raw.get("rolloutStartedAt")),
        rollout_completed_at=_parse_ts(raw.get("rolloutCompletedAt")),
        drain_deadline=_parse_ts(raw.get("drainDeadline")),
        next_check_at=_parse_ts(raw.get("nextCheckAt")),
        old_last_used_at=_parse_ts(raw.get("oldLastUsedAt")),
        delete_after=_parse_ts((raw.get("drain") or {}).get("deleteAfter")),
        still_in_use_reported=bool(raw.get("stillInUseReported")),
        add_attempts=int(raw.get("addAttempts") or 0),
        delete_attempts=int(raw.get("deleteAttempts") or 0),
        pre_add_uuids=tuple(raw.get("preAddUuids") or ()),
        add_attempted_at=_parse_ts(raw.get("addAttemptedAt")),
        reverts=int(raw.get("reverts") or 0),
        from_known_good=bool(raw.get("fromKnownGood")),
        credential=_credential_from_dict(raw),
        targets=tuple(
            TargetProgress(
                Target(t["kind"], t["name"]), bool(t.get("restarted")), bool(t.get("complete"))
            )
            for t in raw.get("targets") or ()
        ),
        jobs=tuple(
            JobConsumer(JobKind(j["kind"]), j["name"], _parse_ts(j.get("runningSince")))
            for j in raw.get("jobs") or ()
            if j.get("kind") in JobKind._value2member_map_
        ),
    )


def _credential_to_dict(ids: CredentialIds | None) -> dict[str, Any]:
    if ids is None:  # null: a merge patch removes what an earlier write left
        return {"orgId": None, "credentialId": None, "clientId": None}
    return {"orgId": ids.org_id, "credentialId": ids.credential_id, "clientId": ids.client_id}


def _credential_from_dict(raw: Mapping[str, Any]) -> CredentialIds | None:
    org_id, credential_id = raw.get("orgId"), raw.get("credentialId")
    if not org_id or not credential_id:
        return None
    return CredentialIds(str(org_id), str(credential_id), raw.get("clientId") or None)


def _claim_to_dict(c: Claim) -> dict[str, Any]:
    return {
        "orgId": c.org_id,
        "credentialId": c.credential_id,
        "secretName": c.secret_name,
        "tokenSecretName": c.token_secret_name,
        "since": _ts(c.since),
        "confirmed": c.confirmed,
    }


def claim_from_dict(raw: Mapping[str, Any] | None) -> Claim | None:
    """A claim as status holds it (also read from other resources' status); None when absent."""
    if not raw or not raw.get("orgId") or not raw.get("credentialId"):
        return None
    return Claim(
        org_id=str(raw["orgId"]),
        credential_id=str(raw["credentialId"]),
        secret_name=str(raw.get("secretName") or ""),
        token_secret_name=raw.get("tokenSecretName") or None,
        since=_parse_ts(raw.get("since")) or EPOCH,
        confirmed=bool(raw.get("confirmed")),
    )


def _history_to_dict(h: HistoryEntry) -> dict[str, Any]:
    return {
        "id": h.id,
        "reason": h.trigger.value,
        "startedAt": _ts(h.started_at),
        "finishedAt": _ts(h.finished_at),
        "result": "Succeeded" if h.succeeded else "Failed",
        "oldSecretUuid": h.old_secret_uuid,
        "newSecretUuid": h.new_secret_uuid or "",
        "message": h.message,
    }


def _history_from_dict(raw: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        id=raw["id"],
        trigger=Trigger(raw.get("reason") or Trigger.ON_DEMAND),
        started_at=_parse_ts(raw.get("startedAt")) or EPOCH,
        finished_at=_parse_ts(raw.get("finishedAt")) or EPOCH,
        succeeded=raw.get("result") == "Succeeded",
        old_secret_uuid=raw.get("oldSecretUuid", ""),
        new_secret_uuid=raw.get("newSecretUuid") or None,
        message=raw.get("message", ""),
    )


def _in_flight_to_dict(f: InFlight) -> dict[str, Any]:
    return {"seq": f.seq, "action": f.action, "holder": f.holder, "startedAt": _ts(f.started_at)}


def _in_flight_from_dict(raw: Mapping[str, Any] | None) -> InFlight | None:
    if not raw:
        return None
    return InFlight(
        seq=int(raw.get("seq") or 0),
        action=str(raw.get("action") or ""),
        holder=str(raw.get("holder") or ""),
        started_at=_parse_ts(raw.get("startedAt")) or EPOCH,
    )


def _retry_to_dict(r: Retry) -> dict[str, Any]:
    return {
        "action": r.action,
        "reason": r.reason.value,
        "message": r.message,
        "attempts": r.attempts,
        "since": _ts(r.since),
        "nextRetryAt": _ts(r.next_retry_at),
    }


def _retry_from_dict(raw: Mapping[str, Any] | None) -> Retry | None:
    if not raw:
        return None
    return Retry(
        action=str(raw.get("action") or ""),
        reason=_reason(raw.get("reason", "")),
        message=str(raw.get("message") or ""),
        attempts=int(raw.get("attempts") or 0),
        since=_parse_ts(raw.get("since")) or EPOCH,
        next_retry_at=_parse_ts(raw.get("nextRetryAt")) or EPOCH,
    )


def _token_to_dict(t: AccessTokenStatus) -> dict[str, Any]:
    failure = t.failure
    return {
        "secretName": t.secret_name,
        "key": t.key,
        "scopes": list(t.scopes),
        "secretUuid": t.secret_uuid,
        "issuedAt": _ts(t.issued_at),
        "expiresAt": _ts(t.expires_at),
        "refreshAt": _ts(t.refresh_at),
        "tokenHmac": t.fingerprint,
        "refreshes": t.refreshes,
        "failure": None
        if failure is None
        else {
            "reason": failure.reason.value,
            "message": failure.message,
            "attempts": failure.attempts,
            "since": _ts(failure.since),
            "nextRetryAt": _ts(failure.next_retry_at),
            "expiryReported": failure.expiry_reported,
        },
        "expiredFrom": _ts(t.expired_from),
        "expiredUntil": _ts(t.expired_until),
        "readersStamp": t.readers_stamp,
    }


def _token_from_dict(raw: Mapping[str, Any] | None) -> AccessTokenStatus | None:
    if not raw:
        return None
    failure = raw.get("failure")
    return AccessTokenStatus(
        secret_name=str(raw.get("secretName") or ""),
        key=str(raw.get("key") or DEFAULT_TOKEN_KEY),
        scopes=tuple(raw.get("scopes") or ()),
        secret_uuid=raw.get("secretUuid") or None,
        issued_at=_parse_ts(raw.get("issuedAt")),
        expires_at=_parse_ts(raw.get("expiresAt")),
        refresh_at=_parse_ts(raw.get("refreshAt")),
        fingerprint=raw.get("tokenHmac") or None,
        refreshes=int(raw.get("refreshes") or 0),
        failure=None
        if not failure
        else TokenFailure(
            reason=_reason(failure.get("reason", "")),
            message=str(failure.get("message") or ""),
            attempts=int(failure.get("attempts") or 0),
            since=_parse_ts(failure.get("since")) or EPOCH,
            next_retry_at=_parse_ts(failure.get("nextRetryAt")) or EPOCH,
            expiry_reported=bool(failure.get("expiryReported")),
        ),
        expired_from=_parse_ts(raw.get("expiredFrom")),
        expired_until=_parse_ts(raw.get("expiredUntil")),
        readers_stamp=raw.get("readersStamp") or None,
    )
