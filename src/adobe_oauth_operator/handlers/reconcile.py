"""One reconcile pass: read the resource, then decide-persist-act until nothing is left to do."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.config import EMERGENCY_ANNOTATION, ROTATE_ANNOTATION
from adobe_oauth_operator.handlers.executor import Executor, Resource
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credentials import get_credential, patch_credential_status
from adobe_oauth_operator.kube.errors import Conflict
from adobe_oauth_operator.kube.events import emit_event
from adobe_oauth_operator.kube.secrets import read_pending_secret
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.machine import decide, invalid_spec
from adobe_oauth_operator.rotation.model import Spec, Status

logger = logging.getLogger(__name__)

# A pass normally takes a handful of actions; the bound only guards against a logic loop.
MAX_ACTIONS_PER_PASS = 50
INVALID_SPEC_RETRY = timedelta(minutes=1)


@dataclass(frozen=True)
class Deps:
    """What a pass needs; kept in kopf's memo."""

    adobe: AdobeClient
    kube: KubeClients
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    crash_after_action: str | None = None


def new_rotation_id(now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


async def reconcile(deps: Deps, namespace: str, name: str) -> timedelta | None:
    """Run one pass for one resource; return when to look again (None: on events only)."""
    obj = await get_credential(deps.kube, namespace, name)
    if obj is None or obj["metadata"].get("deletionTimestamp"):
        return None
    status = Status.from_dict(obj.get("status"))
    try:
        spec = Spec.from_dict(obj.get("spec") or {})
    except ValueError as exc:
        invalid = invalid_spec(status, str(exc), deps.clock())
        with contextlib.suppress(Conflict):  # the next pass sees the newer object
            await _persist(
                deps, namespace, name, obj["metadata"]["resourceVersion"], status, invalid
            )
        return INVALID_SPEC_RETRY
    resource = Resource(namespace, name, obj["metadata"]["uid"], spec, status.client_id)
    executor = Executor(deps.adobe, deps.kube, resource)
    msg: m.Message = await _tick(deps, obj, status, resource)
    version = obj["metadata"]["resourceVersion"]
    for _ in range(MAX_ACTIONS_PER_PASS):
        plan = decide(spec, status, msg, deps.clock())
        try:
            version = await _persist(deps, namespace, name, version, status, plan.status)
        except Conflict:
            # Someone else changed the resource since we read it (a new request, or another
            # replica during a hand-over): start over from what is stored now.
            logger.info("%s/%s: changed while reconciling; starting over", namespace, name)
            return timedelta(0)
        status = plan.status
        for event in plan.events:
            await emit_event(
                deps.kube,
                resource.owner,
                "Warning" if event.warning else "Normal",
                event.reason.value,
                event.message,
            )
        if plan.action is None:
            return plan.requeue_after
        logger.info("%s/%s: %s", namespace, name, type(plan.action).__name__)
        msg = await executor.run(plan.action)
        if deps.crash_after_action == type(plan.action).__name__:
            logger.warning("crash injected after %s", deps.crash_after_action)
            os.kill(os.getpid(), signal.SIGKILL)
    logger.warning("%s/%s: pass ended after %d actions", namespace, name, MAX_ACTIONS_PER_PASS)
    return timedelta(0)


async def _tick(deps: Deps, obj: dict[str, Any], status: Status, resource: Resource) -> m.Tick:
    annotations = obj["metadata"].get("annotations") or {}
    pending = False
    if status.adopted and status.rotation is None:
        pending = (
            await read_pending_secret(deps.kube, resource.namespace, resource.name) is not None
        )
    return m.Tick(
        new_rotation_id=new_rotation_id(deps.clock()),
        rotate_request=annotations.get(ROTATE_ANNOTATION) or None,
        emergency=annotations.get(EMERGENCY_ANNOTATION, "").lower() == "true",
        generation=obj["metadata"].get("generation"),
        pending_secret_present=pending,
    )


async def _persist(
    deps: Deps, namespace: str, name: str, version: str, old: Status, new: Status
) -> str:
    """Write status before any action of the step it records; skip when nothing changed.

    The write carries the resourceVersion last seen, so it fails rather than overwrite a change
    made meanwhile; returns the new resourceVersion.
    """
    if new == old:
        return version
    patch = {"metadata": {"resourceVersion": version}, "status": new.to_dict()}
    updated = await patch_credential_status(deps.kube, namespace, name, patch)
    return str(updated["metadata"]["resourceVersion"])
