"""Which client secret an action authenticates with: stamped on the action, never set aside."""

from __future__ import annotations

from dataclasses import replace

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import Rotation


def credential_source(
    rotation: Rotation | None, known_good_hmac: str | None
) -> m.KnownGoodCopy | None:
    """The known-good copy (while it holds `known_good_hmac`) for a rotation restoring a drifted
    Secret from it; None, the Secret, for everything else."""
    if rotation is None or not rotation.from_known_good:
        return None
    return m.KnownGoodCopy(known_good_hmac)


def with_credential_source(
    action: m.Action, rotation: Rotation | None, known_good_hmac: str | None
) -> m.Action:
    """`action` as the executor runs it, carrying the credential it authenticates with."""
    if not isinstance(action, m.Authenticated):
        return action
    return replace(action, from_known_good=credential_source(rotation, known_good_hmac))
