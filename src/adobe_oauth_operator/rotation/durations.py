"""Go-style durations (`720h`, `1h30m`, `15s`, `500ms`) as used in the CRD.

Values are computed in whole nanoseconds with Python integers, so no digit count overflows; a
value beyond MAX_DURATION (10 years) is rejected, as the CRD's admission rules do.
"""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction

_PART = re.compile(r"([0-9]+)(?:\.([0-9]+))?(ms|h|m|s)")
_UNIT_NS = {"h": 3600 * 10**9, "m": 60 * 10**9, "s": 10**9, "ms": 10**6}
# A fraction beyond nanoseconds changes nothing; keeping a few digits keeps the arithmetic small.
_FRACTION_DIGITS = 18

MAX_DURATION = timedelta(hours=87600)
MAX_DURATION_TEXT = "87600h"
_MAX_NS = 87600 * _UNIT_NS["h"]
# Any part with more significant integer digits than this is beyond MAX_DURATION on its own
# (10**12 ms is 31 years), so longer digit strings are rejected before any arithmetic.
_MAX_INT_DIGITS = 12


class InvalidDuration(ValueError):
    """The text is not a Go-style duration, or one beyond MAX_DURATION."""


def duration_nanoseconds(text: str) -> int | None:
    """The exact length of `text` in nanoseconds; None when it is not a duration.

    Raises InvalidDuration when a part has so many digits that it is beyond MAX_DURATION alone
    (the arithmetic stays small whatever the text).
    """
    parts, pos = [], 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        parts.append(match)
        pos = match.end()
    if not text or pos != len(text):
        return None
    total = 0
    for match in parts:
        whole, fraction, unit = match.group(1), match.group(2) or "", match.group(3)
        if len(whole.lstrip("0")) > _MAX_INT_DIGITS:
            raise InvalidDuration(f"{_shown(text)} is longer than {MAX_DURATION_TEXT} (10 years)")
        unit_ns = _UNIT_NS[unit]
        total += int(whole) * unit_ns
        digits = fraction[:_FRACTION_DIGITS]
        if digits:
            total += int(Fraction(int(digits), 10 ** len(digits)) * unit_ns)
    return total


def parse_duration(text: str) -> timedelta:
    """Parse `1h30m`-style text, at most 10 years; raise InvalidDuration naming the text."""
    total = duration_nanoseconds(text)
    if total is None:
        raise InvalidDuration(f"{_shown(text)} is not a duration like 720h, 15m or 30s")
    if total > _MAX_NS:
        raise InvalidDuration(f"{_shown(text)} is longer than {MAX_DURATION_TEXT} (10 years)")
    return timedelta(microseconds=total // 1000)


def _shown(text: str) -> str:
    """The text for a message, cut short so a pasted megabyte does not end up in a log line."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def format_duration(value: timedelta) -> str:
    """Render a timedelta compactly (`1h30m`, `45s`) for messages."""
    total = int(value.total_seconds())
    if total < 1:
        return f"{int(value.total_seconds() * 1000)}ms"
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    parts.append(f"{seconds}s" if seconds or not (hours or minutes) else "")
    return "".join(parts)
