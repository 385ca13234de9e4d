"""Rotation windows: the weekly local hours in which a scheduled rotation may start.

A window opens on each listed day at `start` (local time in `zone`) and closes at `end`, on the
same day or, when `end` is not after `start`, on the next day (a window that wraps midnight
belongs to the day it opens on). Local times are turned into instants as a clock on the wall
reaches them: a time skipped by a DST change (spring forward) is reached at the change, and a
time that happens twice (fall back) at its first occurrence. Pure: zoneinfo only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIME_OF_DAY = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
# Every window lies within the 8 local days starting the day before: a week plus one wrap.
_DAYS_SCANNED = 9


@dataclass(frozen=True)
class Window:
    """Days of the week (0 = Monday), local start and end times, and the IANA zone."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Window:
        """Parse spec.rotation.window; raise ValueError naming the field (and an unknown zone)."""
        days = raw.get("days") or DAY_NAMES
        unknown = [d for d in days if d not in DAY_NAMES]
        if unknown or not days:
            raise ValueError(f"spec.rotation.window.days: unknown day names {unknown}")
        zone_name = raw.get("timeZone")
        if not isinstance(zone_name, str) or not zone_name:
            raise ValueError("spec.rotation.window.timeZone is required, e.g. Europe/Berlin")
        return cls(
            days=frozenset(DAY_NAMES.index(d) for d in days),
            start=_time_of_day(raw, "start"),
            end=_time_of_day(raw, "end"),
            zone=time_zone(zone_name),
        )

    def __str__(self) -> str:
        days = ",".join(DAY_NAMES[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"

    def openings(self, around: datetime) -> Iterable[tuple[datetime, datetime]]:
        """The windows (open, close instants, UTC) from the local day before `around` on."""
        first = around.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(_DAYS_SCANNED):
            day = first + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            closing_day = day if self.end > self.start else day + timedelta(days=1)
            opens = wall_clock_reaches(day, self.start, self.zone)
            closes = wall_clock_reaches(closing_day, self.end, self.zone)
            if closes > opens:  # a window lying wholly in a DST gap never opens
                yield opens, closes

    def contains(self, instant: datetime) -> bool:
        return any(opens <= instant < closes for opens, closes in self.openings(instant))

    def first_instant_from(self, instant: datetime) -> datetime:
        """`instant` if a window is open then, else when the next one opens (UTC)."""
        for opens, closes in self.openings(instant):
            if instant < closes:
                return max(opens, instant.astimezone(UTC))
        raise AssertionError("a window with at least one day opens within a week")


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError with a message a person can act on otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"spec.rotation.window.timeZone {name[:64]!r} is not a known IANA time zone; use a"
            " name from the tz database such as Europe/Berlin, America/New_York or UTC"
        ) from exc


def wall_clock_reaches(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the wall clock in `zone` shows `day` `at` or later."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first of two occurrences
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # Skipped by a change to a later offset: the wall clock jumps past `at` at the change,
    # which lies between the two readings of the skipped time.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:  # whole seconds: zone offsets change on whole seconds
        middle = (low + high) // 2
        if _wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _wall(timestamp: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(timestamp, zone).replace(tzinfo=None)


def _time_of_day(raw: Mapping[str, Any], key: str) -> time:
    text = raw.get(key)
    try:
        hours, minutes = str(text).split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError(text)
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValueError(f"spec.rotation.window.{key} must be HH:MM, e.g. 09:00") from exc
