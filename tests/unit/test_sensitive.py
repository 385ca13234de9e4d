"""Secret values never show, and their fingerprint is keyed."""

from __future__ import annotations

import hashlib

import pytest

from adobe_oauth_operator import sensitive
from adobe_oauth_operator.sensitive import Sensitive, same_hmac, secret_fingerprint

KEY, OTHER_KEY = Sensitive("k" * 44), Sensitive("o" * 44)
VALUE = Sensitive("p8e-the-client-secret")


def test_fingerprint_is_keyed_stable_and_not_a_plain_hash() -> None:
    fp = secret_fingerprint(KEY, "cid", VALUE)
    assert fp == secret_fingerprint(KEY, "cid", VALUE)
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert fp != secret_fingerprint(OTHER_KEY, "cid", VALUE), "without the key it means nothing"
    assert fp != secret_fingerprint(KEY, "other", VALUE), "the client id is part of it"
    assert fp != hashlib.sha256(VALUE.reveal().encode()).hexdigest()
    assert VALUE.reveal() not in fp


def test_sensitive_never_shows_its_value() -> None:
    shown = f"{VALUE} {VALUE!r} {VALUE:>30} {[VALUE]}"
    assert VALUE.reveal() not in shown


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("ab" * 32, "ab" * 32, True),
        ("ab" * 32, "ab" * 31 + "ac", False),
        ("ab" * 32, "ab", False),
        (None, None, True),
        ("ab" * 32, None, False),
        (None, "ab" * 32, False),
    ],
)
def test_same_hmac_is_equality_in_constant_time(a: str | None, b: str | None, same: bool) -> None:
    assert same_hmac(a, b) is same


def test_same_hmac_uses_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def spy(x: bytes, y: bytes) -> bool:
        seen.append((x, y))
        return x == y

    monkeypatch.setattr(sensitive.hmac, "compare_digest", spy)
    assert same_hmac("f1", "f1")
    assert seen == [(b"f1", b"f1")]
