"""The steps before the Secret changes: prepare, add (and the proof a secret is ours), verify."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.machine.endings import finish_failed
from adobe_oauth_operator.rotation.machine.plan import Plan, in_progress, stall
from adobe_oauth_operator.rotation.model import Rotation, SecretMeta, Spec, Status, Step
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import CLOCK_SKEW


def _prepare(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretDeleted):
        text = f"deleted client secret {msg.secret_uuid}, left by an unfinished add of {rot.id}"
        return Plan(
            status,
            action=m.ListSecrets(m.Using.APP_SECRET),
            events=(m.Event(True, Reason.ORPHAN_DELETED, text),),
        )
    if isinstance(msg, m.PreflightPassed):
        return Plan(status, action=m.ListSecrets(m.Using.APP_SECRET))
    if not isinstance(msg, m.SecretsListed):
        return Plan(status, action=m.Preflight())
    events: tuple[m.Event, ...] = ()
    if all(s.uuid != rot.old_secret_uuid for s in msg.secrets):
        events = (
            m.Event(
                True,
                Reason.CURRENT_SECRET_GONE,
                f"the current client secret {rot.old_secret_uuid} no longer exists in "
                "Adobe; the rotation goes on to restore a working secret",
            ),
        )
    plan = _settle_strays(spec, status, rot, msg.secrets, now)
    if plan is None:
        plan = _add_now(status, rot, msg.secrets, now)
    return replace(plan, events=events + plan.events)


def _settle_strays(
    spec: Spec, status: Status, rot: Rotation, secrets: tuple[SecretMeta, ...], now: datetime
) -> Plan | None:
    """Delete a secret proven to be ours whose value is lost; stall on a foreign one at the limit.

    None when nothing stands in the way of an add.
    """
    others = [s for s in secrets if s.uuid != rot.old_secret_uuid]
    ours = [s for s in others if proven_ours(rot, s)]
    if ours:
        return Plan(
            status,
            action=m.DeleteSecret(ours[0].uuid, m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW),
        )
    if len(secrets) < 2:
        return None
    foreign = "; ".join(_described(s) for s in others)
    text = (
        f"rotation {rot.id}: the credential already holds 2 client secrets and this operator did "
        f"not create {foreign}; it never deletes a secret it cannot prove it created: delete the "
        "unused one in the Adobe Developer Console to continue"
    )
    return stall(status, Reason.SECRET_LIMIT_REACHED, text, now, spec.check_interval)


def _described(secret: SecretMeta) -> str:
    if secret.created_at is None:
        return f"{secret.uuid} (creation time unknown)"
    return f"{secret.uuid} (created {secret.created_at.isoformat(timespec='seconds')})"


def _add_now(status: Status, rot: Rotation, secrets: tuple[SecretMeta, ...], now: datetime) -> Plan:
    """Record what Adobe holds right before the add: the evidence that attributes the result."""
    rot = replace(
        rot,
        step=Step.ADD,
        pre_add_uuids=tuple(sorted(s.uuid for s in secrets)),
        add_attempted_at=now,
    )
    status = replace(status, rotation=rot)
    return Plan(
        in_progress(status, Reason.ROTATING, f"rotation {rot.id}: adding a new secret", now),
        action=m.AddSecret(rot.id),
    )


def proven_ours(rot: Rotation, secret: SecretMeta) -> bool:
    """Created by this rotation's latest add: absent from the list taken right before it, and
    created no earlier than the add was sent (less the clock skew)."""
    return (
        rot.add_attempted_at is not None
        and secret.uuid != rot.old_secret_uuid
        and secret.uuid not in rot.pre_add_uuids
        and secret.created_at is not None
        and secret.created_at >= rot.add_attempted_at - CLOCK_SKEW
    )


def _add(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretAdded):
        if msg.secret_uuid is None or msg.created_at is None:
            return _learn_added(status, rot, msg.secret_uuid, now)
        return _added(status, rot, msg.secret_uuid, msg.created_at, now)
    if isinstance(msg, m.AddOutcomeUnknown):
        text = (
            f"rotation {rot.id}: the response to adding a secret was lost; listing secrets "
            "to find and delete a secret whose value nobody received"
        )
        return Plan(
            status,
            action=m.InspectPending(rot.id),
            events=(m.Event(True, Reason.ADD_RESPONSE_LOST, text),),
        )
    if isinstance(msg, m.SecretDeleted):
        text = f"deleted client secret {msg.secret_uuid}, whose value was lost by an earlier add"
        return Plan(
            status,
            action=m.InspectPending(rot.id),
            events=(m.Event(True, Reason.ORPHAN_DELETED, text),),
        )
    if not isinstance(msg, m.PendingInspected):
        return Plan(status, action=m.InspectPending(rot.id))
    listed = next((s for s in msg.secrets if s.uuid == msg.pending_uuid), None)
    if listed is not None:
        return _added(status, rot, listed.uuid, listed.created_at, now)
    if msg.unnamed_value_held:
        return _name_added(spec, status, rot, msg.secrets, now)
    plan = _settle_strays(spec, status, rot, msg.secrets, now)
    return plan if plan is not None else _add_now(status, rot, msg.secrets, now)


def _learn_added(status: Status, rot: Rotation, uuid: str | None, now: datetime) -> Plan:
    """Adobe's add answer (as its OpenAPI description documents it) lacked the uuid or the
    creation time: the value is safe in the pending Secret; the next list tells the rest."""
    missing = "uuid and creation time" if uuid is None else "creation time"
    text = (
        f"rotation {rot.id}: added a client secret; Adobe's answer did not name its {missing}, "
        "listing the secrets to learn it (the new value is kept in the pending Secret)"
    )
    return Plan(in_progress(status, Reason.ROTATING, text, now), action=m.InspectPending(rot.id))


def _name_added(
    spec: Spec, status: Status, rot: Rotation, secrets: tuple[SecretMeta, ...], now: datetime
) -> Plan:
    """The pending Secret holds the value of an add whose answer named no uuid: the new secret
    is the one secret proven created by that add. Anything else deletes nothing."""
    new = [s for s in secrets if proven_ours(rot, s)]
    if len(new) == 1:
        return _added(status, rot, new[0].uuid, new[0].created_at, now)
    unexplained = [s for s in secrets if s.uuid != rot.old_secret_uuid and s not in new]
    if len(new) > 1:
        what = f"{len(new)} client secrets were created since it was sent"
    elif unexplained:
        what = "no client secret is proven created by it"
    else:
        what = "Adobe does not list a new client secret yet"
    listed = "; ".join(_described(s) for s in secrets) or "none"
    text = (
        f"rotation {rot.id}: the add answer named no uuid and {what} (listed: {listed}); "
        "the new value is kept in the pending Secret and nothing is deleted: if another tool "
        "added a secret to this credential, delete it in the Adobe Developer Console to continue"
    )
    return stall(status, Reason.NEW_SECRET_UNIDENTIFIED, text, now, spec.check_interval)


def _added(
    status: Status, rot: Rotation, uuid: str, created_at: datetime | None, now: datetime
) -> Plan:
    rot = replace(rot, step=Step.VERIFY, new_secret_uuid=uuid, new_secret_created_at=created_at)
    text = f"rotation {rot.id}: added client secret {uuid}; verifying it"
    return Plan(
        in_progress(replace(status, rotation=rot), Reason.SECRET_ADDED, text, now),
        action=m.VerifyNewSecret(),
        events=(m.Event(False, Reason.SECRET_ADDED, text),),
    )


def _verify(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.Verified):
        rot = replace(rot, step=Step.UPDATE_SECRET)
        text = f"rotation {rot.id}: the new secret {rot.new_secret_uuid} works; updating the Secret"
        return Plan(
            in_progress(replace(status, rotation=rot), Reason.VERIFIED, text, now),
            action=m.WriteAppSecret(rot.restart_id, rot.new_secret_uuid or ""),
            events=(m.Event(False, Reason.VERIFIED, text),),
        )
    if isinstance(msg, m.VerifyRejected):
        text = (
            f"rotation {rot.id}: the new secret {rot.new_secret_uuid} was refused by IMS "
            f"({msg.message}); deleting it and keeping the old one"
        )
        return Plan(
            status,
            action=m.DeleteSecret(
                rot.new_secret_uuid or "", m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW
            ),
            events=(m.Event(True, Reason.VERIFICATION_FAILED, text),),
        )
    if isinstance(msg, m.SecretDeleted) and msg.secret_uuid == rot.new_secret_uuid:
        return finish_failed(
            spec,
            status,
            rot,
            Reason.VERIFICATION_FAILED,
            "the new secret failed verification and was deleted; the old secret is unchanged",
            now,
        )
    return Plan(status, action=m.VerifyNewSecret())


STEPS = {Step.PREPARE: _prepare, Step.ADD: _add, Step.VERIFY: _verify}
