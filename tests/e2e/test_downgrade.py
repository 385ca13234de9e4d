"""Downgrading to the previous release (commit 899734a, run from its own source) with status this
release wrote: the previous operator reads the resource as v1alpha1, keeps the status fields it does
not know and completes the rotation in flight, deleting only the secret that rotation replaced;
this release then takes over again. Its CRD stays: the previous one is refused once v1beta1 is
stored. docs/install.md, "Downgrading"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import GROUP, PLURAL, VERSION
from adobe_oauth_operator.timings import ACTION_LEASE
from support.cluster import REPO, LocalCluster
from support.crds import apply_crd
from support.operator_env import CRED, ORG, Env
from support.previous_operator import PREVIOUS_COMMIT, api_version_of, operator_command
from support.previous_operator import previous_source as extract_previous
from support.processes import OperatorProcess, sha256
from support.waiting import wait_until

LEASE_S = ACTION_LEASE.total_seconds()  # the same in both releases
PREVIOUS_CRD_FILE = (
    REPO / "tests" / "support" / "old_crds" / f"adobeoauthcredentials-{PREVIOUS_COMMIT}.yaml"
)
CRD_NAME = f"{PLURAL}.{GROUP}"


@pytest.fixture(scope="module")
def previous_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = extract_previous(tmp_path_factory.mktemp("previous"))
    assert api_version_of(source) == "v1alpha1"  # the release before v1beta1
    return source


def _held_at_delete_old(env: Env) -> dict[str, Any] | None:
    """Waiting for the next attempt at the delete, no action running."""
    status = env.status()
    rotation = status.get("rotation") or {}
    held = rotation.get("step") == "DeleteOld" and status.get("retry")
    return status if held and not status.get("inFlight") else None


def _settled(env: Env, rotations: int) -> dict[str, Any] | None:
    """That many rotations done and every follow-up action reported back: an operator stopped
    now leaves no action recorded in flight (the next one would wait out its lease)."""
    status = env.status()
    done = len(status.get("history") or []) >= rotations and not status.get("rotation")
    return status if done and not status.get("inFlight") else None


# 899734a's client takes an add answer only with the new secret's uuid: the guide's shape, not the
# one Adobe's OpenAPI description documents (docs/install.md, "Downgrading").
@pytest.mark.parametrize("dialect", ["guide"], indirect=True)
def test_the_previous_release_completes_a_rotation_this_one_began(
    env: Env, previous_source: Path
) -> None:
    env.apply_credential()
    env.wait_adopted()
    env.sim.fault(endpoint="delete", status=503, count=10_000)  # holds the rotation at DeleteOld
    env.request_rotation()
    wait_until(lambda: _held_at_delete_old(env), timeout=60, what="the rotation held at DeleteOld")
    env.operator.stop()
    held = env.status()
    rotation = held["rotation"]
    # What 899734a's code does not know: the claim and the ids the rotation is pinned to.
    assert held["claim"]["confirmed"] is True
    assert (rotation["orgId"], rotation["credentialId"]) == (ORG, CRED)
    env.sim.call("DELETE", "/__sim/faults")

    previous = OperatorProcess(
        env.workdir,
        env.cluster.kubeconfig,
        env.namespace,
        env.sim.url,
        command=operator_command(previous_source),
        identity="operator-previous-release",
        log_name="previous-operator.log",
    )
    try:
        # Bounded by the action lease: a stop that lost its release makes the next one wait.
        done = wait_until(lambda: _settled(env, 1), timeout=LEASE_S + 60, what="the handover")
    finally:
        previous.stop()
    remaining = env.adobe_secrets()
    assert [s["uuid"] for s in remaining] == [rotation["newSecretUuid"]]  # only the old one went
    assert remaining[0]["value_sha256"] == sha256(env.app_secret_value())
    assert done["currentSecretUuid"] == rotation["newSecretUuid"]
    assert [(h["id"], h["result"]) for h in done["history"]] == [(rotation["id"], "Succeeded")]
    assert done["claim"] == held["claim"]  # its status writes never name the claim
    assert "--- start 1 ---" in previous.logs()
    for value in (env.initial_value, env.app_secret_value()):
        assert value not in previous.logs()

    # Upgraded again: this release takes the resource as the previous one left it.
    env.operator.start()
    env.request_rotation()
    env.wait_rotations(2)
    env.assert_clean_end_state(2)
    assert env.status()["claim"]["confirmed"] is True


def test_the_previous_crd_is_refused_once_v1beta1_is_stored(
    cluster: LocalCluster, crd_installed: dict[str, Any]
) -> None:
    ext = client.ApiextensionsV1Api(cluster.api)
    assert VERSION in ext.read_custom_resource_definition(CRD_NAME).status.stored_versions
    with pytest.raises(ApiException) as refused:
        apply_crd(cluster, yaml.safe_load(PREVIOUS_CRD_FILE.read_text()), replace=True)
    assert refused.value.status == 422, refused.value.body
    message = json.loads(refused.value.body)["message"]
    assert 'Invalid value: "v1beta1": missing from spec.versions' in message
    served = [v.name for v in ext.read_custom_resource_definition(CRD_NAME).spec.versions]
    assert served == [VERSION, "v1alpha1"]  # unchanged
