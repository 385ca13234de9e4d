"""Find the Deployments, StatefulSets and DaemonSets whose pod template reads a Secret."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from adobe_oauth_operator.kube.calls import call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.rotation.model import Target

KINDS = ("Deployment", "StatefulSet", "DaemonSet")
_PAGE_SIZE = 500


@dataclass(frozen=True)
class WorkloadApi:
    """The list, read and patch calls of one workload kind."""

    list: Callable[..., Any]
    read: Callable[..., Any]
    patch: Callable[..., Any]


def workload_api(kc: KubeClients, kind: str) -> WorkloadApi:
    """The AppsV1Api calls for `kind`; KeyError for any other kind."""
    apps = kc.apps
    return {
        "Deployment": WorkloadApi(
            apps.list_namespaced_deployment,
            apps.read_namespaced_deployment,
            apps.patch_namespaced_deployment,
        ),
        "StatefulSet": WorkloadApi(
            apps.list_namespaced_stateful_set,
            apps.read_namespaced_stateful_set,
            apps.patch_namespaced_stateful_set,
        ),
        "DaemonSet": WorkloadApi(
            apps.list_namespaced_daemon_set,
            apps.read_namespaced_daemon_set,
            apps.patch_namespaced_daemon_set,
        ),
    }[kind]


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
        async for item in _list_all(kind, workload_api(kc, kind).list, namespace):
            pod_spec = item["spec"]["template"].get("spec") or {}
            if reads(pod_spec, secret_name):
                found.append(Target(kind, item["metadata"]["name"]))
    return sorted(found)


async def _list_all(
    kind: str, fn: Callable[..., Any], namespace: str
) -> AsyncIterator[dict[str, Any]]:
    """Yield every item of a paginated list."""
    token: str | None = None
    while True:
        page = await call_json(
            f"list {kind}s in {namespace}", fn, namespace, limit=_PAGE_SIZE, _continue=token
        )
        for item in page.get("items") or ():
            yield item
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return
