"""The application Secret's owner annotation against the real API server: one claimant wins a
race, a gone claimant is taken over, only the owner releases, and nothing else changes."""

from __future__ import annotations

import asyncio

import pytest

from adobe_oauth_operator.kube.claims import (
    Claimant,
    SecretGone,
    claim_app_secret,
    release_app_secret,
)
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.names import FIELD_MANAGER, OWNER_ANNOTATION
from support.cluster import LocalCluster

A, B = Claimant("ns", "first", "uid-a"), Claimant("ns", "second", "uid-b")


@pytest.fixture
def kc(cluster: LocalCluster) -> KubeClients:
    return KubeClients.from_api_client(cluster.api)


@pytest.fixture
def app_secret(cluster: LocalCluster, namespace: str) -> str:
    cluster.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": "creds", "annotations": {"team": "checkout"}},
            "stringData": {"ADOBE_CLIENT_SECRET": "value"},
        },
    )
    return "creds"


def _annotations(cluster: LocalCluster, namespace: str) -> dict[str, str]:
    return dict(cluster.core.read_namespaced_secret("creds", namespace).metadata.annotations or {})


async def _alive(_: Claimant) -> bool:
    return True


async def _gone(_: Claimant) -> bool:
    return False


async def test_of_two_claims_at_once_exactly_one_wins(
    cluster: LocalCluster, namespace: str, kc: KubeClients, app_secret: str
) -> None:
    results = await asyncio.gather(
        claim_app_secret(kc, namespace, app_secret, A, _alive),
        claim_app_secret(kc, namespace, app_secret, B, _alive),
    )
    winner = A if results[0] is None else B
    assert sorted(map(str, (r for r in results if r is not None))) == [str(winner)]
    assert _annotations(cluster, namespace)[OWNER_ANNOTATION] == str(winner)
    assert _annotations(cluster, namespace)["team"] == "checkout", "nothing else changes"
    managers = {
        f.manager
        for f in cluster.core.read_namespaced_secret(app_secret, namespace).metadata.managed_fields
    }
    assert FIELD_MANAGER in managers
    # Asking again is a no-op for the owner and the same refusal for the other.
    loser = B if winner == A else A
    assert await claim_app_secret(kc, namespace, app_secret, winner, _alive) is None
    assert await claim_app_secret(kc, namespace, app_secret, loser, _alive) == winner


async def test_a_claim_whose_claimant_is_gone_is_taken_over(
    cluster: LocalCluster, namespace: str, kc: KubeClients, app_secret: str
) -> None:
    assert await claim_app_secret(kc, namespace, app_secret, A, _alive) is None
    assert await claim_app_secret(kc, namespace, app_secret, B, _gone) is None
    assert _annotations(cluster, namespace)[OWNER_ANNOTATION] == str(B)


async def test_only_the_owner_releases(
    cluster: LocalCluster, namespace: str, kc: KubeClients, app_secret: str
) -> None:
    assert await claim_app_secret(kc, namespace, app_secret, A, _alive) is None
    await release_app_secret(kc, namespace, app_secret, B)
    assert _annotations(cluster, namespace)[OWNER_ANNOTATION] == str(A)
    await release_app_secret(kc, namespace, app_secret, A)
    assert OWNER_ANNOTATION not in _annotations(cluster, namespace)
    assert await claim_app_secret(kc, namespace, app_secret, B, _alive) is None


async def test_a_missing_secret_cannot_be_claimed(namespace: str, kc: KubeClients) -> None:
    with pytest.raises(SecretGone):
        await claim_app_secret(kc, namespace, "absent", A, _alive)
    await release_app_secret(kc, namespace, "absent", A)  # nothing to release: no error
