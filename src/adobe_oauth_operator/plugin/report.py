"""What `kubectl aoc status` and `history` show: one summary, rendered as text, JSON or YAML."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from adobe_oauth_operator.plugin.kube import PluginError
from adobe_oauth_operator.rotation.model import Rotation, Status, Step, TargetProgress

HISTORY_SHOWN = 5
EVENTS_SHOWN = 10


def summary(obj: dict[str, Any], events: Sequence[Any], now: datetime) -> dict[str, Any]:
    """Everything `status` shows, as plain data (the -o json|yaml form).

    Status is read with the operator's own decoder; times and records are shown in the form the
    operator writes them (the model's encoding of what it decoded)."""
    meta, spec = obj["metadata"], obj.get("spec") or {}
    status = read_status(obj.get("status"))
    wire = status.to_dict()
    rotation_spec = spec.get("rotation") or {}
    current = status.current_secret_uuid
    return {
        "name": meta["name"],
        "namespace": meta.get("namespace"),
        "phase": status.phase.value,
        "suspended": bool(spec.get("suspend")),
        "conditions": wire["conditions"],
        "currentSecret": _current_secret(status, wire, current, now) if current else None,
        "schedule": {
            "interval": rotation_spec.get("interval") or None,
            "window": rotation_spec.get("window"),
            "lastRotationTime": wire["lastRotationTime"],
            "nextRotationTime": wire["nextRotationTime"],
        },
        "rotation": _rotation(status.rotation, wire["rotation"], now),
        "retry": wire["retry"],
        "history": wire["history"],
        "events": [_event(e) for e in events][-EVENTS_SHOWN:],
    }


def history(raw_status: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The rotations status records, newest first, as the operator writes them."""
    history: list[dict[str, Any]] = read_status(raw_status).to_dict()["history"]
    return history


def read_status(raw_status: dict[str, Any] | None) -> Status:
    """Status through the operator's decoder; one it cannot read (written by another operator
    version) is a one-line error naming the field, never a traceback."""
    try:
        return Status.from_dict(raw_status)
    except (ValueError, KeyError, TypeError) as exc:
        raise PluginError(
            f"cannot read this resource's status ({type(exc).__name__}: {exc}); it was probably "
            "written by a different operator version: use the kubectl aoc of that version"
        ) from exc


def _current_secret(
    status: Status, wire: dict[str, Any], uuid: str, now: datetime
) -> dict[str, Any]:
    """The current secret, when Adobe created it, and since when it is in use: made by a
    rotation, or adopted. Its age counts from its creation; from `since` when status lacks it
    (written by an older operator: for an adopted secret a lower bound)."""
    made_by = next((h for h in status.history if h.new_secret_uuid == uuid), None)
    if made_by is not None:
        since = wire["history"][status.history.index(made_by)]["startedAt"]
    else:
        since = wire["adoptedAt"]
    created = wire["currentSecretCreatedAt"]
    born = status.current_secret_created_at or (
        made_by.started_at if made_by else status.adopted_at
    )
    return {
        "uuid": uuid,
        "createdAt": created,
        "since": since,
        "ageSeconds": int((now - born).total_seconds()) if born else None,
        "origin": f"rotation {made_by.id}" if made_by else "adopted",
    }


def _rotation(
    rot: Rotation | None, wire: dict[str, Any] | None, now: datetime
) -> dict[str, Any] | None:
    if rot is None or wire is None:
        return None
    deadline = rot.drain_deadline
    drain = None
    if rot.step in (Step.DRAIN, Step.DELETE_OLD) or deadline:
        drain = {
            "oldSecretLastUsedAt": wire["oldLastUsedAt"],
            "deadline": wire["drainDeadline"],
            "secondsLeft": max(0, int((deadline - now).total_seconds())) if deadline else None,
            "nextCheckAt": wire["nextCheckAt"],
        }
    return {
        "id": rot.id,
        "step": rot.step.value,
        "trigger": rot.trigger.value,
        "startedAt": wire["startedAt"],
        "oldSecretUuid": rot.old_secret_uuid,
        "newSecretUuid": rot.new_secret_uuid,
        "targets": [
            {"target": f"{t.target.kind}/{t.target.name}", "state": _rollout_state(t)}
            for t in rot.targets
        ],
        "rolloutStartedAt": wire["rolloutStartedAt"],
        "rolloutCompletedAt": wire["rolloutCompletedAt"],
        "drain": drain,
    }


def _rollout_state(target: TargetProgress) -> str:
    if target.complete:
        return "rolled out"
    return "rolling out" if target.restarted else "waiting for restart"


def _event(event: Any) -> dict[str, Any]:
    when = event.last_timestamp or event.event_time or event.first_timestamp
    return {
        "time": stamp(when) if when else None,
        "type": event.type,
        "reason": event.reason,
        "message": event.message,
        "count": event.count or 1,
    }


# -- text ---------------------------------------------------------------------------------------
def status_text(s: dict[str, Any], now: datetime) -> str:
    lines = [
        f"Name:       {s['name']}",
        f"Namespace:  {s['namespace']}",
        f"Phase:      {s['phase']}"
        + ("  (suspended: spec.suspend is true)" if s["suspended"] else ""),
        "Conditions:",
    ]
    for c in s["conditions"]:
        lines.append(
            f"  {c['type']:<9} {c['status']:<6} {c.get('reason', ''):<22}"
            f" {c.get('message', '')}  ({ago(c.get('lastTransitionTime'), now)})"
        )
    if not s["conditions"]:
        lines.append("  none yet: the operator has not reconciled this resource")
    current = s["currentSecret"]
    if current and current["createdAt"]:
        lines.append(
            f"Current secret: {current['uuid']}, created {current['createdAt']}"
            f" ({ago(current['createdAt'], now)}), in use since {current['since']}"
            f" ({current['origin']})"
        )
    elif current:
        lines.append(
            f"Current secret: {current['uuid']}, in use since {current['since']}"
            f" ({ago(current['since'], now)}, {current['origin']})"
        )
    else:
        lines.append("Current secret: not adopted yet")
    lines += _schedule_lines(s["schedule"], now)
    lines += _rotation_lines(s["rotation"], now)
    if s["retry"]:
        r = s["retry"]
        lines.append(
            f"Retrying:   {r['action']} failed {r['attempts']}x ({r['reason']}): {r['message']};"
            f" next try {in_(r.get('nextRetryAt'), now)}"
        )
    lines.append(f"Last rotations (newest first, {min(len(s['history']), HISTORY_SHOWN)} shown):")
    lines += ["  " + row for row in history_rows(s["history"][:HISTORY_SHOWN], now)] or []
    if not s["history"]:
        lines.append("  none")
    lines.append("Events:")
    for e in s["events"]:
        lines.append(
            f"  {ago(e['time'], now):>10}  {e['type']:<8} {e['reason']:<24} {e['message']}"
        )
    if not s["events"]:
        lines.append("  none")
    return "\n".join(lines)


def _schedule_lines(schedule: dict[str, Any], now: datetime) -> list[str]:
    interval = schedule["interval"]
    lines = [f"Schedule:   {'every ' + interval if interval else 'on demand only'}"]
    window = schedule["window"]
    if window:
        days = ",".join(window.get("days") or ["every day"])
        lines.append(
            f"  Window:         {days} {window.get('start')}-{window.get('end')}"
            f" {window.get('timeZone')} (scheduled rotations start only inside it)"
        )
    if schedule["lastRotationTime"]:
        last = schedule["lastRotationTime"]
        lines.append(f"  Last rotation:  {last} ({ago(last, now)})")
    if schedule["nextRotationTime"]:
        nxt = schedule["nextRotationTime"]
        lines.append(f"  Next rotation:  {nxt} ({in_(nxt, now)})")
    return lines


def _rotation_lines(rot: dict[str, Any] | None, now: datetime) -> list[str]:
    if rot is None:
        return ["Rotation in progress: none"]
    started = ago(rot["startedAt"], now)
    lines = [
        f"Rotation in progress: {rot['id']} ({rot['trigger']}), started {started}",
        f"  Step:        {rot['step']}",
        f"  Old secret:  {rot['oldSecretUuid']}",
        f"  New secret:  {rot['newSecretUuid'] or 'not created yet'}",
    ]
    if rot["targets"]:
        lines.append("  Targets:")
        lines += [f"    {t['target']:<32} {t['state']}" for t in rot["targets"]]
    elif rot["rolloutStartedAt"]:
        lines.append("  Targets:     none found")
    drain = rot["drain"]
    if drain:
        used = drain["oldSecretLastUsedAt"]
        lines.append(
            "  Drain:       old secret last used "
            + (f"{used} ({ago(used, now)})" if used else "never seen used")
        )
        if drain["deadline"]:
            lines.append(
                f"               deadline {drain['deadline']}"
                f" ({human(timedelta(seconds=drain['secondsLeft']))} left)"
            )
    return lines


def history_rows(history: Sequence[dict[str, Any]], now: datetime) -> list[str]:
    rows = [f"{'ID':<22} {'TRIGGER':<10} {'RESULT':<10} {'STARTED':<12} {'TOOK':<8} NEW SECRET"]
    for h in history:
        started, finished = parse(h.get("startedAt")), parse(h.get("finishedAt"))
        took = human(finished - started) if started and finished else "-"
        rows.append(
            f"{h.get('id', ''):<22} {h.get('reason', ''):<10} {h.get('result', ''):<10}"
            f" {ago(h.get('startedAt'), now):<12} {took:<8} {h.get('newSecretUuid') or '-'}"
        )
    return rows if history else []


def history_text(history: Sequence[dict[str, Any]], now: datetime) -> str:
    if not history:
        return "no rotations yet"
    lines = history_rows(history, now)
    failed = [h for h in history if h.get("result") != "Succeeded"]
    lines += [f"{h['id']}: {h.get('message', '')}" for h in failed]
    return "\n".join(lines)


def dump(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, default=str)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip()


# -- time ---------------------------------------------------------------------------------------
def parse(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def human(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            major, rest = divmod(seconds, size)
            minor = {"d": ("h", 3600), "h": ("m", 60), "m": ("s", 1)}[unit]
            extra = rest // minor[1]
            return f"{major}{unit}{extra}{minor[0]}" if extra else f"{major}{unit}"
    return f"{seconds}s"


def ago(text: str | None, now: datetime) -> str:
    when = parse(text)
    return f"{human(now - when)} ago" if when else "-"


def in_(text: str | None, now: datetime) -> str:
    when = parse(text)
    if when is None:
        return "-"
    return f"in {human(when - now)}" if when > now else f"due {human(now - when)} ago"
