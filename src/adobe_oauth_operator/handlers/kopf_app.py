"""kopf wiring: one daemon per AdobeOAuthCredential runs reconcile passes; events wake it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import kopf
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from adobe_oauth_operator import __version__
from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.adobe.limiter import AdobeLimiter
from adobe_oauth_operator.config import OperatorConfig
from adobe_oauth_operator.handlers.deletion import finalize
from adobe_oauth_operator.handlers.ownership import ClaimEntry, IndexKey, index_entries
from adobe_oauth_operator.handlers.pass_context import Deps, Watched
from adobe_oauth_operator.handlers.reconcile import reconcile
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credentials import get_credential
from adobe_oauth_operator.kube.errors import Conflict, KubeError
from adobe_oauth_operator.kube.hmac_key import ensure_hmac_key
from adobe_oauth_operator.memory import trim_periodically
from adobe_oauth_operator.names import (
    ANNOTATION_PREFIX,
    EMERGENCY_ANNOTATION,
    FINALIZER,
    GROUP,
    KOPF_DIFFBASE_KEY,
    PLURAL,
    ROTATE_ANNOTATION,
    VERSION,
)
from adobe_oauth_operator.observability import logs
from adobe_oauth_operator.observability.metrics import OperatorMetrics
from adobe_oauth_operator.rotation.backoff import CONFLICTS, ERRORS, retry_delay
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.sensitive import Sensitive
from adobe_oauth_operator.timings import (
    BOOKKEEPING_POLL,
    BOOKKEEPING_WAIT,
    DAEMON_CANCELLATION_TIMEOUT,
    DAEMON_STOP_WAIT,
    MIN_SLEEP,
)

logger = logging.getLogger(__name__)


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Configure kopf and build the API clients once; they live in the memo, not in globals."""
    config: OperatorConfig = memo.config
    settings.posting.enabled = False  # our events are deliberate; kopf's log events are noise
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=ANNOTATION_PREFIX
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=ANNOTATION_PREFIX, key=KOPF_DIFFBASE_KEY
    )
    settings.persistence.finalizer = FINALIZER
    settings.peering.priority = config.priority
    try:
        k8s_config.load_incluster_config()  # type: ignore[no-untyped-call]
    except k8s_config.ConfigException:
        k8s_config.load_kube_config()  # type: ignore[no-untyped-call]
    metrics: OperatorMetrics = memo.setdefault("metrics", OperatorMetrics())
    memo.api_client = kube_api_client(config.kube_max_concurrency)
    # Kubernetes calls run in threads (kube/calls.py): as many threads as pooled connections, so
    # a call waits in the executor's FIFO queue, never for a connection inside urllib3.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(config.kube_max_concurrency, thread_name_prefix="kube")
    )
    memo.trimmer = asyncio.create_task(trim_periodically())
    limiter = AdobeLimiter(config.adobe_max_rps, config.adobe_max_concurrency)
    memo.adobe = AdobeClient(
        ims_url=config.ims_url,
        api_url=config.api_url,
        limiter=limiter,
        observe=metrics.observe_request,
    )
    kube = KubeClients.from_api_client(memo.api_client)
    memo.deps = Deps(
        adobe=memo.adobe,
        kube=kube,
        crash_after_action=config.crash_after_action,
        holder=config.identity,
        hmac_key=await _hmac_key(kube, config.hmac_namespace),
        metrics=metrics,
        learn_secret_age=config.metrics_address is not None,
    )


def kube_api_client(connections: int) -> k8s.ApiClient:
    configuration = k8s.Configuration.get_default_copy()
    configuration.connection_pool_maxsize = connections
    api_client = k8s.ApiClient(configuration)
    api_client.user_agent = f"adobe-oauth-operator/{__version__}"
    return api_client


async def _hmac_key(kube: KubeClients, namespace: str | None) -> Sensitive | None:
    """The key of the Secret fingerprints; without one, changes behind our back go unnoticed."""
    if namespace is None:
        logger.warning(
            "no namespace for the HMAC key Secret (set POD_NAMESPACE): changes made to "
            "application Secrets outside the operator are not detected"
        )
        return None
    try:
        return await ensure_hmac_key(kube, namespace)
    except KubeError as exc:
        logger.warning("no HMAC key (%s): Secret drift is not detected", exc)
        return None


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    memo.trimmer.cancel()
    await memo.adobe.aclose()
    memo.api_client.close()


def _wake_key(body: kopf.Body) -> tuple[object, ...]:
    annotations = body.metadata.annotations
    return (
        body.metadata.get("generation"),
        annotations.get(ROTATE_ANNOTATION),
        annotations.get(EMERGENCY_ANNOTATION),
    )


def forget_managed_fields(event: Mapping[str, object]) -> None:
    """Drop managedFields from the watched object that kopf keeps as the daemon's live body.

    Nothing here reads them, and they are half of what each of 1,000 bodies costs in memory.
    """
    obj = event.get("object")
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)


