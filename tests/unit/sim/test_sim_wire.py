"""The simulator renders secrets exactly like the documentation's sample (in both dialects)."""

from adobe_oauth_operator.sim.model import SimSecret
from adobe_oauth_operator.sim.wire import error_json, format_ms, secret_json


def test_created_at_str_matches_the_sample() -> None:
    assert format_ms(1683005777000) == "Tue, May 2 2023 05:36:17.000 UTC"
    assert format_ms(1700000000123) == "Tue, Nov 14 2023 22:13:20.123 UTC"


def test_unused_secret_matches_the_sample() -> None:
    secret = SimSecret("11ede8ab42f138f3abe335d886a407fb", "hash", 1683005777000)
    assert secret_json(secret, null_when_unused=True) == {
        "uuid": "11ede8ab42f138f3abe335d886a407fb",
        "created_at": "1683005777000",
        "created_at_str": "Tue, May 2 2023 05:36:17.000 UTC",
        "expires_at": "PERMANENT",
        "expires_at_str": "PERMANENT",
        "secret_usages": None,
    }
    # Adobe's OpenAPI description types secret_usages as an array, never null.
    assert secret_json(secret)["secret_usages"] == []


def test_used_secret_has_one_client_credentials_usage() -> None:
    secret = SimSecret("u", "hash", 1683005777000, last_used_at=1683162010101)
    usages = [{"last_used_at": "1683162010101", "grant_type": "client_credentials"}]
    assert secret_json(secret)["secret_usages"] == usages
    assert secret_json(secret, null_when_unused=True)["secret_usages"] == usages


def test_errors_are_oauth_style() -> None:
    assert error_json("invalid_client", "why") == {
        "error": "invalid_client",
        "error_description": "why",
    }
