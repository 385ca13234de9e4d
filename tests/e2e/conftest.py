"""Fixtures for tests that run against the real local control plane."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from support.cluster import REPO, LocalCluster, fresh_namespace, local_cluster
from support.waiting import wait_until

CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster() as running:
        yield running


@pytest.fixture
def namespace(cluster: LocalCluster) -> Iterator[str]:
    with fresh_namespace(cluster) as name:
        yield name


@pytest.fixture(scope="session")
def crd_installed(cluster: LocalCluster) -> dict[str, Any]:
    """The AdobeOAuthCredential CRD from crds/, created or replaced, and Established."""
    return install_crd(cluster, yaml.safe_load(CRD_FILE.read_text()))


def install_crd(cluster: LocalCluster, manifest: dict[str, Any]) -> dict[str, Any]:
    """Create the CRD, or replace the one there; wait until it is Established and return it."""
    ext = client.ApiextensionsV1Api(cluster.api)
    name = manifest["metadata"]["name"]
    try:
        current = ext.read_custom_resource_definition(name)
    except ApiException as exc:
        if exc.status != 404:
            raise
        ext.create_custom_resource_definition(manifest)
    else:
        body = {**manifest, "metadata": {**manifest["metadata"]}}
        body["metadata"]["resourceVersion"] = current.metadata.resource_version
        ext.replace_custom_resource_definition(name, body)

    def established() -> Any:
        crd = ext.read_custom_resource_definition(name)
        conditions = {c.type: c.status for c in crd.status.conditions or ()}
        done = conditions.get("Established") == "True" and conditions.get("NamesAccepted") == "True"
        return crd if done else None

    crd = wait_until(established, timeout=30, what=f"CRD {name} Established")
    return dict(cluster.api.sanitize_for_serialization(crd))
