"""Spec parsing and the status wire form."""

from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation.durations import format_duration, parse_duration
from adobe_oauth_operator.rotation.model import (
    Phase,
    Rotation,
    Spec,
    Status,
    Step,
    Target,
    TargetProgress,
    Trigger,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("720h", 720 * 3600),
        ("15m", 900),
        ("1h30m", 5400),
        ("1.5s", 1.5),
        ("250ms", 0.25),
        ("0s", 0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15", "15 minutes", "m15", "1d", "1h 30m", "-5s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(seconds=5)) == "5s"


def test_spec_from_dict_applies_crd_defaults_and_clamps_check_interval() -> None:
    spec = Spec.from_dict(
        {
            "orgId": "1",
            "credentialId": "2",
            "secretName": "s",
            "rotation": {"interval": "48h", "checkInterval": "10ms", "onStillInUse": "Delete"},
            "rollout": {
                "targets": [
                    {"kind": "Deployment", "name": "b"},
                    {"kind": "Deployment", "name": "a"},
                ]
            },
        }
    )
    assert spec.interval == timedelta(hours=48)
    assert spec.check_interval == timedelta(seconds=1)
    assert spec.targets == (Target("Deployment", "a"), Target("Deployment", "b"))
    assert spec.client_secret_key == "ADOBE_CLIENT_SECRET"
    # One access-token lifetime, and three of them before onStillInUse applies.
    assert spec.drain_period == timedelta(hours=24)
    assert spec.max_wait == timedelta(hours=72)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"credentialId": "2", "secretName": "s"}, "orgId"),
        (
            {"orgId": "1", "credentialId": "2", "secretName": "s", "rotation": {"maxWait": "soon"}},
            "maxWait",
        ),
    ],
)
def test_spec_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Spec.from_dict(raw)


def test_status_round_trips_through_its_wire_form() -> None:
    t = datetime(2026, 11, 1, 12, 0, 0, 123000, tzinfo=UTC)
    status = Status(
        phase=Phase.ROTATING,
        current_secret_uuid="a",
        client_id="c",
        adopted_at=t,
        rotation=Rotation(
            "r",
            Step.ROLLOUT,
            Trigger.EMERGENCY,
            t,
            "a",
            "b",
            rollout_started_at=t,
            targets=(TargetProgress(Target("Deployment", "w"), True, False),),
        ),
    )
    wire = status.to_dict()
    assert wire["rotation"]["startedAt"] == "2026-11-01T12:00:00.123Z"
    assert Status.from_dict(wire) == status


def test_absent_status_is_pending() -> None:
    assert Status.from_dict(None).phase is Phase.PENDING
