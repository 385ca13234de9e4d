"""The credentials every contract test's simulator starts with, and their plain secrets."""

from __future__ import annotations

from typing import Any

from adobe_oauth_operator.adobe import IO_MANAGEMENT_SCOPES, ClientSecretValue, CredentialRef

ONE_SECRET = ClientSecretValue("p8e-contract-one-AAAAAAAAAAAAAAAAAAAA")
TWO_SECRET_A = ClientSecretValue("p8e-contract-two-BBBBBBBBBBBBBBBBBBBB")
TWO_SECRET_B = ClientSecretValue("p8e-contract-two-CCCCCCCCCCCCCCCCCCCC")
NO_IO_SECRET = ClientSecretValue("p8e-contract-noio-DDDDDDDDDDDDDDDDDDD")
ALL_SEEDED = (ONE_SECRET, TWO_SECRET_A, TWO_SECRET_B, NO_IO_SECRET)

ONE = CredentialRef(org_id="1000", credential_id="2000", client_id="client-one")
TWO = CredentialRef(org_id="1000", credential_id="2001", client_id="client-two")
NO_IO = CredentialRef(org_id="1000", credential_id="2002", client_id="client-no-io")
SCOPES = IO_MANAGEMENT_SCOPES

# What differs between the simulator's dialects (src/adobe_oauth_operator/sim/README.md), written
# out here rather than read from the simulator under test.
ADD_STATUS = {"spec": 200, "guide": 201}
DELETE_STATUS = {"spec": 200, "guide": 204}
LIMIT_STATUS = {"spec": 403, "guide": 400}
LAST_SECRET_STATUS = {"spec": 403, "guide": 400}
UNUSED_USAGES: dict[str, list[Any] | None] = {"spec": [], "guide": None}


def _entry(ref: CredentialRef, *secrets: ClientSecretValue, **extra: Any) -> dict[str, Any]:
    return {
        "org_id": ref.org_id,
        "credential_id": ref.credential_id,
        "client_id": ref.client_id,
        "secrets": [s.reveal() for s in secrets],
        **extra,
    }


SEED: dict[str, Any] = {
    "credentials": [
        _entry(ONE, ONE_SECRET),
        _entry(TWO, TWO_SECRET_A, TWO_SECRET_B),
        # A project without the I/O Management API: its credential may not ask for those scopes.
        _entry(NO_IO, NO_IO_SECRET, scopes=["AdobeID", "openid"]),
    ]
}
