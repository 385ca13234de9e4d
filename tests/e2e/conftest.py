"""Fixtures for tests that run against the real local control plane."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from support.cluster import REPO, LocalCluster, fresh_namespace, local_cluster
from support.crds import apply_crd

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
    return apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=True)
