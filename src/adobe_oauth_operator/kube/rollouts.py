"""Restart workloads for a rotation, and tell when their rollouts are complete.

A restart stamps the rotation id on the pod template (as `kubectl rollout restart` stamps a
time), so applying the same rotation id again never rolls anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adobe_oauth_operator.kube.calls import MERGE_PATCH, call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import NotFound
from adobe_oauth_operator.kube.workloads import WorkloadApi, workload_api
from adobe_oauth_operator.names import FIELD_MANAGER, ROTATION_ID_ANNOTATION
from adobe_oauth_operator.rotation.messages import RestartResult
from adobe_oauth_operator.rotation.model import Target


@dataclass(frozen=True)
class RolloutState:
    """Whether a workload runs the rotation's pod template everywhere, and why not if not."""

    complete: bool
    message: str


async def restart_workload(
    kc: KubeClients,
    namespace: str,
    ref: Target,
    rotation_id: str,
    annotation: str = ROTATION_ID_ANNOTATION,
) -> RestartResult:
    """Stamp `rotation_id` on the pod template unless it is there already or the rollout paused.

    `annotation` is the rotation id's, or another stamp's (a vended token's refresh).
    """
    api = workload_api(kc, ref.kind)
    obj = await _read(api, namespace, ref)
    if obj is None:
        return RestartResult.NOT_FOUND
    if _template_annotations(obj).get(annotation) == rotation_id:
        return RestartResult.ALREADY
    if obj["spec"].get("paused"):
        return RestartResult.PAUSED
    try:
        await _stamp(api, namespace, ref, rotation_id, annotation)
    except NotFound:
        return RestartResult.NOT_FOUND
    return RestartResult.RESTARTED


async def workload_exists(kc: KubeClients, namespace: str, ref: Target) -> bool:
    return await _read(workload_api(kc, ref.kind), namespace, ref) is not None


async def rollout_state(
    kc: KubeClients, namespace: str, ref: Target, rotation_id: str
) -> RolloutState:
    """What `kubectl rollout status` checks, plus that the template carries `rotation_id`."""
    obj = await _read(workload_api(kc, ref.kind), namespace, ref)
    if obj is None:
        return RolloutState(False, f"{ref.kind} {ref.name} is missing")
    stamped = _template_annotations(obj).get(ROTATION_ID_ANNOTATION)
    if stamped != rotation_id:
        return RolloutState(False, f"{ref.kind} {ref.name} is not restarted for {rotation_id} yet")
    generation = obj["metadata"].get("generation", 0)
    observed = (obj.get("status") or {}).get("observedGeneration", 0)
    if observed < generation:
        return RolloutState(False, f"waiting for {ref.kind} {ref.name} spec update to be observed")
    check = {"Deployment": _deployment, "StatefulSet": _stateful_set, "DaemonSet": _daemon_set}
    return check[ref.kind](ref.name, obj["spec"], obj.get("status") or {})


def _deployment(name: str, spec: dict[str, Any], status: dict[str, Any]) -> RolloutState:
    for condition in status.get("conditions") or ():
        if condition.get("type") == "Progressing" and (
            condition.get("reason") == "ProgressDeadlineExceeded"
        ):
            return RolloutState(False, f"Deployment {name} exceeded its progress deadline")
    want = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    total = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    if updated < want:
        return RolloutState(False, f"{updated} of {want} new replicas of {name} are updated")
    if total > updated:
        return RolloutState(False, f"{total - updated} old replicas of {name} pending termination")
    if available < updated:
        return RolloutState(False, f"{available} of {updated} updated replicas are available")
    return RolloutState(True, f"Deployment {name} rolled out: {available} replicas available")


def _stateful_set(name: str, spec: dict[str, Any], status: dict[str, Any]) -> RolloutState:
    want = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    ready = status.get("readyReplicas", 0)
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        if updated < want:
            return RolloutState(
                False,
                f"StatefulSet {name} uses the OnDelete update strategy: {updated} of {want} pods "
                "are updated; delete the old pods to finish",
            )
    elif status.get("currentRevision") != status.get("updateRevision") or updated < want:
        partition = (strategy.get("rollingUpdate") or {}).get("partition", 0)
        hint = f" (partition {partition} holds back the lower ordinals)" if partition else ""
        return RolloutState(False, f"{updated} of {want} pods of {name} are updated{hint}")
    if ready < want:
        return RolloutState(False, f"{ready} of {want} pods of {name} are ready")
    return RolloutState(True, f"StatefulSet {name} rolled out: {ready} pods ready")


def _daemon_set(name: str, spec: dict[str, Any], status: dict[str, Any]) -> RolloutState:
    desired = status.get("desiredNumberScheduled", 0)
    updated = status.get("updatedNumberScheduled", 0)
    available = status.get("numberAvailable", 0)
    on_delete = (spec.get("updateStrategy") or {}).get("type") == "OnDelete"
    if updated < desired:
        hint = " (OnDelete update strategy: delete the old pods to finish)" if on_delete else ""
        return RolloutState(False, f"{updated} of {desired} pods of {name} are updated{hint}")
    if available < desired:
        return RolloutState(False, f"{available} of {desired} updated pods are available")
    return RolloutState(True, f"DaemonSet {name} rolled out: {available} pods available")


async def _read(api: WorkloadApi, namespace: str, ref: Target) -> dict[str, Any] | None:
    try:
        obj: dict[str, Any] = await call_json(
            f"read {ref.kind} {namespace}/{ref.name}", api.read, ref.name, namespace
        )
    except NotFound:
        return None
    return obj


async def _stamp(
    api: WorkloadApi, namespace: str, ref: Target, rotation_id: str, annotation: str
) -> None:
    # No resourceVersion precondition: controllers update a workload's status all the time, so a
    # compare-and-swap keeps failing on a busy workload, and stamping the same id twice is a no-op.
    patch = {
        "spec": {"template": {"metadata": {"annotations": {annotation: rotation_id}}}},
    }
    await call_json(
        f"patch {ref.kind} {namespace}/{ref.name}",
        api.patch,
        ref.name,
        namespace,
        patch,
        field_manager=FIELD_MANAGER,
        _content_type=MERGE_PATCH,
    )


def _template_annotations(obj: dict[str, Any]) -> dict[str, str]:
    metadata = obj["spec"]["template"].get("metadata") or {}
    annotations: dict[str, str] = metadata.get("annotations") or {}
    return annotations
