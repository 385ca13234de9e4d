"""A rotation keeps to the credential it started on: its ids are recorded in status.rotation.

An edit of orgId, credentialId or clientId mid-rotation would send the rotation's next calls,
deletes included, to another credential; instead the rotation stalls until the ids are put back.
Every delete carries the recorded ids, so the executor refuses one for any other credential.
"""

from __future__ import annotations

from dataclasses import replace

from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import CredentialIds, Spec, Status


def spec_ids(spec: Spec, status: Status) -> CredentialIds:
    """The ids the spec names now; the client id learned at adoption unless the spec sets one."""
    return CredentialIds(spec.org_id, spec.credential_id, spec.client_id or status.client_id)


def changed_text(spec: Spec, status: Status) -> str | None:
    """Why the rotation in flight cannot go on with this spec; None when it names the same ids."""
    rot = status.rotation
    if rot is None or rot.credential is None:
        return None
    recorded, current = rot.credential, spec_ids(spec, status)
    differs = [
        f"{field} {old!r} -> {new!r}"
        for field, old, new in (
            ("orgId", recorded.org_id, current.org_id),
            ("credentialId", recorded.credential_id, current.credential_id),
            ("clientId", recorded.client_id, spec.client_id or recorded.client_id),
        )
        if old != new
    ]
    if not differs:
        return None
    return (
        f"rotation {rot.id} works on {recorded} and the spec was changed while it runs "
        f"({', '.join(differs)}); nothing is added or deleted in either credential until the "
        "spec names the rotation's credential again (then it resumes); delete the resource to "
        "abandon the rotation"
    )


def record(spec: Spec, status: Status) -> Status:
    """Record the ids of a rotation that has none yet (just started, or by an older operator)."""
    rot = status.rotation
    if rot is None or rot.credential is not None:
        return status
    return replace(status, rotation=replace(rot, credential=spec_ids(spec, status)))


def stamp(status: Status, action: m.Action | None) -> m.Action | None:
    """A delete during a rotation carries the rotation's credential."""
    rot = status.rotation
    if not isinstance(action, m.DeleteSecret) or rot is None or rot.credential is None:
        return action
    return replace(action, credential=rot.credential)
