"""One reconcile pass: read the resource, then decide-persist-act until nothing is left to do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from adobe_oauth_operator.handlers.adoption_log import adoption_summary
from adobe_oauth_operator.handlers.emergency import emergency_spent, is_emergency, remove_emergency
from adobe_oauth_operator.handlers.executor import Executor, Resource
from adobe_oauth_operator.handlers.pass_context import (
    Deps,
    Watched,
    bind_rotation,
    observe_restarts,
    urgent,
    waiting_for_budget,
)
from adobe_oauth_operator.kube.credential_secrets import read_pending_secret
from adobe_oauth_operator.kube.credentials import (
    get_credential,
    patch_credential_status,
)
from adobe_oauth_operator.kube.errors import Conflict
from adobe_oauth_operator.kube.events import emit_event
from adobe_oauth_operator.names import EMERGENCY_ANNOTATION, ROTATE_ANNOTATION
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.credential_source import with_credential_source
from adobe_oauth_operator.rotation.machine import decide, invalid_spec
from adobe_oauth_operator.rotation.model import Spec, Status
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.timings import (
    ACTION_TIMEOUT,
    INVALID_SPEC_RETRY,
    PASS_LIMIT_RETRY,
    RELEASE_TIMEOUT_S,
)

logger = logging.getLogger(__name__)

# A pass normally takes a handful of actions; the bound only guards against a logic loop.
MAX_ACTIONS_PER_PASS = 50


def new_rotation_id(now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


async def reconcile(
    deps: Deps, namespace: str, name: str, watched: Watched | None = None
) -> timedelta | None:
    """Run one pass for one resource; return when to look again (None: on events only)."""
    obj = await _read(deps, namespace, name, watched)
    if obj is None:
        return None
    status = Status.from_dict(obj.get("status"))
    deps.metrics.index.set_status(namespace, name, status)
    bind_rotation(status)
    try:
        spec = Spec.from_dict(obj.get("spec") or {}, name=name)
    except ValueError as exc:
        invalid = invalid_spec(status, str(exc), deps.clock())
        with contextlib.suppress(Conflict):  # the next pass sees the newer object
            await _persist(
                deps, namespace, name, obj["metadata"]["resourceVersion"], status, invalid
            )
        return INVALID_SPEC_RETRY
    resource = Resource(namespace, name, obj["metadata"]["uid"], spec, status.client_id)
    executor = Executor(deps.adobe, deps.kube, resource, deps.hmac_key, deps.claims)
    return await _Pass(deps, obj, spec, status, executor, watched).run()


async def _read(
    deps: Deps, namespace: str, name: str, watched: Watched | None
) -> dict[str, Any] | None:
    """The resource to work on: the watched body if it is current, else read; None if gone or
    being deleted."""
    obj = watched.current() if watched is not None else None
    if obj is None:
        obj = await get_credential(deps.kube, namespace, name)
    if obj is None or obj["metadata"].get("deletionTimestamp"):
        return None
    if watched is not None:
        watched.last_known = obj["metadata"]["resourceVersion"]
    return obj


class _Pass:
    """One pass's decide-persist-act loop, and what it carries from one step to the next."""

    def __init__(
        self,
        deps: Deps,
        obj: dict[str, Any],
        spec: Spec,
        status: Status,
        executor: Executor,
        watched: Watched | None,
    ) -> None:
        self.deps, self.obj, self.spec, self.executor = deps, obj, spec, executor
        self.namespace, self.name = executor.res.namespace, executor.res.name
        self.watched = watched
        self.status = status
        self.stored = status  # what the API server holds: the machine's status, or it waiting
        self.version: str = obj["metadata"]["resourceVersion"]
        self.annotations: dict[str, str] = obj["metadata"].get("annotations") or {}
        self.requeue: timedelta | None = None  # of a plan that ended before the age was learned

    async def run(self) -> timedelta | None:
        msg: m.Message = await self._tick()
        for _ in range(MAX_ACTIONS_PER_PASS):
            plan = decide(self.spec, self.status, msg, self.deps.clock(), self.deps.holder)
            await self._record(plan.status, msg)
            await self._spend_emergency()
            await self._emit(plan.events)
            if plan.action is None:
                learned = await _learn_secret_age(self.deps, self.executor, self.status)
                if learned is None:
                    return _sooner(self.requeue, plan.requeue_after)
                # The machine records the creation time in status: later restarts need no list.
                self.requeue, msg = _sooner(self.requeue, plan.requeue_after), learned
                continue
            msg = await self._act(plan.action)
            if isinstance(msg, m.PendingDeleted):
                # A leftover is gone: look again at once, a rotate request may be waiting.
                msg = await self._tick()
        logger.warning(
            "%s/%s: pass ended after %d actions", self.namespace, self.name, MAX_ACTIONS_PER_PASS
        )
        return PASS_LIMIT_RETRY

    async def _tick(self) -> m.Tick:
        return await _tick(self.deps, self.obj, self.status, self.executor)

    async def _store(self, status: Status) -> None:
        """Write `status` fenced on the version last seen (Conflict: changed meanwhile)."""
        self.version = await _persist(
            self.deps, self.namespace, self.name, self.version, self.stored, status
        )
        self.stored = status
        self._seen(self.version)

    def _seen(self, version: str) -> None:
        if self.watched is not None:
            self.watched.last_known = version

    async def _record(self, decided: Status, msg: m.Message) -> None:
        """Persist the decision before anything of it is done; say an adoption once it is."""
        try:
            await self._store(decided)
        except Conflict:
            # Someone else changed the resource since we read it (a new request, or another
            # operator): nothing was done on the stale state; the caller starts over from what
            # is stored, backing off if this keeps happening.
            logger.info(
                "%s/%s: changed while reconciling; starting over", self.namespace, self.name
            )
            raise
        if isinstance(msg, m.Adopted) and not self.status.adopted and decided.adopted:
            # Said once: after the write that records the adoption, which no later pass repeats.
            summary = adoption_summary(self.namespace, self.name, self.spec, msg)
            logger.info(summary, extra={"reason": Reason.ADOPTED.value})
        self.status = decided

    async def _spend_emergency(self) -> None:
        """Remove the emergency annotation once status records the request it was spent on."""
        if not emergency_spent(self.annotations, self.status):
            return
        self.version = await remove_emergency(
            self.deps.kube, self.namespace, self.name, self.annotations, self.version
        )
        self.annotations = {k: v for k, v in self.annotations.items() if k != EMERGENCY_ANNOTATION}
        self._seen(self.version)

    async def _emit(self, events: Sequence[m.Event]) -> None:
        for event in events:
            logger.info(
                "%s/%s: event %s: %s",
                self.namespace,
                self.name,
                event.reason.value,
                event.message,
                extra={"reason": event.reason.value},
            )
            await emit_event(
                self.deps.kube,
                self.executor.res.owner,
                "Warning" if event.warning else "Normal",
                event.reason.value,
                event.message,
            )

    async def _act(self, decided: m.Action) -> m.Message:
        """Run the decided action with the credential it authenticates with, within the shared
        Adobe budget if it calls Adobe; release the in-flight record if cancelled."""
        deps, namespace, name = self.deps, self.namespace, self.name
        logger.info("%s/%s: %s", namespace, name, type(decided).__name__)
        rotation = self.status.rotation
        action = with_credential_source(decided, rotation, self.status.known_good_fingerprint)
        limiter = deps.adobe.limiter if isinstance(action, m.CALLS_ADOBE) else None
        if limiter is not None:
            # Conflict: changed meanwhile, raised like any other (the action has not run).
            await self._store(waiting_for_budget(deps, namespace, self.status))
        try:
            if limiter is None:
                msg = await _run(deps, self.executor, action, namespace, name)
            else:
                # Admitted before the action's time bound starts; fair between namespaces.
                async with limiter.action(namespace, urgent(self.status)):
                    msg = await _run(deps, self.executor, action, namespace, name)
        except asyncio.CancelledError:
            await _release(deps, namespace, name, self.version, self.stored)
            raise
        observe_restarts(deps, namespace, msg)
        _crash_if_asked(deps, action)
        return msg


