"""Adobe IMS tokens and the I/O Management API client-secrets endpoints."""

from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.adobe.errors import (
    AddOutcomeUnknownError,
    AdobeError,
    CredentialNotFoundError,
    InvalidClientError,
    PermissionDeniedError,
    SecretLimitReachedError,
    SecretNotFoundError,
    ThrottledError,
    TokenRejectedError,
    TransientError,
    UnexpectedResponseError,
)
from adobe_oauth_operator.adobe.models import (
    AccessToken,
    AddedSecret,
    ClientSecretValue,
    CredentialRef,
    SecretInfo,
)
from adobe_oauth_operator.adobe.retry import RetryPolicy
from adobe_oauth_operator.adobe.scopes import IO_MANAGEMENT_SCOPES

__all__ = [
    "IO_MANAGEMENT_SCOPES",
    "AccessToken",
    "AddOutcomeUnknownError",
    "AddedSecret",
    "AdobeClient",
    "AdobeError",
    "ClientSecretValue",
    "CredentialNotFoundError",
    "CredentialRef",
    "InvalidClientError",
    "PermissionDeniedError",
    "RetryPolicy",
    "SecretInfo",
    "SecretLimitReachedError",
    "SecretNotFoundError",
    "ThrottledError",
    "TokenRejectedError",
    "TransientError",
    "UnexpectedResponseError",
]
