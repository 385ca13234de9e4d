"""The wire (dict) form of the status records, as the API server stores them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adobe_oauth_operator.rotation.conditions import Condition, ConditionType
from adobe_oauth_operator.rotation.model.records import (
    AccessTokenStatus,
    Claim,
    CredentialIds,
    HistoryEntry,
    InFlight,
    JobConsumer,
    JobKind,
    Retry,
    Rotation,
    Step,
    TargetProgress,
    TokenFailure,
    Trigger,
)
from adobe_oauth_operator.rotation.model.spec import DEFAULT_TOKEN_KEY, Target
from adobe_oauth_operator.rotation.model.timestamps import EPOCH, parse_ts, ts
from adobe_oauth_operator.rotation.reasons import Reason


def condition_to_dict(c: Condition) -> dict[str, Any]:
    return {
        "type": c.type.value,
        "status": "True" if c.status else "False",
        "reason": c.reason.value,
        "message": c.message,
        "lastTransitionTime": ts(c.last_transition_time),
    }


def _reason(text: object) -> Reason:
    return Reason(str(text)) if text in Reason._value2member_map_ else Reason.IDLE


def condition_from_dict(raw: Mapping[str, Any]) -> Condition:
    return Condition(
        type=ConditionType(raw["type"]),
        status=raw.get("status") == "True",
        reason=_reason(raw.get("reason", "")),
        message=raw.get("message", ""),
        last_transition_time=parse_ts(raw.get("lastTransitionTime")) or EPOCH,
    )


def rotation_to_dict(r: Rotation) -> dict[str, Any]:
    return {
        "id": r.id,
        "step": r.step.value,
        "reason": r.trigger.value,
        "startedAt": ts(r.started_at),
        "oldSecretUuid": r.old_secret_uuid,
        "newSecretUuid": r.new_secret_uuid,
        "newSecretCreatedAt": ts(r.new_secret_created_at),
        "rolloutStartedAt": ts(r.rollout_started_at),
        "rolloutCompletedAt": ts(r.rollout_completed_at),
        "drainDeadline": ts(r.drain_deadline),
        "nextCheckAt": ts(r.next_check_at),
        "oldLastUsedAt": ts(r.old_last_used_at),
        "drain": _drain_to_dict(r),
        "stillInUseReported": r.still_in_use_reported,
        "addAttempts": r.add_attempts,
        "deleteAttempts": r.delete_attempts,
        "preAddUuids": list(r.pre_add_uuids),
        "addAttemptedAt": ts(r.add_attempted_at),
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
                "runningSince": ts(j.running_since),
                "message": j.note,
            }
            for j in r.jobs
        ],
    }


def _drain_to_dict(r: Rotation) -> dict[str, Any] | None:
    if r.step is not Step.DRAIN or r.delete_after is None:
        return None
    return {"oldSecretLastUsed": ts(r.old_last_used_at), "deleteAfter": ts(r.delete_after)}


def rotation_from_dict(raw: Mapping[str, Any]) -> Rotation:
    return Rotation(
        id=raw["id"],
        step=Step(raw["step"]),
        trigger=Trigger(raw.get("reason") or Trigger.ON_DEMAND),
        started_at=parse_ts(raw["startedAt"]) or EPOCH,
        old_secret_uuid=raw["oldSecretUuid"],
        new_secret_uuid=raw.get("newSecretUuid"),
        new_secret_created_at=parse_ts(raw.get("newSecretCreatedAt")),
        rollout_started_at=parse_ts(raw.get("rolloutStartedAt")),
        rollout_completed_at=parse_ts(raw.get("rolloutCompletedAt")),
        drain_deadline=parse_ts(raw.get("drainDeadline")),
        next_check_at=parse_ts(raw.get("nextCheckAt")),
        old_last_used_at=parse_ts(raw.get("oldLastUsedAt")),
        delete_after=parse_ts((raw.get("drain") or {}).get("deleteAfter")),
        still_in_use_reported=bool(raw.get("stillInUseReported")),
        add_attempts=int(raw.get("addAttempts") or 0),
        delete_attempts=int(raw.get("deleteAttempts") or 0),
        pre_add_uuids=tuple(raw.get("preAddUuids") or ()),
        add_attempted_at=parse_ts(raw.get("addAttemptedAt")),
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
            JobConsumer(JobKind(j["kind"]), j["name"], parse_ts(j.get("runningSince")))
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


def claim_to_dict(c: Claim) -> dict[str, Any]:
    return {
        "orgId": c.org_id,
        "credentialId": c.credential_id,
        "secretName": c.secret_name,
        "tokenSecretName": c.token_secret_name,
        "since": ts(c.since),
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
        since=parse_ts(raw.get("since")) or EPOCH,
        confirmed=bool(raw.get("confirmed")),
    )


def history_to_dict(h: HistoryEntry) -> dict[str, Any]:
    return {
        "id": h.id,
        "reason": h.trigger.value,
        "startedAt": ts(h.started_at),
        "finishedAt": ts(h.finished_at),
        "result": "Succeeded" if h.succeeded else "Failed",
        "oldSecretUuid": h.old_secret_uuid,
        "newSecretUuid": h.new_secret_uuid or "",
        "message": h.message,
    }


def history_from_dict(raw: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        id=raw["id"],
        trigger=Trigger(raw.get("reason") or Trigger.ON_DEMAND),
        started_at=parse_ts(raw.get("startedAt")) or EPOCH,
        finished_at=parse_ts(raw.get("finishedAt")) or EPOCH,
        succeeded=raw.get("result") == "Succeeded",
        old_secret_uuid=raw.get("oldSecretUuid", ""),
        new_secret_uuid=raw.get("newSecretUuid") or None,
        message=raw.get("message", ""),
    )


def in_flight_to_dict(f: InFlight) -> dict[str, Any]:
    return {"seq": f.seq, "action": f.action, "holder": f.holder, "startedAt": ts(f.started_at)}


def in_flight_from_dict(raw: Mapping[str, Any] | None) -> InFlight | None:
    if not raw:
        return None
    return InFlight(
        seq=int(raw.get("seq") or 0),
        action=str(raw.get("action") or ""),
        holder=str(raw.get("holder") or ""),
        started_at=parse_ts(raw.get("startedAt")) or EPOCH,
    )


def retry_to_dict(r: Retry) -> dict[str, Any]:
    return {
        "action": r.action,
        "reason": r.reason.value,
        "message": r.message,
        "attempts": r.attempts,
        "since": ts(r.since),
        "nextRetryAt": ts(r.next_retry_at),
    }


def retry_from_dict(raw: Mapping[str, Any] | None) -> Retry | None:
    if not raw:
        return None
    return Retry(
        action=str(raw.get("action") or ""),
        reason=_reason(raw.get("reason", "")),
        message=str(raw.get("message") or ""),
        attempts=int(raw.get("attempts") or 0),
        since=parse_ts(raw.get("since")) or EPOCH,
        next_retry_at=parse_ts(raw.get("nextRetryAt")) or EPOCH,
    )


def token_to_dict(t: AccessTokenStatus) -> dict[str, Any]:
    failure = t.failure
    return {
        "secretName": t.secret_name,
        "key": t.key,
        "scopes": list(t.scopes),
        "secretUuid": t.secret_uuid,
        "issuedAt": ts(t.issued_at),
        "expiresAt": ts(t.expires_at),
        "refreshAt": ts(t.refresh_at),
        "tokenHmac": t.fingerprint,
        "refreshes": t.refreshes,
        "failure": None
        if failure is None
        else {
            "reason": failure.reason.value,
            "message": failure.message,
            "attempts": failure.attempts,
            "since": ts(failure.since),
            "nextRetryAt": ts(failure.next_retry_at),
            "expiryReported": failure.expiry_reported,
        },
        "expiredFrom": ts(t.expired_from),
        "expiredUntil": ts(t.expired_until),
        "readersStamp": t.readers_stamp,
    }


def token_from_dict(raw: Mapping[str, Any] | None) -> AccessTokenStatus | None:
    if not raw:
        return None
    failure = raw.get("failure")
    return AccessTokenStatus(
        secret_name=str(raw.get("secretName") or ""),
        key=str(raw.get("key") or DEFAULT_TOKEN_KEY),
        scopes=tuple(raw.get("scopes") or ()),
        secret_uuid=raw.get("secretUuid") or None,
        issued_at=parse_ts(raw.get("issuedAt")),
        expires_at=parse_ts(raw.get("expiresAt")),
        refresh_at=parse_ts(raw.get("refreshAt")),
        fingerprint=raw.get("tokenHmac") or None,
        refreshes=int(raw.get("refreshes") or 0),
        failure=None
        if not failure
        else TokenFailure(
            reason=_reason(failure.get("reason", "")),
            message=str(failure.get("message") or ""),
            attempts=int(failure.get("attempts") or 0),
            since=parse_ts(failure.get("since")) or EPOCH,
            next_retry_at=parse_ts(failure.get("nextRetryAt")) or EPOCH,
            expiry_reported=bool(failure.get("expiryReported")),
        ),
        expired_from=parse_ts(raw.get("expiredFrom")),
        expired_until=parse_ts(raw.get("expiredUntil")),
        readers_stamp=raw.get("readersStamp") or None,
    )
