"""The Kubernetes API clients the operator uses."""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes import client

from adobe_oauth_operator.kube.rest import NamespacedResource


@dataclass(frozen=True)
class KubeClients:
    """The calls of each kind the operator touches, over one shared ApiClient (one pool)."""

    secrets: NamespacedResource
    events: NamespacedResource
    deployments: NamespacedResource
    stateful_sets: NamespacedResource
    daemon_sets: NamespacedResource
    jobs: NamespacedResource
    cron_jobs: NamespacedResource
    custom: client.CustomObjectsApi  # no models to import: it is as light as the calls above

    @classmethod
    def from_api_client(cls, api_client: client.ApiClient) -> KubeClients:
        def kind(api_path: str, plural: str) -> NamespacedResource:
            return NamespacedResource(api_client, api_path, plural)

        return cls(
            secrets=kind("/api/v1", "secrets"),
            events=kind("/api/v1", "events"),
            deployments=kind("/apis/apps/v1", "deployments"),
            stateful_sets=kind("/apis/apps/v1", "statefulsets"),
            daemon_sets=kind("/apis/apps/v1", "daemonsets"),
            jobs=kind("/apis/batch/v1", "jobs"),
            cron_jobs=kind("/apis/batch/v1", "cronjobs"),
            custom=client.CustomObjectsApi(api_client),
        )