@kopf.on.event(GROUP, VERSION, PLURAL)
async def wake_on_change(body: kopf.Body, event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    """Wake the resource's daemon when the user changed something (not on our status writes)."""
    forget_managed_fields(event)
    key = _wake_key(body)
    if memo.get("wake_key") != key:
        memo["wake_key"] = key
        memo.setdefault("wake", asyncio.Event()).set()


@kopf.index(GROUP, VERSION, PLURAL)
def credential_claims(
    namespace: str | None,
    name: str,
    uid: str,
    spec: kopf.Spec,
    status: kopf.Status,
    **_: Any,
) -> dict[IndexKey, ClaimEntry]:
    """Every resource by namespace and by the credential its status claims (handlers/ownership)."""
    return index_entries(namespace, name, uid, spec, status)


@kopf.daemon(
    GROUP, VERSION, PLURAL, cancellation_timeout=DAEMON_CANCELLATION_TIMEOUT.total_seconds()
)
async def credential_daemon(
    name: str,
    namespace: str | None,
    body: kopf.Body,
    memo: Any,
    stopped: kopf.DaemonStopped,
    **kwargs: Any,
) -> None:
    """Reconcile until the resource goes away, sleeping until the next due time or a wake-up."""
    wake: asyncio.Event = memo.setdefault("wake", asyncio.Event())
    done: asyncio.Event = memo.setdefault("daemon_done", asyncio.Event())
    done.clear()
    deps: Deps = memo.deps
    index: kopf.Index[IndexKey, ClaimEntry] = kwargs["credential_claims"]
    deps.claims.bind(index)
    config: OperatorConfig = memo.config
    # Per-credential series exist while this replica handles the resource: kopf stops the
    # daemon on deletion and when peering pauses this replica, so neither leaves stale series.
    ns = namespace or ""
    deps.metrics.index.track(ns, name)
    watched = Watched(body)  # kopf keeps `body` current with every watch event
    try:
        with logs.resource_fields(ns, name):
            await _kopf_bookkeeping_done(body, stopped)
            await _reconcile_until_stopped(deps, config, ns, name, watched, wake, stopped)
    finally:
        deps.metrics.index.forget(ns, name)
        done.set()


async def _reconcile_until_stopped(
    deps: Deps,
    config: OperatorConfig,
    namespace: str,
    name: str,
    watched: Watched,
    wake: asyncio.Event,
    stopped: kopf.DaemonStopped,
) -> None:
    failures = conflicts = 0
    while not stopped:
        wake.clear()
        try:
            delay = await reconcile(deps, namespace, name, watched)
            failures = conflicts = 0
        except Conflict:
            # Changed while we worked: start over soon (0.5-1 s), but a storm of conflicts backs
            # off (doubling per conflict in a row, up to 15-30 s).
            conflicts += 1
            delay = retry_delay(conflicts, deps.jitter(), schedule=CONFLICTS)
        except Exception as exc:
            # The API server is unreachable or something unexpected broke outside an action:
            # back off exponentially; the traceback once, then one line per failure.
            failures += 1
            reason = (
                Reason.KUBERNETES_ERROR if isinstance(exc, KubeError) else Reason.UNEXPECTED_ERROR
            )
            deps.metrics.reconcile_error(reason)
            if failures == 1:
                logger.exception(
                    "%s/%s: reconcile failed", namespace, name, extra={"reason": reason.value}
                )
            else:
                logger.error(
                    "%s/%s: reconcile failed %d times: %s: %s",
                    namespace,
                    name,
                    failures,
                    type(exc).__name__,
                    exc,
                    extra={"reason": reason.value},
                )
            delay = retry_delay(failures, jitter=1.0, schedule=ERRORS)
        sleep = sleep_after(delay, config.resync_interval)
        # asyncio.timeout, not wait_for: no extra task per sleeping resource (1,000 of them).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(sleep.total_seconds()):
                await wake.wait()


async def _kopf_bookkeeping_done(body: kopf.Body, stopped: kopf.DaemonStopped) -> None:
    """Let kopf add its finalizer and its record of the handled spec to a new resource first.

    Both are writes to the resource right after it appears; a first pass started before them
    would lose its status write to a Conflict (and, after an Adopt, repeat Adobe requests).
    Bounded: a resource kopf leaves alone (e.g. being deleted) is reconciled anyway.
    """
    deadline = asyncio.get_running_loop().time() + BOOKKEEPING_WAIT.total_seconds()
    while not stopped and asyncio.get_running_loop().time() < deadline:
        meta = body.metadata
        if meta.deletion_timestamp or (
            FINALIZER in meta.get("finalizers", []) and DIFFBASE_ANNOTATION in meta.annotations
        ):
            return
        await asyncio.sleep(BOOKKEEPING_POLL.total_seconds())


DIFFBASE_ANNOTATION = f"{ANNOTATION_PREFIX}/{KOPF_DIFFBASE_KEY}"


def sleep_after(delay: timedelta | None, resync: timedelta) -> timedelta:
    """How long the daemon sleeps (unless woken) after a pass asking to look again in `delay`
    (None: on events only): never past the resync, never less than MIN_SLEEP."""
    sleep = resync if delay is None else min(delay, resync)
    return max(sleep, MIN_SLEEP)


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def release(body: kopf.Body, memo: Any, **_: Any) -> None:
    """Finish the job on deletion, after this resource's daemon has stopped; bounded in time."""
    done: asyncio.Event = memo.setdefault("daemon_done", asyncio.Event())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), timeout=DAEMON_STOP_WAIT.total_seconds())
    deps: Deps = memo.deps
    namespace, name = body.metadata.namespace or "", body.metadata.name or ""
    with logs.resource_fields(namespace, name):
        # Re-read: the daemon may have recorded a last step after this event was delivered.
        fresh = None
        with contextlib.suppress(KubeError):
            fresh = await get_credential(deps.kube, namespace, name)
        await finalize(deps, fresh or dict(body))
    deps.metrics.forget(namespace, name)
