"""Build and inspect test workloads (Deployments, StatefulSets, DaemonSets, Argo Rollouts,
CronJobs, Jobs) that read a Secret."""

from __future__ import annotations

from typing import Any

from kubernetes import client

from support.cluster import LocalCluster

KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def pod_template(app: str, secret_name: str, via: str = "env") -> dict[str, Any]:
    """A pod template whose container reads `secret_name` through env, envFrom or a volume."""
    container: dict[str, Any] = {"name": "app", "image": "example.invalid/app:1"}
    volumes: list[dict[str, Any]] = []
    if via == "env":
        container["env"] = [
            {
                "name": "ADOBE_CLIENT_SECRET",
                "valueFrom": {"secretKeyRef": {"name": secret_name, "key": "ADOBE_CLIENT_SECRET"}},
            }
        ]
    elif via == "envFrom":
        container["envFrom"] = [{"secretRef": {"name": secret_name}}]
    elif via == "volume":
        volumes.append({"name": "creds", "secret": {"secretName": secret_name}})
        container["volumeMounts"] = [{"name": "creds", "mountPath": "/creds"}]
    elif via == "projected":
        volumes.append(
            {"name": "creds", "projected": {"sources": [{"secret": {"name": secret_name}}]}}
        )
        container["volumeMounts"] = [{"name": "creds", "mountPath": "/creds"}]
    elif via != "none":
        raise ValueError(via)
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [container], "volumes": volumes, "terminationGracePeriodSeconds": 0},
    }


def workload(
    kind: str, name: str, secret_name: str, *, replicas: int = 2, via: str = "env"
) -> dict[str, Any]:
    """A manifest of `kind` whose pods read `secret_name`."""
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": pod_template(name, secret_name, via),
    }
    if kind != "DaemonSet":
        spec["replicas"] = replicas
    if kind == "StatefulSet":
        spec["serviceName"] = name
        spec["podManagementPolicy"] = "Parallel"
    if kind == "Deployment":
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
        }
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def cron_job(name: str, secret_name: str, schedule: str = "0 3 * * *") -> dict[str, Any]:
    """A CronJob whose Jobs' pods read `secret_name`; the default schedule never fires in a test."""
    template = pod_template(name, secret_name)
    template["spec"]["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": template}}},
    }


def job(name: str, secret_name: str) -> dict[str, Any]:
    """A Job whose pod reads `secret_name`; kwok keeps its pod Running, so it never finishes."""
    template = pod_template(name, secret_name)
    template["spec"]["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"template": template, "backoffLimit": 0},
    }


def rollout(name: str, secret_name: str, *, replicas: int = 1) -> dict[str, Any]:
    """An Argo Rollouts Rollout (canary, no steps) whose pods read `secret_name`."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, secret_name),
            "strategy": {"canary": {}},
        },
    }


def create(cluster: LocalCluster, namespace: str, manifest: dict[str, Any]) -> None:
    if manifest["kind"] == "Rollout":
        cluster.custom.create_namespaced_custom_object(
            "argoproj.io", "v1alpha1", namespace, "rollouts", manifest
        )
        return
    create_fn = {
        "Deployment": cluster.apps.create_namespaced_deployment,
        "StatefulSet": cluster.apps.create_namespaced_stateful_set,
        "DaemonSet": cluster.apps.create_namespaced_daemon_set,
        "CronJob": cluster.batch.create_namespaced_cron_job,
        "Job": cluster.batch.create_namespaced_job,
    }[manifest["kind"]]
    create_fn(namespace, manifest)


def read(cluster: LocalCluster, namespace: str, kind: str, name: str) -> Any:
    read_fn = {
        "Deployment": cluster.apps.read_namespaced_deployment,
        "StatefulSet": cluster.apps.read_namespaced_stateful_set,
        "DaemonSet": cluster.apps.read_namespaced_daemon_set,
    }[kind]
    return read_fn(name, namespace)


def pods(cluster: LocalCluster, namespace: str, app: str) -> list[client.V1Pod]:
    return list(cluster.core.list_namespaced_pod(namespace, label_selector=f"app={app}").items)


def ready_pods(cluster: LocalCluster, namespace: str, app: str) -> dict[str, str]:
    """Ready, not terminating pods of `app` as {uid: name}."""
    ready = {}
    for pod in pods(cluster, namespace, app):
        conditions = pod.status.conditions or []
        if pod.metadata.deletion_timestamp is None and any(
            c.type == "Ready" and c.status == "True" for c in conditions
        ):
            ready[pod.metadata.uid] = pod.metadata.name
    return ready


def rollout_complete(cluster: LocalCluster, namespace: str, kind: str, name: str) -> bool:
    """The same test `kubectl rollout status` applies, plus no pod of an old revision left."""
    obj = read(cluster, namespace, kind, name)
    status, spec = obj.status, obj.spec
    if (status.observed_generation or 0) < obj.metadata.generation:
        return False
    if kind == "Deployment":
        want = spec.replicas
        done = (
            (status.updated_replicas or 0) == want
            and (status.replicas or 0) == want
            and (status.available_replicas or 0) == want
        )
    elif kind == "StatefulSet":
        want = spec.replicas
        done = (
            (status.updated_replicas or 0) == want
            and (status.ready_replicas or 0) == want
            and status.current_revision == status.update_revision
        )
    else:
        want = status.desired_number_scheduled
        done = (status.updated_number_scheduled or 0) == want and (
            status.number_available or 0
        ) == want
    return bool(done) and len(pods(cluster, namespace, name)) == want
