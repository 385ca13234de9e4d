"""A wrapper for secret values and tokens that never shows them in str, repr or format."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Sensitive:
    """A secret string; `reveal()` is the only way to read it."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def fingerprint(self) -> str:
        """A short, non-reversible id of the value, safe for logs and cache keys."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def __str__(self) -> str:
        return "<redacted>"

    def __repr__(self) -> str:
        return "Sensitive(<redacted>)"

    def __format__(self, spec: str) -> str:
        return "<redacted>"

    def __bool__(self) -> bool:
        return bool(self._value)


def same_hmac(a: str | None, b: str | None) -> bool:
    """`a == b` for two HMACs, in constant time (no timing hint of how much of one matches)."""
    if a is None or b is None:
        return a is b
    return hmac.compare_digest(a.encode(), b.encode())


def secret_fingerprint(key: Sensitive, client_id: str, secret: Sensitive) -> str:
    """HMAC-SHA256 of the client id and secret under the operator's key: detects a change, and
    without the key cannot be checked against a guessed value (a plain hash could)."""
    message = f"{client_id}\0{secret.reveal()}".encode()
    return hmac.new(key.reveal().encode(), message, hashlib.sha256).hexdigest()
