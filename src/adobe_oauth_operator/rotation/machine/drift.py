"""A Secret changed outside the operator: adopt a working value, or restore the known-good copy."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.machine.plan import Plan, in_progress, ready, stall, until
from adobe_oauth_operator.rotation.model import OnDrift, Rotation, Spec, Status, Step, Trigger
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.sensitive import same_hmac
from adobe_oauth_operator.timings import FAILED_ROTATION_RETRY


def drift_adopted(spec: Spec, status: Status, msg: m.DriftAdopted, now: datetime) -> Plan:
    """Someone put another working client secret of this credential into the Secret: use it."""
    text = (
        f"Secret {spec.secret_name} was changed outside the operator; Adobe accepts its client "
        f"secret {msg.secret_uuid}, which is now the current one (was {status.current_secret_uuid})"
    )
    status = replace(
        status,
        current_secret_uuid=msg.secret_uuid,
        current_secret_created_at=msg.created_at,
        secret_fingerprint=msg.fingerprint,
    )
    copy = known_good_action(spec, status, msg.fingerprint)
    return Plan(
        ready(status, Reason.SECRET_CHANGED, text, now),
        action=copy,
        events=(m.Event(False, Reason.SECRET_CHANGED, text),),
        requeue_after=None if copy else until(status.next_rotation_time, now),
    )


def known_good_action(spec: Spec, status: Status, app_fingerprint: str | None) -> m.Action | None:
    """Keep the known-good copy equal to the verified value the Secret holds (onDrift: Rotate),
    and keep none at all with onDrift: Report."""
    if spec.on_drift is OnDrift.REPORT:
        return m.DeleteKnownGood() if status.known_good_fingerprint is not None else None
    verified = status.secret_fingerprint
    if (
        verified is None
        or not same_hmac(app_fingerprint, verified)
        or same_hmac(status.known_good_fingerprint, verified)
        or status.current_secret_uuid is None
    ):
        return None
    return m.SaveKnownGood(verified, status.current_secret_uuid)


def restore(spec: Spec, status: Status, msg: m.DriftRefused, now: datetime) -> Plan:
    """The Secret holds a refused value: rotate from the known-good copy to a new working secret.

    A failed restore is not tried again within FAILED_ROTATION_RETRY: each attempt may add a secret.
    """
    last = status.history[0] if status.history else None
    refused = (
        f"Secret {spec.secret_name} was changed outside the operator and IMS refuses the client "
        "id and secret it now holds"
    )
    if last is not None and last.trigger is Trigger.DRIFT and not last.succeeded:
        retry_at = last.finished_at + FAILED_ROTATION_RETRY
        if now < retry_at:
            text = (
                f"{refused}; the restoring rotation {last.id} failed ({last.message}); the next "
                f"attempt is at {retry_at.isoformat(timespec='seconds')}, or put a working "
                "client secret of this credential into the Secret"
            )
            return stall(status, Reason.SECRET_DRIFTED, text, now, retry_at - now)
    rotation = Rotation(
        id=msg.rotation_id,
        step=Step.PREPARE,
        trigger=Trigger.DRIFT,
        started_at=now,
        old_secret_uuid=status.current_secret_uuid or "",
        from_known_good=True,
    )
    text = (
        f"{refused}; rotation {rotation.id} started from the known-good copy of "
        f"{rotation.old_secret_uuid} to put a new working client secret into it "
        "(spec.rotation.onDrift: Rotate)"
    )
    status = replace(status, rotation=rotation)
    return Plan(
        in_progress(status, Reason.SECRET_DRIFTED, text, now),
        action=m.Preflight(),
        events=(m.Event(True, Reason.SECRET_DRIFTED, text),),
    )
