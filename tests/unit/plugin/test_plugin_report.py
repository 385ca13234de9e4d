"""What `kubectl aoc status` and `history` print, from stored objects and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from adobe_oauth_operator.plugin import report
from adobe_oauth_operator.plugin.check import Result
from adobe_oauth_operator.plugin.main import build_parser
from adobe_oauth_operator.rotation.model import (
    HistoryEntry,
    Phase,
    Rotation,
    Status,
    Step,
    Target,
    TargetProgress,
    Trigger,
)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
OLD, NEW = "a" * 32, "b" * 32


def ts(minutes_ago: float) -> str:
    """A time as the operator writes it into status (milliseconds, UTC, Z)."""
    when = NOW - timedelta(minutes=minutes_ago)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def draining() -> dict[str, Any]:
    return {
        "metadata": {"name": "payments", "namespace": "team", "uid": "u1"},
        "spec": {
            "rotation": {
                "interval": "720h",
                "window": {"days": ["Mon"], "start": "09:00", "end": "16:00", "timeZone": "UTC"},
            }
        },
        "status": {
            "phase": "Rotating",
            "currentSecretUuid": OLD,
            "adoptedAt": ts(60 * 24 * 3),
            "nextRotationTime": ts(-60 * 24 * 30),
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "UpToDate",
                    "message": "ok",
                    "lastTransitionTime": ts(90),
                },
            ],
            "rotation": {
                "id": "20261102-115000-abcd",
                "step": "Drain",
                "reason": "OnDemand",
                "startedAt": ts(10),
                "oldSecretUuid": OLD,
                "newSecretUuid": NEW,
                "rolloutStartedAt": ts(8),
                "rolloutCompletedAt": ts(7),
                "drainDeadline": ts(-5),
                "oldLastUsedAt": ts(9),
                "targets": [
                    {"kind": "Deployment", "name": "web", "restarted": True, "complete": True},
                    {"kind": "StatefulSet", "name": "db", "restarted": True, "complete": False},
                    {"kind": "DaemonSet", "name": "agent", "restarted": False, "complete": False},
                ],
            },
            "history": [
                {
                    "id": "r0",
                    "reason": "Emergency",
                    "result": "Failed",
                    "startedAt": ts(120),
                    "finishedAt": ts(118),
                    "oldSecretUuid": OLD,
                    "newSecretUuid": "",
                    "message": "rotation r0 failed: IMS refused the new secret",
                },
            ],
        },
    }


def event(reason: str, minutes_ago: float) -> Any:
    return SimpleNamespace(
        last_timestamp=NOW - timedelta(minutes=minutes_ago),
        event_time=None,
        first_timestamp=None,
        type="Normal",
        reason=reason,
        message=f"{reason} text",
        count=1,
    )


def test_summary_of_a_draining_rotation() -> None:
    s = report.summary(draining(), [event("RotationStarted", 10)], NOW)
    # Written by an operator that recorded no creation time: the age counts from the adoption.
    assert s["currentSecret"] == {
        "uuid": OLD,
        "createdAt": None,
        "since": ts(60 * 24 * 3),
        "ageSeconds": 3 * 86400,
        "origin": "adopted",
    }
    rot = s["rotation"]
    assert [t["state"] for t in rot["targets"]] == [
        "rolled out",
        "rolling out",
        "waiting for restart",
    ]
    assert rot["drain"]["secondsLeft"] == 300
    assert rot["drain"]["oldSecretLastUsedAt"] == ts(9)
    assert s["events"][0]["reason"] == "RotationStarted"


def test_status_text_is_one_readable_screen() -> None:
    s = report.summary(draining(), [event("RotationStarted", 10)], NOW)
    text = report.status_text(s, NOW)
    for expected in (
        "Phase:      Rotating",
        "Ready     True   UpToDate",
        f"Current secret: {OLD}",
        "3d ago, adopted",
        "Schedule:   every 720h",
        "Window:         Mon 09:00-16:00 UTC",
        "Next rotation:  ",
        "(in 30d)",
        "Rotation in progress: 20261102-115000-abcd (OnDemand), started 10m ago",
        "Deployment/web                   rolled out",
        "DaemonSet/agent                  waiting for restart",
        "old secret last used",
        "(9m ago)",
        "(5m left)",
        "r0",
        "Emergency",
        "RotationStarted",
    ):
        assert expected in text, expected
    assert len(text.splitlines()) < 40


def test_a_secret_made_by_a_rotation_says_so() -> None:
    obj = draining()
    obj["status"]["rotation"] = None
    obj["status"]["currentSecretUuid"] = NEW
    obj["status"]["history"].insert(
        0,
        {
            "id": "r1",
            "reason": "Scheduled",
            "result": "Succeeded",
            "startedAt": ts(30),
            "finishedAt": ts(25),
            "newSecretUuid": NEW,
        },
    )
    s = report.summary(obj, [], NOW)
    assert s["currentSecret"]["origin"] == "rotation r1"
    assert s["currentSecret"]["ageSeconds"] == 30 * 60
    assert "Rotation in progress: none" in report.status_text(s, NOW)


def test_the_age_counts_from_when_adobe_created_the_secret() -> None:
    obj = draining()
    obj["status"]["currentSecretCreatedAt"] = ts(60 * 24 * 40)  # created 40 days before adoption
    s = report.summary(obj, [], NOW)
    assert s["currentSecret"] == {
        "uuid": OLD,
        "createdAt": ts(60 * 24 * 40),
        "since": ts(60 * 24 * 3),
        "ageSeconds": 40 * 86400,
        "origin": "adopted",
    }
    text = report.status_text(s, NOW)
    assert f"Current secret: {OLD}, created {ts(60 * 24 * 40)} (40d ago), in use since" in text
    assert "(adopted)" in text


def test_history_text_lists_rows_and_the_failures_message() -> None:
    text = report.history_text(draining()["status"]["history"], NOW)
    assert text.splitlines()[0].split()[:4] == ["ID", "TRIGGER", "RESULT", "STARTED"]
    assert "r0: rotation r0 failed: IMS refused the new secret" in text
    assert report.history_text([], NOW) == "no rotations yet"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "5s"),
        (timedelta(minutes=1, seconds=5), "1m5s"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=3, hours=4), "3d4h"),
        (timedelta(seconds=-90), "1m30s"),
    ],
)
def test_human_durations(delta: timedelta, text: str) -> None:
    assert report.human(delta) == text


def test_check_result_lines() -> None:
    assert Result("token", True).lines() == ["[ok]   token"]
    assert Result("Secret", False, "missing", "create it").lines() == [
        "[FAIL] Secret: missing",
        "       fix: create it",
    ]
    assert Result("token", None, "not checked").lines() == ["[skip] token: not checked"]


@pytest.mark.parametrize(
    "argv",
    [
        ["rotate"],
        ["rotate", "x", "--all"],
        ["status"],
        ["status", "x", "-o", "table"],
    ],
)
def test_bad_arguments_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2


def test_it_shows_status_as_the_operator_wrote_it_read_with_the_operators_decoder() -> None:
    """A status the operator wrote (the model's encoding) is shown with the same times and
    records, to the millisecond: the plugin has no reading of its own."""
    at = NOW - timedelta(minutes=10, milliseconds=123)
    rotation = Rotation(
        "r2",
        Step.DRAIN,
        Trigger.ON_DEMAND,
        at,
        OLD,
        NEW,
        drain_deadline=NOW + timedelta(minutes=5),
        old_last_used_at=at,
        targets=(TargetProgress(Target("Deployment", "web"), True, False),),
    )
    history = HistoryEntry("r1", Trigger.SCHEDULED, at, at, True, "c" * 32, OLD, "done")
    written = Status(
        phase=Phase.ROTATING,
        current_secret_uuid=OLD,
        current_secret_created_at=at - timedelta(days=1),
        adopted_at=at - timedelta(days=2),
        next_rotation_time=NOW + timedelta(days=30),
        rotation=rotation,
        history=(history,),
    ).to_dict()
    s = report.summary({"metadata": {"name": "p"}, "status": written}, [], NOW)
    assert s["phase"] == "Rotating"
    assert s["currentSecret"]["createdAt"] == written["currentSecretCreatedAt"]
    assert s["currentSecret"]["since"] == written["history"][0]["startedAt"]
    assert s["currentSecret"]["origin"] == "rotation r1"
    assert s["schedule"]["nextRotationTime"] == written["nextRotationTime"]
    assert s["history"] == written["history"]
    shown = s["rotation"]
    assert (shown["id"], shown["step"], shown["trigger"]) == ("r2", "Drain", "OnDemand")
    assert shown["startedAt"] == written["rotation"]["startedAt"]
    assert shown["startedAt"].endswith(".877Z")
    assert shown["targets"] == [{"target": "Deployment/web", "state": "rolling out"}]
    assert shown["drain"]["deadline"] == written["rotation"]["drainDeadline"]
    assert shown["drain"]["secondsLeft"] == 300
    assert report.history(written) == written["history"]


@pytest.mark.parametrize(
    "raw_status",
    [
        {"rotation": {"id": "r1", "step": "SomeFutureStep", "trigger": "Manual"}},
        {"phase": "Hibernating"},
    ],
)
def test_a_status_from_another_operator_version_is_a_one_line_error(
    raw_status: dict[str, Any],
) -> None:
    obj = {**draining(), "status": raw_status}
    with pytest.raises(report.PluginError, match="different operator version"):
        report.summary(obj, [], NOW)
    with pytest.raises(report.PluginError, match="different operator version"):
        report.history(raw_status)