def _crash_if_asked(deps: Deps, action: m.Action) -> None:
    """Test hook: die right after the named action, before its answer is recorded."""
    if deps.crash_after_action == type(action).__name__:
        logger.warning("crash injected after %s", deps.crash_after_action)
        os.kill(os.getpid(), signal.SIGKILL)


async def _release(deps: Deps, namespace: str, name: str, version: str, status: Status) -> None:
    """Stopping (SIGTERM, resource deleted) mid-action: say that nothing of ours runs any more, so
    another operator takes over at once instead of after the lease. Best effort: the recorded step
    stays, and whoever goes on re-derives the action from it."""
    released = replace(status, in_flight=None)
    try:
        await asyncio.wait_for(
            _persist(deps, namespace, name, version, status, released), RELEASE_TIMEOUT_S
        )
    except Exception as exc:
        logger.info("%s/%s: in-flight record not released (%s)", namespace, name, exc)


async def _run(
    deps: Deps, executor: Executor, action: m.Action, namespace: str, name: str
) -> m.Message:
    """Run one action, bounded in time; anything unexpected becomes a failure with a reason."""
    what = type(action).__name__
    try:
        msg = await asyncio.wait_for(executor.run(action), ACTION_TIMEOUT.total_seconds())
    except TimeoutError:
        msg = m.ActionFailed(
            m.ErrorKind.TRANSIENT,
            f"{what} did not finish within {int(ACTION_TIMEOUT.total_seconds())}s",
        )
    except Exception as exc:
        # Logged with its traceback once per pass; status shows the type and the operation only.
        logger.exception(
            "%s/%s: %s raised %s",
            namespace,
            name,
            what,
            type(exc).__name__,
            extra={"reason": Reason.UNEXPECTED_ERROR.value},
        )
        deps.metrics.reconcile_error(Reason.UNEXPECTED_ERROR)
        msg = m.ActionFailed(
            m.ErrorKind.RECONCILE_ERROR,
            f"unexpected {type(exc).__name__} in {what}; the operator log has the traceback",
        )
        return replace(msg, action=what, jitter=deps.jitter())
    if isinstance(msg, m.ActionFailed | m.TokenVended | m.ClaimsChecked):
        msg = replace(msg, jitter=deps.jitter())
    if isinstance(msg, m.ActionFailed):
        deps.metrics.reconcile_error(msg.kind.value)
        logger.info(
            "%s/%s: %s failed: %s",
            namespace,
            name,
            what,
            msg.message,
            extra={"reason": msg.kind.value},
        )
        msg = replace(msg, action=what)
    return msg


