"""Fixtures for tests that run against the real local control plane."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from adobe_oauth_operator.names import GROUP, PLURAL, VERSION
from support.cluster import REPO, LocalCluster, fresh_namespace, local_cluster
from support.crds import apply_crd
from support.operator_env import CRED, ORG, Env
from support.processes import OperatorProcess, SimProcess
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
    return apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=True)


@pytest.fixture
def dialect(request: pytest.FixtureRequest) -> str:
    """The simulator's dialect: `spec` unless a test is parametrized (indirectly) over it."""
    name: str = getattr(request, "param", "spec")
    return name


# (workdir, kubeconfig, namespace, simulator URL, *extra operator arguments)
StartOperator = Callable[..., OperatorProcess]


@pytest.fixture
def start_operator() -> StartOperator:
    """How `env` starts the operator (workdir, kubeconfig, namespace, simulator URL): the
    installed console script; a test module overrides it to run the operator another way."""
    return OperatorProcess


@pytest.fixture
def env(
    cluster: LocalCluster,
    namespace: str,
    crd_installed: None,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    dialect: str,
    start_operator: StartOperator,
) -> Iterator[Env]:
    client_id = secrets.token_hex(16)  # the shape of an Adobe client id
    initial = f"p8e-{secrets.token_urlsafe(24)}"
    marker = request.node.get_closest_marker("sim_secrets")
    seeded = [initial, *(marker.args if marker else ())]
    sim_args = request.node.get_closest_marker("sim_args")
    age = request.node.get_closest_marker("sim_age")
    sim = SimProcess(
        tmp_path,
        [
            {
                "org_id": ORG,
                "credential_id": CRED,
                "client_id": client_id,
                "secrets": seeded,
                "age_s": age.args[0] if age else 7200,
            }
        ],  # the existing secrets predate the test's rotations, unless sim_age says otherwise
        "--dialect",
        dialect,
        *(sim_args.args if sim_args else ()),
    )
    cluster.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": "adobe-creds", "labels": {"team": "payments"}},
            "stringData": {
                "ADOBE_CLIENT_ID": client_id,
                "ADOBE_CLIENT_SECRET": initial,
                "OTHER_KEY": "kept",
            },
        },
    )
    operator_args = request.node.get_closest_marker("operator_args")
    extra = operator_args.args if operator_args else ()
    operator = start_operator(tmp_path, cluster.kubeconfig, namespace, sim.url, *extra)
    statuses: list[str] = []
    try:
        env = Env(cluster, namespace, sim, operator, client_id, initial, tmp_path)
        yield env
        seeded.append(env.app_secret_value())  # the value the last rotation created, if any
        statuses.append(
            repr(cluster.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL))
        )
        _delete_credentials(cluster, namespace, operator)
    finally:
        operator.stop()
        sim.stop()
        logs = operator.logs()
        published = logs + repr(cluster.core.list_namespaced_event(namespace).items)
        published += repr(
            cluster.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)
        )
        for value in (initial, *seeded):
            assert value not in published, "a secret value reached a log, event or status"


def _delete_credentials(cluster: LocalCluster, namespace: str, operator: OperatorProcess) -> None:
    """Delete the resources while the operator runs, so it releases its finalizer."""
    if operator.exited():
        operator.start()
    cluster.custom.delete_collection_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)
    wait_until(
        lambda: (
            not cluster.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)[
                "items"
            ]
        ),
        timeout=30,
        what="credentials deleted",
    )
