"""What deleting an AdobeOAuthCredential does: leave nothing unusable behind, in bounded time.

The Secret and the client secret it holds stay as they are, so applications keep working. A secret
a rotation added that never reached the Secret is deleted in Adobe (nobody else has its value),
and so is the pending Secret. A rotation past UpdateSecret leaves the old secret in Adobe, since
something may still use it, and says so in a Warning event with its uuid.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any

from adobe_oauth_operator.adobe import errors as adobe_errors
from adobe_oauth_operator.handlers.executor import Executor, Resource
from adobe_oauth_operator.handlers.pass_context import Deps
from adobe_oauth_operator.kube.claims import Claimant, release_app_secret
from adobe_oauth_operator.kube.credential_secrets import (
    PendingSecret,
    delete_pending_secret,
    read_known_good,
    read_pending_secret,
    write_app_secret,
)
from adobe_oauth_operator.kube.events import emit_event
from adobe_oauth_operator.names import SECRET_UUID_ANNOTATION
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.credential_source import (
    credential_source,
    with_credential_source,
)
from adobe_oauth_operator.rotation.machine import proven_ours
from adobe_oauth_operator.rotation.model import Rotation, Spec, Status
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import CLEANUP_TIMEOUT

logger = logging.getLogger(__name__)


async def finalize(deps: Deps, obj: dict[str, Any]) -> None:
    """Clean up after a deleted resource; never raises, so the finalizer is always released."""
    metadata = obj["metadata"]
    status = Status.from_dict(obj.get("status"))
    try:
        spec = Spec.from_dict(obj.get("spec") or {})
    except ValueError:
        return  # never valid: nothing was ever created for it
    resource = Resource(
        metadata["namespace"], metadata["name"], metadata["uid"], spec, status.client_id
    )
    rot = status.rotation
    try:
        outcome = await asyncio.wait_for(
            _cleanup(deps, resource, rot, status.known_good_fingerprint),
            CLEANUP_TIMEOUT.total_seconds(),
        )
        await _release_claim(deps, resource, status)
    except Exception as exc:
        left = _left_behind(rot)
        text = (
            f"deleted while {_what(rot)}; cleanup did not finish ({type(exc).__name__}): "
            f"{left}. Delete what is unused in the Adobe Developer Console"
        )
        logger.warning("%s/%s: %s", resource.namespace, resource.name, text)
        await _event(deps, resource, True, Reason.CLEANUP_INCOMPLETE, text)
        return
    if outcome is not None:
        await _event(deps, resource, outcome.warning, outcome.reason, outcome.text)


@dataclass(frozen=True)
class _Outcome:
    warning: bool
    reason: Reason
    text: str


async def _cleanup(
    deps: Deps, resource: Resource, rot: Rotation | None, known_good_hmac: str | None
) -> _Outcome | None:
    kube = deps.kube
    if rot is None:
        await delete_pending_secret(kube, resource.namespace, resource.name, resource.uid)
        return None
    executor = Executor(deps.adobe, kube, resource, deps.hmac_key)
    app = await executor.read_app()
    pending = await read_pending_secret(kube, resource.namespace, resource.name, resource.uid)
    if app is not None and pending is not None and app.client_secret == pending.value:
        await delete_pending_secret(kube, resource.namespace, resource.name, resource.uid)
        return _new_kept(rot, rot.new_secret_uuid or pending.secret_uuid)
    restored = await _restore_known_good(deps, executor, rot, known_good_hmac)
    candidates = await _added(executor, rot, pending, known_good_hmac)
    if pending is None:
        # The pending copy may be gone because the garbage collector deleted it first (a
        # foreground deletion), not because the new secret never reached the Secret: ask.
        source = credential_source(rot, known_good_hmac)
        held = [uuid for uuid in sorted(candidates) if await executor.app_may_hold(uuid, source)]
        if held:
            return _new_kept(rot, held[0])
    for uuid in sorted(candidates):
        delete = m.DeleteSecret(uuid, m.Using.APP_SECRET, m.DeleteGuard.APP_NOT_NEW)
        delete = replace(delete, credential=rot.credential)
        result = await executor.run(with_credential_source(delete, rot, known_good_hmac))
        if isinstance(result, m.ActionFailed):
            raise adobe_errors.TransientError(result.message, operation="delete")
    await delete_pending_secret(kube, resource.namespace, resource.name, resource.uid)
    return _cleaned(rot, candidates, restored)


async def _added(
    executor: Executor, rot: Rotation, pending: PendingSecret | None, known_good_hmac: str | None
) -> set[str]:
    """The secrets this rotation added that Adobe still lists (never the old one)."""
    candidates = {u for u in (rot.new_secret_uuid,) if u}
    if pending is not None and pending.rotation_id in (rot.id, rot.restart_id):
        candidates.add(pending.secret_uuid)
    listed = await executor.run(
        with_credential_source(m.ListSecrets(m.Using.APP_SECRET), rot, known_good_hmac)
    )
    if isinstance(listed, m.SecretsListed):
        candidates.update(s.uuid for s in listed.secrets if proven_ours(rot, s))
        present = {s.uuid for s in listed.secrets}
        candidates &= present
    elif isinstance(listed, m.ActionFailed):
        raise adobe_errors.TransientError(listed.message, operation="list")
    candidates.discard(rot.old_secret_uuid)
    return candidates


def _new_kept(rot: Rotation, new_uuid: str) -> _Outcome:
    return _Outcome(
        True,
        Reason.OLD_SECRET_LEFT,
        f"deleted during rotation {rot.id}: the Secret keeps the new client secret "
        f"{new_uuid}; the old secret {rot.old_secret_uuid} stays in Adobe because something may "
        "still use it: delete it in the Adobe Developer Console once it is unused",
    )


def _cleaned(rot: Rotation, deleted_uuids: set[str], restored: bool) -> _Outcome | None:
    if not deleted_uuids and not restored:
        return None
    deleted = (
        f"deleted client secret(s) {', '.join(sorted(deleted_uuids))} it had added, which never "
        "reached the Secret; "
        if deleted_uuids
        else ""
    )
    keeps = "now holds the known-good" if restored else "keeps"
    return _Outcome(
        False,
        Reason.CLEANED_UP,
        f"rotation {rot.id} was cut short by the deletion: {deleted}the Secret {keeps} "
        f"{rot.old_secret_uuid}",
    )


async def _restore_known_good(
    deps: Deps, executor: Executor, rot: Rotation, known_good_hmac: str | None
) -> bool:
    """A restoring rotation cut short before the Secret got a working value: put back the verified
    copy (its secret stays in Adobe), so the copy's garbage collection loses nothing. A copy whose
    HMAC is no longer the one status recorded is not written anywhere."""
    if not rot.from_known_good:
        return False
    resource = executor.res
    copy = await read_known_good(deps.kube, resource.namespace, resource.name, resource.uid)
    if copy is None or not executor.known_good_intact(copy, known_good_hmac):
        return False
    spec = resource.spec
    await write_app_secret(
        deps.kube,
        resource.namespace,
        spec.secret_name,
        spec.client_id_key,
        spec.client_secret_key,
        copy.client_id,
        copy.value,
        {SECRET_UUID_ANNOTATION: copy.secret_uuid},
    )
    return True


async def _release_claim(deps: Deps, resource: Resource, status: Status) -> None:
    """Let another resource naming the Secret adopt it at its next check, not after a lookup
    that finds this one gone."""
    claim = status.claim
    if claim is None:
        return
    me = Claimant(resource.namespace, resource.name, resource.uid)
    await release_app_secret(deps.kube, resource.namespace, claim.secret_name, me)


def _what(rot: Rotation | None) -> str:
    return "no rotation was in progress" if rot is None else f"rotation {rot.id} was at {rot.step}"


def _left_behind(rot: Rotation | None) -> str:
    if rot is None:
        return "nothing in Adobe depends on this cleanup"
    new = rot.new_secret_uuid or "a secret added by this rotation, if any (uuid unknown)"
    return f"possibly left in Adobe: {new} (new) besides {rot.old_secret_uuid} (old)"


async def _event(deps: Deps, res: Resource, warning: bool, reason: Reason, text: str) -> None:
    try:
        await emit_event(
            deps.kube, res.owner, "Warning" if warning else "Normal", reason.value, text
        )
    except Exception:
        logger.warning("%s/%s: could not record event: %s", res.namespace, res.name, text)
