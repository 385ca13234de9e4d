"""The JSON shapes of Adobe's documentation samples."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adobe_oauth_operator.sim.model import SimSecret

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_ms(ms: int) -> str:
    """Like the sample "Tue, May 2 2023 05:36:17.000 UTC"; English names whatever the locale."""
    dt = datetime.fromtimestamp(ms // 1000, UTC)
    day, month = _DAYS[dt.weekday()], _MONTHS[dt.month - 1]
    return f"{day}, {month} {dt.day} {dt.year} {dt:%H:%M:%S}.{ms % 1000:03d} UTC"


def secret_json(secret: SimSecret, *, null_when_unused: bool = False) -> dict[str, Any]:
    """A SECRET object: string millisecond timestamps; secret_usages `[]` (or null) until used."""
    usages: list[dict[str, str]] | None = None if null_when_unused else []
    if secret.last_used_at is not None:
        usages = [{"last_used_at": str(secret.last_used_at), "grant_type": "client_credentials"}]
    return {
        "uuid": secret.uuid,
        "created_at": str(secret.created_at),
        "created_at_str": format_ms(secret.created_at),
        "expires_at": "PERMANENT",
        "expires_at_str": "PERMANENT",
        "secret_usages": usages,
    }


def error_json(error: str, description: str) -> dict[str, str]:
    """An OAuth 2.0 style error body."""
    return {"error": error, "error_description": description}
