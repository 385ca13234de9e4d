"""The one log line of an adoption: what Adobe told the operator when it first met a credential.

A first run against the real Adobe is checked by reading it; it holds uuids and times, never a
value or token.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import Spec


def adoption_summary(namespace: str, name: str, spec: Spec, adopted: m.Adopted) -> str:
    """`namespace/name: adopted ...`: how many secrets, which one the Secret holds, their times."""
    secrets = "; ".join(
        f"{s.uuid}{' (the Secret holds it)' if s.uuid == adopted.secret_uuid else ''}: created "
        f"{_when(s.created_at, 'unknown')}, last used {_when(s.last_used_at, 'never')}"
        for s in sorted(
            adopted.listed, key=lambda s: (s.created_at is None, s.created_at or _EPOCH)
        )
    )
    return (
        f"{namespace}/{name}: adopted credential {spec.org_id}/{spec.credential_id}: Adobe lists "
        f"{len(adopted.listed)} client secret(s), Secret {namespace}/{spec.secret_name} holds "
        f"{adopted.secret_uuid}; {secrets or 'none listed'}"
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _when(at: datetime | None, otherwise: str) -> str:
    if at is None:
        return otherwise
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
