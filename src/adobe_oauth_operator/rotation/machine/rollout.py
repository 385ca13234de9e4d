"""The steps after: write the Secret, restart its consumers, drain and delete the old secret."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.durations import format_duration
from adobe_oauth_operator.rotation.machine.endings import finish_succeeded
from adobe_oauth_operator.rotation.machine.fencing import MAX_REVERTS_PER_ROTATION
from adobe_oauth_operator.rotation.machine.plan import Plan, in_progress, stall
from adobe_oauth_operator.rotation.model import (
    JobConsumer,
    OnStillInUse,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    TargetProgress,
)
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import ROLLOUT_POLL


def _update_secret(
    spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime
) -> Plan:
    if isinstance(msg, m.AppSecretWritten):
        rot = replace(rot, step=Step.ROLLOUT, rollout_started_at=now)
        status = replace(status, secret_fingerprint=msg.fingerprint or status.secret_fingerprint)
        text = (
            f"rotation {rot.id}: Secret {spec.secret_name} now holds {rot.new_secret_uuid}; "
            "restarting its consumers"
        )
        return Plan(
            in_progress(replace(status, rotation=rot), Reason.SECRET_UPDATED, text, now),
            action=m.RestartTargets(rot.restart_id),
            events=(m.Event(False, Reason.SECRET_UPDATED, text),),
        )
    return Plan(status, action=m.WriteAppSecret(rot.restart_id, rot.new_secret_uuid or ""))


def _rollout(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.TargetsRestarted):
        return _on_restarted(spec, status, rot, msg, now)
    if isinstance(msg, m.RolloutsChecked):
        return _on_rollouts_checked(spec, status, rot, msg, now)
    return Plan(status, action=m.RestartTargets(rot.restart_id))


def _on_restarted(
    spec: Spec, status: Status, rot: Rotation, msg: m.TargetsRestarted, now: datetime
) -> Plan:
    events = tuple(
        m.Event(False, Reason.RESTARTED, f"restarted {target} for rotation {rot.restart_id}")
        for target, result in msg.results
        if result is m.RestartResult.RESTARTED
    )
    progress = tuple(
        TargetProgress(
            target, restarted=result in (m.RestartResult.RESTARTED, m.RestartResult.ALREADY)
        )
        for target, result in msg.results
    )
    jobs = _old_value_jobs(rot, msg.jobs)
    status = replace(status, rotation=replace(rot, targets=progress, jobs=jobs))
    events += _job_events(rot, jobs)
    blocked = [
        (t, r) for t, r in msg.results if r in (m.RestartResult.PAUSED, m.RestartResult.NOT_FOUND)
    ]
    if blocked:
        paused = [str(t) for t, r in blocked if r is m.RestartResult.PAUSED]
        missing = [str(t) for t, r in blocked if r is m.RestartResult.NOT_FOUND]
        reason = Reason.ROLLOUT_PAUSED if paused else Reason.TARGET_NOT_FOUND
        parts = [f"paused, not restarted: {', '.join(paused)} (resume it to continue)"] * bool(
            paused
        ) + [f"not found: {', '.join(missing)} (fix spec.rollout.targets)"] * bool(missing)
        text = f"rotation {rot.id}: " + "; ".join(parts) + "; the old secret is kept"
        plan = stall(status, reason, text, now, spec.check_interval)
        return replace(plan, events=events + plan.events)
    restarted = tuple(t for t, _ in msg.results)
    return Plan(status, action=m.CheckRollouts(rot.restart_id, restarted), events=events)


def _old_value_jobs(rot: Rotation, jobs: tuple[JobConsumer, ...]) -> tuple[JobConsumer, ...]:
    """CronJobs, and the Jobs that started before the Secret changed: those run the old value."""
    changed = rot.rollout_started_at
    return tuple(
        j for j in jobs if j.running_since is None or changed is None or j.running_since < changed
    )


def _job_events(rot: Rotation, jobs: tuple[JobConsumer, ...]) -> tuple[m.Event, ...]:
    """Say once per restart which consumers are left alone, and which still run the old value."""
    if not jobs:
        return ()
    listed = ", ".join(str(j) for j in jobs)
    events = [
        m.Event(
            False,
            Reason.JOBS_NOT_RESTARTED,
            f"rotation {rot.id}: {listed} read the Secret and are not restarted; each picks up "
            "the new value at its next run",
        )
    ]
    events += [
        m.Event(False, Reason.JOB_STILL_RUNNING, f"rotation {rot.id}: {j} is {j.note}")
        for j in jobs
        if j.running_since is not None
    ]
    return tuple(events)


def _on_rollouts_checked(
    spec: Spec, status: Status, rot: Rotation, msg: m.RolloutsChecked, now: datetime
) -> Plan:
    progress = tuple(TargetProgress(s.target, True, s.complete) for s in msg.states)
    rot = replace(rot, targets=progress)
    pending = [s for s in msg.states if not s.complete]
    if pending:
        status = replace(status, rotation=rot)
        started = rot.rollout_started_at or now
        detail = "; ".join(f"{s.target}: {s.message}" for s in pending)
        if now - started >= spec.rollout_timeout:
            text = (
                f"rotation {rot.id}: rollout not complete after "
                f"{format_duration(spec.rollout_timeout)} ({detail}); the old secret is kept"
            )
            return stall(status, Reason.ROLLOUT_TIMEOUT, text, now, spec.check_interval)
        text = f"rotation {rot.id}: waiting for rollouts ({detail})"
        return Plan(
            in_progress(status, Reason.ROTATING, text, now),
            requeue_after=min(ROLLOUT_POLL, spec.check_interval),
        )
    rot = replace(
        rot,
        rollout_completed_at=now,
        drain_deadline=now + spec.max_wait,
        delete_after=now + spec.drain_period,
        step=Step.DELETE_OLD if rot.emergency else Step.DRAIN,
        next_check_at=now,
    )
    names = ", ".join(str(s.target) for s in msg.states) or "no workloads to restart"
    text = f"rotation {rot.id}: rollout complete ({names})"
    status = in_progress(replace(status, rotation=rot), Reason.ROLLOUT_COMPLETE, text, now)
    action: m.Action = m.ListSecrets(m.Using.PENDING_SECRET)
    if rot.emergency:
        action = _delete_old_action(rot)
    return Plan(status, action=action, events=(m.Event(False, Reason.ROLLOUT_COMPLETE, text),))


def _drain(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.AppSecretReverted):
        return _reverted(spec, status, rot, msg, now)
    if rot.emergency:
        return _to_delete_old(status, rot, now, events=())
    if not isinstance(msg, m.SecretsListed):
        if rot.next_check_at is not None and now < rot.next_check_at:
            return Plan(status, requeue_after=rot.next_check_at - now)
        return Plan(status, action=m.ListSecrets(m.Using.PENDING_SECRET))
    old = next((s for s in msg.secrets if s.uuid == rot.old_secret_uuid), None)
    if old is None:
        return _to_delete_old(status, rot, now, events=())
    completed = rot.rollout_completed_at or now
    quiet_since = max(completed, old.last_used_at or completed)
    rot = replace(
        rot,
        old_last_used_at=old.last_used_at,
        delete_after=quiet_since + spec.drain_period,
        next_check_at=now + spec.check_interval,
    )
    if now - quiet_since >= spec.drain_period:
        return _to_delete_old(status, rot, now, events=())
    used_after = old.last_used_at is not None and old.last_used_at > completed
    events: tuple[m.Event, ...] = ()
    if used_after and not rot.still_in_use_reported:
        rot = replace(rot, still_in_use_reported=True)
        events = (m.Event(True, Reason.STILL_IN_USE, _still_in_use_text(rot, old)),)
    status = replace(status, rotation=rot)
    deadline = rot.drain_deadline or completed + spec.max_wait
    if used_after and now >= deadline:
        if spec.on_still_in_use is OnStillInUse.DELETE:
            text = (
                f"{_still_in_use_text(rot, old)}; maxWait has passed and onStillInUse is "
                "Delete: deleting it"
            )
            return _to_delete_old(
                status, rot, now, events=(*events, m.Event(True, Reason.DELETING_IN_USE, text))
            )
        text = (
            f"{_still_in_use_text(rot, old)}; maxWait has passed and onStillInUse is Wait: "
            "both secrets are kept until it falls out of use"
        )
        plan = stall(status, Reason.STILL_IN_USE, text, now, spec.check_interval)
        return replace(plan, events=events + plan.events)
    wait = spec.drain_period - (now - quiet_since)
    text = (
        f"rotation {rot.id}: waiting until the old secret {rot.old_secret_uuid} has been "
        f"unused for {format_duration(spec.drain_period)} ({format_duration(wait)} to go: "
        f"deleted after {_iso(rot.delete_after)} unless it is used again)"
    )
    return Plan(
        in_progress(status, Reason.DRAINING, text, now),
        events=events,
        requeue_after=min(spec.check_interval, max(wait, timedelta(0))),
    )


def _iso(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "unknown"


def _still_in_use_text(rot: Rotation, old: SecretMeta) -> str:
    used = old.last_used_at.isoformat() if old.last_used_at else "never"
    return (
        f"the old client secret {rot.old_secret_uuid} was used at {used}, after every "
        "restarted workload switched: a consumer outside the rolled workloads still uses it"
    )


def _to_delete_old(
    status: Status, rot: Rotation, now: datetime, events: tuple[m.Event, ...]
) -> Plan:
    rot = replace(rot, step=Step.DELETE_OLD)
    text = f"rotation {rot.id}: deleting the old secret {rot.old_secret_uuid}"
    return Plan(
        in_progress(replace(status, rotation=rot), Reason.ROTATING, text, now),
        action=_delete_old_action(rot),
        events=events,
    )


def _delete_old_action(rot: Rotation) -> m.DeleteSecret:
    """The executor deletes the old secret only after re-reading the Secret holds the new one."""
    return m.DeleteSecret(rot.old_secret_uuid, m.Using.PENDING_SECRET, m.DeleteGuard.APP_HOLDS_NEW)


def _delete_old(spec: Spec, status: Status, rot: Rotation, msg: m.Message, now: datetime) -> Plan:
    if isinstance(msg, m.SecretDeleted) and msg.secret_uuid == rot.old_secret_uuid:
        return finish_succeeded(spec, status, rot, now)
    if isinstance(msg, m.AppSecretReverted):
        return _reverted(spec, status, rot, msg, now)
    return Plan(status, action=_delete_old_action(rot))


def _reverted(
    spec: Spec, status: Status, rot: Rotation, msg: m.AppSecretReverted, now: datetime
) -> Plan:
    """The Secret was changed behind our back: keep the old secret, write the new one back, roll."""
    if rot.reverts >= MAX_REVERTS_PER_ROTATION:
        text = (
            f"rotation {rot.id}: Secret {spec.secret_name} was changed back {rot.reverts + 1} "
            f"times ({msg.detail}); stop the tool or person that rewrites it, then request a "
            f"rotation again; both secrets are kept"
        )
        return stall(status, Reason.SECRET_REVERTED, text, now, spec.check_interval)
    rot = replace(
        rot,
        step=Step.UPDATE_SECRET,
        reverts=rot.reverts + 1,
        rollout_started_at=None,
        rollout_completed_at=None,
        next_check_at=None,
        still_in_use_reported=False,
        targets=(),
    )
    text = (
        f"rotation {rot.id}: Secret {spec.secret_name} no longer holds the new client secret "
        f"{rot.new_secret_uuid} ({msg.detail}); the old secret {rot.old_secret_uuid} is kept, the "
        "new value is written back and the consumers restarted again"
    )
    return Plan(
        in_progress(replace(status, rotation=rot), Reason.SECRET_REVERTED, text, now),
        action=m.WriteAppSecret(rot.restart_id, rot.new_secret_uuid or ""),
        events=(m.Event(True, Reason.SECRET_REVERTED, text),),
    )


STEPS = {
    Step.UPDATE_SECRET: _update_secret,
    Step.ROLLOUT: _rollout,
    Step.DRAIN: _drain,
    Step.DELETE_OLD: _delete_old,
}
