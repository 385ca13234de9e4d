"""The secret-bearing values never show their content, except through reveal()."""

from datetime import UTC, datetime

import pytest

from adobe_oauth_operator.adobe import (
    IO_MANAGEMENT_SCOPES,
    AccessToken,
    AddedSecret,
    ClientSecretValue,
    SecretInfo,
)
from adobe_oauth_operator.sensitive import Sensitive

VALUE = "p8e-very-secret-value"
EXPIRES = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize("render", [str, repr, "{}".format, "{!s:>40}".format, ascii])
def test_client_secret_value_never_renders_its_value(render: object) -> None:
    text = render(ClientSecretValue(VALUE))  # type: ignore[operator]
    assert VALUE not in text
    assert "redacted" in text


def test_client_secret_value_reveals_and_is_sensitive() -> None:
    value = ClientSecretValue(VALUE)
    assert value.reveal() == VALUE
    assert isinstance(value, Sensitive)
    assert repr(value) == "ClientSecretValue(<redacted>)"


@pytest.mark.parametrize("render", [str, repr, "{}".format, ascii])
def test_access_token_never_renders_its_value(render: object) -> None:
    text = render(AccessToken("tok-123456", expires_at=EXPIRES))  # type: ignore[operator]
    assert "tok-123456" not in text


def test_access_token_repr_shows_expiry_only() -> None:
    token = AccessToken("tok-123456", expires_at=EXPIRES)
    assert repr(token) == "AccessToken(<redacted>, expires_at=2026-01-02T00:00:00+00:00)"
    assert token.reveal() == "tok-123456"


def test_added_secret_repr_hides_the_value_inside() -> None:
    added = AddedSecret(ClientSecretValue(VALUE), "11ede8ab42f138f3abe335d886a407fb", EXPIRES)
    assert VALUE not in repr(added)
    assert "11ede8ab42f138f3abe335d886a407fb" in repr(added)


def test_models_are_frozen() -> None:
    info = SecretInfo("u", EXPIRES, None)
    with pytest.raises(AttributeError):
        info.uuid = "other"  # type: ignore[misc]


def test_io_management_scopes_are_the_documented_list() -> None:
    assert IO_MANAGEMENT_SCOPES == (
        "AdobeID",
        "openid",
        "read_organizations",
        "additional_info.projectedProductContext",
        "additional_info.roles",
        "adobeio_api",
        "read_client_secret",
        "manage_client_secrets",
    )
