"""The scopes a token needs for the I/O Management API client-secrets endpoints."""

from __future__ import annotations

IO_MANAGEMENT_SCOPES: tuple[str, ...] = (
    "AdobeID",
    "openid",
    "read_organizations",
    "additional_info.projectedProductContext",
    "additional_info.roles",
    "adobeio_api",
    "read_client_secret",
    "manage_client_secrets",
)
