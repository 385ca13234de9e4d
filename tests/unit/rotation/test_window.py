"""Rotation windows: when a scheduled rotation may start, with fixed instants (no wall clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.machine import decide
from adobe_oauth_operator.rotation.model import Phase, Spec, Status, Trigger
from adobe_oauth_operator.rotation.window import Window
from support.claims import claimed

BERLIN = {"timeZone": "Europe/Berlin"}
NEW_YORK = {"timeZone": "America/New_York"}
OFFICE = {"days": ["Mon", "Tue", "Wed", "Thu"], "start": "09:00", "end": "16:00", **BERLIN}
NIGHT = {"days": ["Fri"], "start": "22:00", "end": "02:00", **BERLIN}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (window, instant, first instant inside the window) - all in UTC; 2026-11-02 is a Monday,
# Berlin is UTC+1 in winter and UTC+2 in summer, New York UTC-5 / UTC-4.
CASES = [
    # -- edges of an office-hours window (Mon-Thu 09:00-16:00 Berlin = 08:00-15:00 UTC) -------
    ("inside", OFFICE, "2026-11-02T10:00", "2026-11-02T10:00"),
    ("start is inside", OFFICE, "2026-11-02T08:00", "2026-11-02T08:00"),
    ("a second before start", OFFICE, "2026-11-02T07:59:59", "2026-11-02T08:00"),
    ("a second before end", OFFICE, "2026-11-02T14:59:59", "2026-11-02T14:59:59"),
    ("end is outside: next day", OFFICE, "2026-11-02T15:00", "2026-11-03T08:00"),
    ("Thursday evening: next Monday", OFFICE, "2026-11-05T15:00", "2026-11-09T08:00"),
    ("Saturday: next Monday", OFFICE, "2026-11-07T12:00", "2026-11-09T08:00"),
    ("Sunday late UTC is Monday in Berlin", OFFICE, "2026-11-08T23:30", "2026-11-09T08:00"),
    # -- day lists ----------------------------------------------------------------------------
    (
        "single day, a week ahead",
        {**OFFICE, "days": ["Mon"]},
        "2026-11-02T15:00",
        "2026-11-09T08:00",
    ),
    ("weekend only", {**OFFICE, "days": ["Sat", "Sun"]}, "2026-11-04T12:00", "2026-11-07T08:00"),
    (
        "days not set: every day",
        {k: v for k, v in OFFICE.items() if k != "days"},
        "2026-11-07T16:00",
        "2026-11-08T08:00",
    ),
    ("duplicate days", {**OFFICE, "days": ["Tue", "Tue"]}, "2026-11-02T10:00", "2026-11-03T08:00"),
    # -- a window wrapping midnight (Fri 22:00 - Sat 02:00 Berlin = Fri 21:00 - Sat 01:00 UTC) --
    ("wrap: before it opens", NIGHT, "2026-11-06T20:00", "2026-11-06T21:00"),
    ("wrap: before midnight", NIGHT, "2026-11-06T22:30", "2026-11-06T22:30"),
    ("wrap: after midnight belongs to Friday", NIGHT, "2026-11-07T00:30", "2026-11-07T00:30"),
    ("wrap: closed Saturday 02:00", NIGHT, "2026-11-07T01:00", "2026-11-13T21:00"),
    ("wrap: Saturday night is not Friday", NIGHT, "2026-11-07T21:30", "2026-11-13T21:00"),
    (
        "wrap: end 00:00 is midnight",
        {**NIGHT, "end": "00:00"},
        "2026-11-06T22:59",
        "2026-11-06T22:59",
    ),
    (
        "wrap: end 00:00 closes at midnight",
        {**NIGHT, "end": "00:00"},
        "2026-11-06T23:00",
        "2026-11-13T21:00",
    ),
    # -- spring forward: Berlin 2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC) ------------------
    (
        "spring: start in the gap opens at the change",
        {"days": ["Sun"], "start": "02:30", "end": "05:00", **BERLIN},
        "2026-03-28T12:00",
        "2026-03-29T01:00",
    ),
    (
        "spring: start after the gap uses summer time",
        {"days": ["Sun"], "start": "09:00", "end": "16:00", **BERLIN},
        "2026-03-29T06:00",
        "2026-03-29T07:00",
    ),
    (
        "spring: the day before uses winter time",
        {"days": ["Sat"], "start": "09:00", "end": "16:00", **BERLIN},
        "2026-03-28T06:00",
        "2026-03-28T08:00",
    ),
    (
        "spring: window wholly in the gap never opens that day",
        {"days": ["Sun"], "start": "02:10", "end": "02:50", **BERLIN},
        "2026-03-29T00:00",
        "2026-04-05T00:10",
    ),
    (
        "spring: end in the gap closes at the change",
        {"days": ["Sun"], "start": "01:00", "end": "02:30", **BERLIN},
        "2026-03-29T01:00",
        "2026-04-04T23:00",
    ),
    # New York 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC)
    (
        "spring NY: start in the gap",
        {"days": ["Sun"], "start": "02:15", "end": "06:00", **NEW_YORK},
        "2026-03-08T00:00",
        "2026-03-08T07:00",
    ),
    (
        "spring NY: office hours after the change",
        {"days": ["Mon"], "start": "09:00", "end": "17:00", **NEW_YORK},
        "2026-03-08T12:00",
        "2026-03-09T13:00",
    ),
    # -- fall back: Berlin 2026-10-25 03:00 CEST -> 02:00 CET (01:00 UTC) ----------------------
    (
        "fall: repeated start opens at its first occurrence",
        {"days": ["Sun"], "start": "02:30", "end": "05:00", **BERLIN},
        "2026-10-24T12:00",
        "2026-10-25T00:30",
    ),
    (
        "fall: the hour between occurrences is inside",
        {"days": ["Sun"], "start": "02:30", "end": "05:00", **BERLIN},
        "2026-10-25T01:15",
        "2026-10-25T01:15",
    ),
    (
        "fall: after the change uses winter time",
        {"days": ["Sun"], "start": "09:00", "end": "16:00", **BERLIN},
        "2026-10-25T06:00",
        "2026-10-25T08:00",
    ),
    (
        "fall: end at the repeated hour closes at its first occurrence",
        {"days": ["Sun"], "start": "01:00", "end": "02:30", **BERLIN},
        "2026-10-25T00:45",
        "2026-11-01T00:00",
    ),
    # New York 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC)
    (
        "fall NY: repeated 01:30 opens at the first one",
        {"days": ["Sun"], "start": "01:30", "end": "04:00", **NEW_YORK},
        "2026-11-01T00:00",
        "2026-11-01T05:30",
    ),
    (
        "fall NY: office hours after the change",
        {"days": ["Mon"], "start": "09:00", "end": "17:00", **NEW_YORK},
        "2026-11-01T12:00",
        "2026-11-02T14:00",
    ),
]


@pytest.mark.parametrize(
    ("window", "instant", "expected"),
    [pytest.param(w, i, e, id=name) for name, w, i, e in CASES],
)
def test_first_instant_inside_the_window(
    window: dict[str, object], instant: str, expected: str
) -> None:
    parsed = Window.from_dict(window)
    first = parsed.first_instant_from(utc(instant))
    assert first == utc(expected)
    assert parsed.contains(first)
    if first > utc(instant):
        assert not parsed.contains(first - timedelta(seconds=1))


def test_window_of_an_unknown_zone_is_refused_with_the_zone_and_an_example() -> None:
    with pytest.raises(ValueError, match=r"'Europe/Atlantis' is not a known IANA time zone.*UTC"):
        Window.from_dict({**OFFICE, "timeZone": "Europe/Atlantis"})


def test_spec_with_an_unknown_zone_is_invalid_naming_the_field() -> None:
    raw = {"orgId": "1", "credentialId": "2", "secretName": "creds"}
    raw["rotation"] = {"interval": "720h", "window": {**OFFICE, "timeZone": "Mars/Olympus"}}  # type: ignore[assignment]
    with pytest.raises(ValueError, match=r"spec.rotation.window.timeZone 'Mars/Olympus'"):
        Spec.from_dict(raw, name="payments")


# -- the state machine: only scheduled rotations wait for the window -----------------------------
SPEC = Spec(
    org_id="1",
    credential_id="2",
    secret_name="creds",
    interval=timedelta(days=30),
    window=Window.from_dict(OFFICE),
)
ADOPTED_AT = utc("2026-10-05T10:00")  # a Monday, inside the window; due 2026-11-04 10:00 UTC


def idle(**kw: object) -> Status:
    base = claimed(
        SPEC, Status(phase=Phase.READY, current_secret_uuid="a" * 32, adopted_at=ADOPTED_AT)
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def tick(request: str | None = None, emergency: bool = False) -> m.Tick:
    return m.Tick(new_rotation_id="r1", rotate_request=request, emergency=emergency)


@pytest.mark.parametrize(
    ("interval_days", "now", "next_rotation", "starts"),
    [
        pytest.param(30, "2026-11-04T09:00", "2026-11-04T10:00", False, id="not yet due"),
        pytest.param(30, "2026-11-04T10:00", "2026-11-04T10:00", True, id="due inside the window"),
        pytest.param(32, "2026-11-06T10:00", "2026-11-09T08:00", False, id="due on Friday: Monday"),
        pytest.param(
            30, "2026-11-04T15:30", "2026-11-05T08:00", False, id="overdue, window closed"
        ),
        pytest.param(30, "2026-11-05T08:00", "2026-11-04T10:00", True, id="overdue, window opens"),
    ],
)
def test_scheduled_rotation_starts_only_inside_the_window(
    interval_days: int, now: str, next_rotation: str, starts: bool
) -> None:
    spec = replace(SPEC, interval=timedelta(days=interval_days))
    plan = decide(spec, idle(), tick(), utc(now))
    assert plan.status.next_rotation_time == utc(next_rotation)
    assert (plan.status.rotation is not None) is starts
    if starts:
        assert plan.status.rotation is not None
        assert plan.status.rotation.trigger is Trigger.SCHEDULED
    else:
        assert plan.requeue_after == utc(next_rotation) - utc(now)


@pytest.mark.parametrize(
    ("emergency", "trigger"), [(False, Trigger.ON_DEMAND), (True, Trigger.EMERGENCY)]
)
def test_requests_ignore_the_window(emergency: bool, trigger: Trigger) -> None:
    saturday = utc("2026-11-07T12:00")
    plan = decide(SPEC, idle(), tick("now", emergency), saturday)
    assert plan.status.rotation is not None
    assert plan.status.rotation.trigger is trigger


def test_adoption_schedules_into_the_window() -> None:
    wednesday = utc("2026-10-07T10:00")  # + 30 days is Friday 2026-11-06: waits for Monday
    plan = decide(SPEC, claimed(SPEC), m.Adopted("a" * 32, "cid"), wednesday)
    assert plan.status.next_rotation_time == utc("2026-11-09T08:00")
    [ready] = [c for c in plan.status.conditions if c.type.value == "Ready"]
    assert ready.message.endswith(
        "next rotation at 2026-11-09T08:00:00+00:00 (window Mon,Tue,Wed,Thu 09:00-16:00"
        " Europe/Berlin)"
    )


def test_a_failed_rotations_retry_waits_for_the_window() -> None:
    thursday = utc("2026-11-05T14:30")
    status = idle(consecutive_failures=1, next_rotation_time=thursday + timedelta(hours=1))
    plan = decide(SPEC, status, tick(), thursday)
    assert plan.status.next_rotation_time == utc("2026-11-09T08:00")
    assert plan.status.rotation is None
