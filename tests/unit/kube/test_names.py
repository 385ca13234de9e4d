"""Names and label values derived from a credential name stay valid for the API server."""

from __future__ import annotations

import re

import pytest

from adobe_oauth_operator.kube.credential_secrets import pending_secret_name
from adobe_oauth_operator.kube.refs import bounded_name, label_value

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

NAMES = {
    "short": "adobe",
    "max length": "a" * 253,
    "long, dots at the cut": "x." * 126 + "x",
    "long, dashes at the cut": "a" * 230 + "-" * 22 + "b",
}


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_pending_secret_name_is_a_valid_secret_name(name: str) -> None:
    pending = pending_secret_name(name)
    assert len(pending) <= 253
    assert DNS_SUBDOMAIN.match(pending), pending
    assert pending.endswith("-pending")


def test_short_names_are_kept_readable() -> None:
    assert pending_secret_name("adobe") == "adobe-pending"
    assert pending_secret_name("a" * 245) == "a" * 245 + "-pending"


def test_distinct_long_names_stay_distinct() -> None:
    assert pending_secret_name("a" * 253) != pending_secret_name("a" * 252 + "b")


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_label_value_is_valid_and_stable(name: str) -> None:
    value = label_value(name)
    assert len(value) <= 63
    assert LABEL_VALUE.match(value), value
    assert label_value(name) == value


def test_bounded_name_is_unchanged_when_it_fits() -> None:
    assert bounded_name("event-source", ".0a1b") == "event-source.0a1b"
