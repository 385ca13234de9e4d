"""Find the workloads whose pod template reads a Secret: the ones a rotation restarts
(Deployments, StatefulSets, DaemonSets, Argo Rollouts) and the ones it leaves alone (CronJobs,
Jobs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adobe_oauth_operator.kube.calls import call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import NotFound
from adobe_oauth_operator.kube.rest import NamespacedResource
from adobe_oauth_operator.rotation.model import JobConsumer, JobKind, Target

KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
# Argo Rollouts' Rollout: a custom resource, present only where Argo Rollouts is installed.
ROLLOUT_GROUP, ROLLOUT_VERSION, ROLLOUT_PLURAL = "argoproj.io", "v1alpha1", "rollouts"
# Discovery holds one page of whole workload objects at a time: small pages keep the memory one
# tenant's crowded namespace can cost the operator small (a few MiB), for a few more list calls.
DISCOVERY_PAGE_SIZE = 50


@dataclass(frozen=True)
class WorkloadApi:
    """The list, read and patch calls of one workload kind."""

    list: Callable[..., Any]
    read: Callable[..., Any]
    patch: Callable[..., Any]


def workload_api(kc: KubeClients, kind: str) -> WorkloadApi:
    """The list, read and patch calls for `kind`; KeyError for any other kind."""
    if kind == "Rollout":
        return _rollout_api(kc)
    return {
        "Deployment": _calls(kc.deployments),
        "StatefulSet": _calls(kc.stateful_sets),
        "DaemonSet": _calls(kc.daemon_sets),
    }[kind]


def _calls(kind: NamespacedResource) -> WorkloadApi:
    return WorkloadApi(kind.list, kind.read, kind.patch)


def _rollout_api(kc: KubeClients) -> WorkloadApi:
    """CustomObjectsApi calls for Rollouts, in the (name, namespace, body) order of the others."""
    custom, where = kc.custom, (ROLLOUT_GROUP, ROLLOUT_VERSION)

    def list_(namespace: str, **kw: Any) -> Any:
        return custom.list_namespaced_custom_object(*where, namespace, ROLLOUT_PLURAL, **kw)

    def read(name: str, namespace: str, **kw: Any) -> Any:
        return custom.get_namespaced_custom_object(*where, namespace, ROLLOUT_PLURAL, name, **kw)

    def patch(name: str, namespace: str, body: Any, **kw: Any) -> Any:
        return custom.patch_namespaced_custom_object(
            *where, namespace, ROLLOUT_PLURAL, name, body, **kw
        )

    return WorkloadApi(list_, read, patch)


def pod_template(kind: str, obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod template of a workload, CronJob or Job (empty when it has none, e.g. a Rollout
    with a workloadRef, whose Deployment is found on its own)."""
    spec = obj.get("spec") or {}
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template: Mapping[str, Any] = spec.get("template") or {}
    return template


def template_references_secret(pod_spec: Mapping[str, Any], secret_name: str) -> bool:
    """True when a pod spec (camelCase JSON) reads `secret_name` through env, envFrom or volumes."""
    return secret_name in _referenced_secrets(pod_spec)


def template_reads_secret_from_env(pod_spec: Mapping[str, Any], secret_name: str) -> bool:
    """True when a container reads `secret_name` through env or envFrom (fixed at pod start)."""
    return any(
        secret_name in _container_secrets(container)
        for key in ("containers", "initContainers", "ephemeralContainers")
        for container in pod_spec.get(key) or ()
    )


def _referenced_secrets(pod_spec: Mapping[str, Any]) -> set[str]:
    names = set(_volume_secrets(pod_spec.get("volumes") or ()))
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in pod_spec.get(key) or ():
            names.update(_container_secrets(container))
    return names


def _container_secrets(container: Mapping[str, Any]) -> Iterator[str]:
    for env in container.get("env") or ():
        ref = (env.get("valueFrom") or {}).get("secretKeyRef") or {}
        if ref.get("name"):
            yield ref["name"]
    for source in container.get("envFrom") or ():
        ref = source.get("secretRef") or {}
        if ref.get("name"):
            yield ref["name"]


def _volume_secrets(volumes: Any) -> Iterator[str]:
    for volume in volumes:
        secret = volume.get("secret") or {}
        if secret.get("secretName"):
            yield secret["secretName"]
        for source in (volume.get("projected") or {}).get("sources") or ():
            projected = source.get("secret") or {}
            if projected.get("name"):
                yield projected["name"]


async def discover_workloads(
    kc: KubeClients,
    namespace: str,
    secret_name: str,
    reads: Callable[[Mapping[str, Any], str], bool] = template_references_secret,
) -> list[Target]:
    """Every workload in `namespace` whose pod template `reads` `secret_name`, sorted."""
    found = []
    for kind in KINDS:
        async for item in _list_optional(kind, workload_api(kc, kind).list, namespace):
            pod_spec = pod_template(kind, item).get("spec") or {}
            if reads(pod_spec, secret_name):
                found.append(Target(kind, item["metadata"]["name"]))
    return sorted(found)


async def discover_jobs(
    kc: KubeClients, namespace: str, secret_name: str
) -> tuple[JobConsumer, ...]:
    """CronJobs, and Jobs still running, whose pod template references `secret_name`, sorted."""
    found: list[JobConsumer] = []
    async for item in _list_all("CronJob", kc.cron_jobs.list, namespace):
        if template_references_secret(pod_template("CronJob", item).get("spec") or {}, secret_name):
            found.append(JobConsumer(JobKind.CRON_JOB, item["metadata"]["name"]))
    async for item in _list_all("Job", kc.jobs.list, namespace):
        started = running_since(item)
        spec = pod_template("Job", item).get("spec") or {}
        if started is not None and template_references_secret(spec, secret_name):
            found.append(JobConsumer(JobKind.JOB, item["metadata"]["name"], started))
    return tuple(sorted(found))


def running_since(job: Mapping[str, Any]) -> datetime | None:
    """When a Job that is still running started; None for a finished or not yet started one."""
    status = job.get("status") or {}
    finished = any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )
    start = status.get("startTime")
    if finished or status.get("completionTime") or not start:
        return None
    return datetime.fromisoformat(start.replace("Z", "+00:00"))


async def _list_optional(
    kind: str, fn: Callable[..., Any], namespace: str
) -> AsyncIterator[dict[str, Any]]:
    """Like _list_all, but a kind whose API is not installed (Rollout) lists as empty."""
    try:
        async for item in _list_all(kind, fn, namespace):
            yield item
    except NotFound:
        if kind != "Rollout":
            raise


async def _list_all(
    kind: str, fn: Callable[..., Any], namespace: str
) -> AsyncIterator[dict[str, Any]]:
    """Yield every item of a paginated list."""
    token: str | None = None
    while True:
        page = await call_json(
            f"list {kind}s in {namespace}",
            fn,
            namespace,
            limit=DISCOVERY_PAGE_SIZE,
            _continue=token,
        )
        for item in page.get("items") or ():
            yield item
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return
