"""Timestamps as status holds them: RFC 3339 in UTC with milliseconds and a Z."""

from __future__ import annotations

from datetime import UTC, datetime

# A required time missing from what the API server holds reads as this.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
