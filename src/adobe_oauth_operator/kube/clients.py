"""The Kubernetes API clients the operator uses."""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes import client


@dataclass(frozen=True)
class KubeClients:
    """Typed-API facades over one shared ApiClient (one connection pool)."""

    core: client.CoreV1Api
    apps: client.AppsV1Api
    custom: client.CustomObjectsApi
    batch: client.BatchV1Api

    @classmethod
    def from_api_client(cls, api_client: client.ApiClient) -> KubeClients:
        return cls(
            core=client.CoreV1Api(api_client),
            apps=client.AppsV1Api(api_client),
            custom=client.CustomObjectsApi(api_client),
            batch=client.BatchV1Api(api_client),
        )
