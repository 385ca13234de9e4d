"""Constants and a manual wall clock shared by the SimState tests."""

from __future__ import annotations

from adobe_oauth_operator.sim import CredentialSeed

START_MS = 1_683_005_777_000
SECRET_A = "p8e-seeded-secret-a"
SEED = CredentialSeed(org_id="111", credential_id="222", client_id="client-a", secrets=(SECRET_A,))


class ManualWall:
    """Wall time in seconds that only moves when the sim clock is advanced."""

    def __init__(self, ms: int) -> None:
        self.seconds = ms / 1000

    def __call__(self) -> float:
        return self.seconds
