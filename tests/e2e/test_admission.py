"""The CRD's admission rules on the real API server, one table shared with the operator's check.

Server-side dry-run: the API server defaults and validates each resource but stores nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import API_VERSION, GROUP, KIND, PLURAL, VERSION
from support.admission_cases import BASE_SPEC, MALFORMED, SECRET_LIKE, VALID, Case
from support.cluster import LocalCluster


def dry_run_create(cluster: LocalCluster, namespace: str, name: str, spec: dict[str, Any]) -> Any:
    body = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}, "spec": spec}
    return cluster.custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, body, dry_run="All"
    )


def rejection(cluster: LocalCluster, namespace: str, name: str, spec: dict[str, Any]) -> str:
    """The API server's whole answer (status body) to creating the resource; it must be a 422."""
    with pytest.raises(ApiException) as rejected:
        dry_run_create(cluster, namespace, name, spec)
    assert rejected.value.status == 422, rejected.value.body
    return str(rejected.value.body)


@pytest.mark.parametrize("case", MALFORMED, ids=[c.id for c in MALFORMED])
def test_malformed_resource_is_rejected_with_its_message(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any], case: Case
) -> None:
    body = rejection(cluster, namespace, case.name, case.full_spec())
    message = str(json.loads(body)["message"])
    assert case.expected in message, message
    # CEL rules ran and none of them failed to evaluate (an overflow would say so).
    assert "evaluation error" not in message, message
    assert "some validation rules were not checked" not in message, message
    for value in case.secret_values:
        assert value not in body


@pytest.mark.parametrize("case", VALID, ids=[c.id for c in VALID])
def test_valid_edge_case_is_accepted(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any], case: Case
) -> None:
    created = dry_run_create(cluster, namespace, case.name, case.full_spec())
    assert created["spec"]["secretName"] == case.full_spec()["secretName"]


def test_defaults_are_applied_before_the_rules_run(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> None:
    """A rule comparing two fields sees the other's default: interval 20h is under drainPeriod's
    default 24h whether or not the rotation section was given, and 25h is fine either way."""
    for rotation in ({"interval": "20h"}, {"interval": "20h", "maxWait": "80h"}):
        body = rejection(cluster, namespace, "c", {**BASE_SPEC, "rotation": rotation})
        assert "longer than spec.rotation.drainPeriod" in body
    created = dry_run_create(
        cluster, namespace, "c", {**BASE_SPEC, "rotation": {"interval": "25h"}}
    )
    assert created["spec"]["rotation"]["drainPeriod"] == "24h"
    assert created["spec"]["rotation"]["maxWait"] == "72h"


def test_every_broken_rule_is_reported_in_one_answer(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> None:
    spec = {
        **BASE_SPEC,
        "secretName": "payments-pending",
        "secretKeys": {"clientId": "K", "clientSecret": "K"},
        "rotation": {"interval": "1ms", "maxWait": "100000000h"},
    }
    causes = json.loads(rejection(cluster, namespace, "payments", spec))["details"]["causes"]
    assert {c["field"] for c in causes} == {
        "spec.secretName",
        "spec.secretKeys.clientSecret",
        "spec.rotation.interval",
        "spec.rotation.maxWait",
    }


def test_a_client_secret_pasted_as_client_id_is_not_echoed(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> None:
    for value in (SECRET_LIKE, SECRET_LIKE * 8):  # the second is over maxLength
        body = rejection(cluster, namespace, "c", {**BASE_SPEC, "clientId": value})
        assert "spec.clientId" in body
        assert value not in body
        assert SECRET_LIKE[4:20] not in body
