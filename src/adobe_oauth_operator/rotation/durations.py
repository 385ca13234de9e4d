"""Go-style durations (`720h`, `1h30m`, `15s`, `500ms`) as used in the CRD."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


class InvalidDuration(ValueError):
    """The text is not a Go-style duration."""


def parse_duration(text: str) -> timedelta:
    """Parse `1h30m`-style text; raise InvalidDuration with the offending text."""
    pos, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise InvalidDuration(f"{text!r} is not a duration like 720h, 15m or 30s")
    return timedelta(seconds=seconds)


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
