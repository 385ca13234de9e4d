"""Secret values never show, and their fingerprint is keyed."""

from __future__ import annotations

import hashlib

from adobe_oauth_operator.sensitive import Sensitive, secret_fingerprint

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
