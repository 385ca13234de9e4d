"""The CRD in crds/ as the real API server serves it: defaults, validation, kubectl output."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import API_VERSION, GROUP, KIND, PLURAL, VERSION
from support.cluster import REPO, LocalCluster
from support.waiting import wait_until

KUBECTL = REPO / ".tools" / "bin" / "kubectl"
MINIMAL_SPEC = {"orgId": "123", "credentialId": "456", "secretName": "creds"}


def create(cluster: LocalCluster, namespace: str, name: str, spec: dict[str, Any]) -> Any:
    body = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}, "spec": spec}
    return cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)


def kubectl(cluster: LocalCluster, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), f"--kubeconfig={cluster.kubeconfig}", f"--cache-dir={cache}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_crd_is_established_with_its_names(crd_installed: dict[str, Any]) -> None:
    names = crd_installed["spec"]["names"]
    assert (names["kind"], names["plural"], names["shortNames"]) == (KIND, PLURAL, ["aoc"])
    assert crd_installed["spec"]["versions"][0]["subresources"] == {"status": {}}


def test_defaults_are_applied(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> None:
    spec = create(cluster, namespace, "minimal", dict(MINIMAL_SPEC))["spec"]
    assert spec["secretKeys"] == {
        "clientId": "ADOBE_CLIENT_ID",
        "clientSecret": "ADOBE_CLIENT_SECRET",
    }
    # One access-token lifetime, and three before onStillInUse applies (docs/install.md).
    assert spec["rotation"] == {
        "drainPeriod": "24h",
        "maxWait": "72h",
        "onStillInUse": "Wait",
        "onDrift": "Rotate",
        "checkInterval": "60s",
    }
    assert spec["rollout"] == {"autoDiscover": True, "timeout": "15m"}
    assert spec["suspend"] is False
    assert spec["scopes"] == [
        "AdobeID",
        "openid",
        "read_organizations",
        "additional_info.projectedProductContext",
        "additional_info.roles",
        "adobeio_api",
        "read_client_secret",
        "manage_client_secrets",
    ]


def test_a_full_spec_is_accepted(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> None:
    spec = {
        **MINIMAL_SPEC,
        "clientId": "0123456789abcdef0123456789abcdef",
        "secretKeys": {"clientId": "id", "clientSecret": "secret.txt"},
        "scopes": ["openid"],
        "rotation": {
            "interval": "720h",
            "drainPeriod": "1h30m",
            "maxWait": "2.5h",
            "onStillInUse": "Delete",
            "checkInterval": "1500ms",
        },
        "rollout": {
            "targets": [{"kind": "Deployment", "name": "web"}, {"kind": "DaemonSet", "name": "a"}],
            "autoDiscover": False,
            "timeout": "5m",
        },
        "suspend": True,
    }
    assert create(cluster, namespace, "full", spec)["spec"]["rotation"]["interval"] == "720h"


INVALID = {
    "non-numeric orgId": ({"orgId": "my-org"}, "spec.orgId"),
    "non-numeric credentialId": ({"credentialId": "12a"}, "spec.credentialId"),
    "duration in words": ({"rotation": {"drainPeriod": "15 minutes"}}, "spec.rotation.drainPeriod"),
    "duration without unit": ({"rotation": {"interval": "30"}}, "spec.rotation.interval"),
    "onStillInUse Maybe": ({"rotation": {"onStillInUse": "Maybe"}}, "spec.rotation.onStillInUse"),
    "unknown rollout target kind": (
        {"rollout": {"targets": [{"kind": "Job", "name": "x"}]}},
        "spec.rollout.targets[0].kind",
    ),
    "duplicate rollout targets": (
        {"rollout": {"targets": [{"kind": "Deployment", "name": "x"}] * 2}},
        "spec.rollout.targets[1]",
    ),
    "secretName not a DNS name": ({"secretName": "Creds_1"}, "spec.secretName"),
    "empty scopes": ({"scopes": []}, "spec.scopes"),
    "scope with a comma": ({"scopes": ["openid,AdobeID"]}, "spec.scopes[0]"),
}


@pytest.mark.parametrize(("change", "field"), INVALID.values(), ids=INVALID.keys())
def test_invalid_spec_is_rejected_naming_the_field(
    cluster: LocalCluster,
    namespace: str,
    crd_installed: dict[str, Any],
    change: dict[str, Any],
    field: str,
) -> None:
    assert_rejected(cluster, namespace, {**MINIMAL_SPEC, **change}, field)


@pytest.mark.parametrize("missing", ["orgId", "credentialId", "secretName"])
def test_missing_required_field_is_rejected(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any], missing: str
) -> None:
    spec = {k: v for k, v in MINIMAL_SPEC.items() if k != missing}
    message = assert_rejected(cluster, namespace, spec, f"spec.{missing}")
    assert "Required value" in message


def assert_rejected(cluster: LocalCluster, namespace: str, spec: dict[str, Any], field: str) -> str:
    with pytest.raises(ApiException) as rejected:
        create(cluster, namespace, "invalid", spec)
    assert rejected.value.status == 422
    message = str(json.loads(rejected.value.body)["message"])
    assert f"{field}:" in message or f"{field} " in message, message
    return message


def test_kubectl_prints_the_columns_under_the_short_name(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any], tmp_path: Path
) -> None:
    create(cluster, namespace, "shown", dict(MINIMAL_SPEC))
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    cluster.custom.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        "shown",
        {
            "status": {
                "phase": "Ready",
                "lastRotationTime": f"{three_days_ago:%Y-%m-%dT%H:%M:%SZ}",
                "nextRotationTime": "2030-01-31T00:00:00Z",
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "Rotated",
                        "message": "",
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                    }
                ],
            }
        },
        _content_type="application/merge-patch+json",
    )

    # Discovery may lag the CRD by a moment; kubectl refreshes its cache on a miss.
    out = wait_until(
        lambda: (
            (run := kubectl(cluster, tmp_path, "get", "aoc", "-n", namespace)).returncode == 0
            and run.stdout
        ),
        timeout=30,
        what="kubectl get aoc",
    )
    header, row = out.splitlines()
    columns = [
        "NAME",
        "READY",
        "PHASE",
        "LAST ROTATION",
        "NEXT ROTATION",
        "OLD SECRET DELETED AFTER",
        "AGE",
    ]
    assert header.split() == " ".join(columns).split()
    # No drain in progress: the OLD SECRET DELETED AFTER cell is empty.
    name, ready, phase, last, next_, age = row.split()
    delete_after_at = header.index("OLD SECRET DELETED AFTER")
    assert row[delete_after_at : header.index("AGE")].strip() == ""
    assert (name, ready, phase, next_) == ("shown", "True", "Ready", "2030-01-31T00:00:00Z")
    assert (last, age[-1]) == ("3d", "s")  # date columns print as ages

    full_name = kubectl(cluster, tmp_path, "get", "adobeoauthcredentials", "-n", namespace)
    # The AGE column may tick between the two calls: compare everything but it.
    assert [line.split()[:-1] for line in full_name.stdout.splitlines()] == [
        line.split()[:-1] for line in out.splitlines()
    ]
    category = kubectl(cluster, tmp_path, "get", "adobe", "-n", namespace, "-o", "name")
    assert category.stdout.strip() == f"adobeoauthcredential.{GROUP}/shown"


def test_the_example_resource_quota_caps_credentials_per_namespace(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> None:
    """examples/resourcequota.yaml, with its count lowered to 2: the third create is refused."""
    quota = yaml.safe_load((REPO / "examples" / "resourcequota.yaml").read_text())
    key = f"count/{PLURAL}.{GROUP}"
    assert int(quota["spec"]["hard"][key]) > 2
    quota["spec"]["hard"][key] = "2"
    cluster.core.create_namespaced_resource_quota(namespace, quota)
    # The quota admits nothing until the controller has computed its usage: within its discovery
    # period (30 s) and full resync (15 s on the local cluster) of a CRD just installed.
    wait_until(
        lambda: (
            (
                cluster.core.read_namespaced_resource_quota(
                    quota["metadata"]["name"], namespace
                ).status.used
                or {}
            ).get(key)
            == "0"
        ),
        timeout=120,
        what="the quota's usage computed",
    )
    create(cluster, namespace, "first", dict(MINIMAL_SPEC))
    create(cluster, namespace, "second", dict(MINIMAL_SPEC))

    with pytest.raises(ApiException) as refused:
        create(cluster, namespace, "third", dict(MINIMAL_SPEC))
    assert refused.value.status == 403
    assert "exceeded quota" in str(refused.value.body) and key in str(refused.value.body)


def test_both_versions_serve_one_object_and_v1alpha1_warns(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any], tmp_path: Path
) -> None:
    """kubectl's short name reads v1beta1 (the preferred version) without a warning; v1alpha1 is
    the same object, and every request for it carries the deprecation warning."""
    old = f"{GROUP}/v1alpha1"
    manifest = {"apiVersion": old, "kind": KIND, "metadata": {"name": "legacy"}}
    manifest["spec"] = dict(MINIMAL_SPEC)
    path = tmp_path / "legacy.yaml"
    path.write_text(yaml.safe_dump(manifest))
    apply = ("apply", "-n", namespace, "-f", str(path))
    applied = wait_until(  # discovery may lag the CRD by a moment
        lambda: (run := kubectl(cluster, tmp_path, *apply)).returncode == 0 and run,
        timeout=30,
        what="kubectl apply of a v1alpha1 manifest",
    )
    [warning] = [
        v["deprecationWarning"]
        for v in crd_installed["spec"]["versions"]
        if v["name"] == "v1alpha1"
    ]
    assert f"Warning: {warning}" in applied.stderr

    current = kubectl(cluster, tmp_path, "get", "aoc", "legacy", "-n", namespace, "-o", "json")
    assert current.returncode == 0 and "Warning" not in current.stderr, current.stderr
    as_old = kubectl(
        cluster, tmp_path, "get", f"{PLURAL}.v1alpha1.{GROUP}", "legacy", "-n", namespace, "-o=json"
    )
    assert as_old.returncode == 0 and f"Warning: {warning}" in as_old.stderr, as_old.stderr
    new_obj, old_obj = json.loads(current.stdout), json.loads(as_old.stdout)
    assert (new_obj["apiVersion"], old_obj["apiVersion"]) == (API_VERSION, old)
    assert new_obj["metadata"]["uid"] == old_obj["metadata"]["uid"]
    assert new_obj["spec"] == old_obj["spec"]
