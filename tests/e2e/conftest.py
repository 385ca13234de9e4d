"""Fixtures for tests that run against the real local control plane."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.cluster import LocalCluster, fresh_namespace, local_cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster() as running:
        yield running


@pytest.fixture
def namespace(cluster: LocalCluster) -> Iterator[str]:
    with fresh_namespace(cluster) as name:
        yield name
