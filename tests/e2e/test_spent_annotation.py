"""Removing a spent emergency annotation on the real API server: only what was seen is removed."""

from __future__ import annotations

from typing import Any

import pytest

from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credentials import remove_spent_annotation
from adobe_oauth_operator.names import (
    API_VERSION,
    EMERGENCY_ANNOTATION,
    GROUP,
    KIND,
    PLURAL,
    ROTATE_ANNOTATION,
    VERSION,
)
from support.cluster import LocalCluster

SEEN = {ROTATE_ANNOTATION: "1", EMERGENCY_ANNOTATION: "true"}


@pytest.fixture
def credential(cluster: LocalCluster, namespace: str, crd_installed: Any) -> dict[str, Any]:
    body = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": "adobe", "annotations": dict(SEEN)},
        "spec": {"orgId": "123", "credentialId": "456", "secretName": "creds"},
    }
    return dict(
        cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    )


def _annotations(cluster: LocalCluster, namespace: str) -> dict[str, str]:
    obj = cluster.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "adobe")
    return dict(obj["metadata"].get("annotations") or {})


async def test_removed_when_nothing_changed(
    cluster: LocalCluster, namespace: str, credential: dict[str, Any]
) -> None:
    kc = KubeClients.from_api_client(cluster.api)
    version = credential["metadata"]["resourceVersion"]
    new_version = await remove_spent_annotation(
        kc, namespace, "adobe", EMERGENCY_ANNOTATION, SEEN, version
    )
    assert new_version is not None and new_version != version
    assert _annotations(cluster, namespace) == {ROTATE_ANNOTATION: "1"}
    # Again: already gone, nothing to do.
    assert (
        await remove_spent_annotation(
            kc, namespace, "adobe", EMERGENCY_ANNOTATION, SEEN, new_version
        )
        is None
    )


@pytest.mark.parametrize("change", ["new request", "other write"])
async def test_kept_when_the_object_changed_meanwhile(
    cluster: LocalCluster, namespace: str, credential: dict[str, Any], change: str
) -> None:
    kc = KubeClients.from_api_client(cluster.api)
    version = credential["metadata"]["resourceVersion"]
    patch = {ROTATE_ANNOTATION: "2"} if change == "new request" else {"example.com/unrelated": "x"}
    cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, "adobe", {"metadata": {"annotations": patch}}
    )
    removed = await remove_spent_annotation(
        kc, namespace, "adobe", EMERGENCY_ANNOTATION, SEEN, version
    )
    assert removed is None
    assert _annotations(cluster, namespace)[EMERGENCY_ANNOTATION] == "true"