async def _learn_secret_age(deps: Deps, executor: Executor, status: Status) -> m.Message | None:
    """List the secrets once when status lacks the current secret's creation time (adopted by an
    operator that did not record it); the list, for the machine to record, or None.

    Read-only and best effort: a failure only leaves the age out of the metrics. Never while an
    action of anyone is recorded in flight: the machine would clear that record.
    """
    res = executor.res
    view = deps.metrics.index.view(res.namespace, res.name)
    uuid = status.current_secret_uuid
    if (
        not deps.learn_secret_age
        or view is None
        or uuid is None
        or status.current_secret_created_at is not None
        or status.rotation is not None
        or status.in_flight is not None
        or view.age_asked == uuid
    ):
        return None
    view.age_asked = uuid
    msg = await _run(deps, executor, m.ListSecrets(m.Using.APP_SECRET), res.namespace, res.name)
    if not isinstance(msg, m.SecretsListed):
        return None
    # Shown even if the status write recording it loses a race (the next pass does not list).
    deps.metrics.index.add_secret_times(
        res.namespace,
        res.name,
        {s.uuid: s.created_at for s in msg.secrets if s.created_at is not None},
    )
    return msg


def _sooner(a: timedelta | None, b: timedelta | None) -> timedelta | None:
    """The earlier of two requeue delays (None: on events only)."""
    return b if a is None else a if b is None else min(a, b)


async def _tick(deps: Deps, obj: dict[str, Any], status: Status, executor: Executor) -> m.Tick:
    annotations = obj["metadata"].get("annotations") or {}
    resource = executor.res
    pending, fingerprint = False, None
    if status.adopted and status.rotation is None:
        pending = (
            await read_pending_secret(deps.kube, resource.namespace, resource.name, resource.uid)
            is not None
        )
        fingerprint = await executor.app_fingerprint()
    token = await executor.observe_token() if status.adopted else None
    return m.Tick(
        new_rotation_id=new_rotation_id(deps.clock()),
        rotate_request=annotations.get(ROTATE_ANNOTATION) or None,
        emergency=is_emergency(annotations),
        generation=obj["metadata"].get("generation"),
        pending_secret_present=pending,
        app_fingerprint=fingerprint,
        token=token,
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
    deps.metrics.status_written(namespace, name, old, new)
    bind_rotation(new)
    return str(updated["metadata"]["resourceVersion"])
