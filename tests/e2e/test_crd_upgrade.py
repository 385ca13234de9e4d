"""Upgrading the CRD loses nothing: resources stored as v1alpha1 under the CRD of an earlier release
(frozen in tests/support/old_crds/) are still served, as v1beta1 and v1alpha1, defaulted, writable
and reconciled under the one in crds/; the documented migration lets a later CRD drop v1alpha1."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import API_VERSION, GROUP, KIND, PLURAL, VERSION
from adobe_oauth_operator.rotation.validation import (
    TOKEN_MANAGEMENT_SCOPES_MESSAGE,
    TOKEN_NO_SCOPES_MESSAGE,
    spec_problems,
)
from support.cluster import REPO, LocalCluster, fresh_namespace
from support.crds import apply_crd, recreate_crd
from support.operator_env import CRED, FAST_ROTATION, ORG, Env, condition
from support.waiting import wait_until

OLD_CRD_FILE = REPO / "tests" / "support" / "old_crds" / "adobeoauthcredentials-899734a.yaml"
NEW_CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
OLD_VERSION = "v1alpha1"  # the only version the old CRD serves, and the one it stores
CRD_NAME = f"{PLURAL}.{GROUP}"
KUBECTL = REPO / ".tools" / "bin" / "kubectl"

MINIMAL = {"orgId": "123", "credentialId": "456", "secretName": "creds"}
EVERY_FIELD = {
    "orgId": "123",
    "credentialId": "456",
    "clientId": "0123456789abcdef0123456789abcdef",
    "secretName": "creds",
    "secretKeys": {"clientId": "ID", "clientSecret": "SECRET"},
    "scopes": ["AdobeID", "openid", "read_client_secret", "manage_client_secrets"],
    "rotation": {
        "interval": "720h",
        "drainPeriod": "12h",
        "maxWait": "48h",
        "onStillInUse": "Delete",
        "onDrift": "Report",
        "checkInterval": "30s",
        "window": {"days": ["Mon", "Tue"], "start": "09:00", "end": "16:00", "timeZone": "UTC"},
    },
    "rollout": {
        "targets": [{"kind": "Deployment", "name": "web"}],
        "autoDiscover": False,
        "timeout": "5m",
    },
    "suspend": True,
    "accessToken": {
        "secretName": "token",
        "key": "TOKEN",
        "scopes": ["AdobeID", "openid"],
        "refreshBefore": "4h",
    },
}
TOKEN_DEFAULT_SCOPES = {**MINIMAL, "accessToken": {"secretName": "token"}}
# Valid under the old CRD; the new one refuses a vended token that can manage client secrets.
TOKEN_MANAGES_SECRETS = {
    **MINIMAL,
    "accessToken": {"secretName": "token", "scopes": ["AdobeID", "manage_client_secrets"]},
}
TOKEN_INHERITS_MANAGEMENT = {
    **MINIMAL,
    "scopes": ["read_client_secret", "manage_client_secrets"],
    "accessToken": {"secretName": "token"},
}
SPECS = {
    "minimal": MINIMAL,
    "every-field": EVERY_FIELD,
    "token-default-scopes": TOKEN_DEFAULT_SCOPES,
    "token-manages-secrets": TOKEN_MANAGES_SECRETS,
    "token-inherits-management": TOKEN_INHERITS_MANAGEMENT,
}
REFUSED = {
    "token-manages-secrets": TOKEN_MANAGEMENT_SCOPES_MESSAGE,
    "token-inherits-management": TOKEN_NO_SCOPES_MESSAGE,
}

# Written through the status subresource in the shape the old operator wrote it.
READY_STATUS: dict[str, Any] = {
    "phase": "Ready",
    "observedGeneration": 1,
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "UpToDate",
            "message": "The Secret holds the current client secret",
            "lastTransitionTime": "2026-11-01T10:00:00Z",
            "observedGeneration": 1,
        }
    ],
    "clientId": "0123456789abcdef0123456789abcdef",
    "currentSecretUuid": "11111111-1111-1111-1111-111111111111",
    "currentSecretCreatedAt": "2026-11-01T09:59:00Z",
    "adoptedAt": "2026-11-01T10:00:00Z",
    "nextRotationTime": "2026-12-01T10:00:00Z",
    "secretHmac": "ab" * 32,
    "actionSeq": 3,
}
ROTATING_STATUS: dict[str, Any] = {
    **READY_STATUS,
    "phase": "Rotating",
    "rotation": {
        "id": "r-1",
        "step": "Drain",
        "reason": "Scheduled",
        "startedAt": "2026-12-01T10:00:00Z",
        "oldSecretUuid": "11111111-1111-1111-1111-111111111111",
        "newSecretUuid": "22222222-2222-2222-2222-222222222222",
        "newSecretCreatedAt": "2026-12-01T10:00:01Z",
        "rolloutStartedAt": "2026-12-01T10:00:02Z",
        "rolloutCompletedAt": "2026-12-01T10:01:00Z",
        "drainDeadline": "2026-12-04T10:01:00Z",
        "drain": {
            "oldSecretLastUsed": "2026-12-01T10:00:30Z",
            "deleteAfter": "2026-12-01T22:01:00Z",
        },
        "addAttempts": 1,
        "preAddUuids": ["11111111-1111-1111-1111-111111111111"],
        "targets": [{"kind": "Deployment", "name": "web", "restarted": True, "complete": True}],
    },
    "history": [
        {
            "id": "r-0",
            "reason": "OnDemand",
            "startedAt": "2026-11-01T09:58:00Z",
            "finishedAt": "2026-11-01T10:00:00Z",
            "result": "Succeeded",
            "oldSecretUuid": "00000000-0000-0000-0000-000000000000",
            "newSecretUuid": "11111111-1111-1111-1111-111111111111",
        }
    ],
    "inFlight": {
        "seq": 3,
        "action": "DeleteOld",
        "holder": "old-pod",
        "startedAt": "2026-12-01T22:01:00Z",
    },
}
TOKEN_STATUS: dict[str, Any] = {
    **READY_STATUS,
    "accessToken": {
        "secretName": "token",
        "key": "ADOBE_ACCESS_TOKEN",
        "scopes": ["AdobeID", "manage_client_secrets"],
        "secretUuid": "11111111-1111-1111-1111-111111111111",
        "issuedAt": "2026-12-01T10:00:00Z",
        "expiresAt": "2026-12-02T10:00:00Z",
        "refreshAt": "2026-12-02T05:12:00Z",
        "tokenHmac": "cd" * 32,
        "refreshes": 4,
    },
}
STATUSES = {
    "minimal": READY_STATUS,
    "every-field": ROTATING_STATUS,
    "token-default-scopes": READY_STATUS,
    "token-manages-secrets": TOKEN_STATUS,
    "token-inherits-management": READY_STATUS,
}


def _load(path: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load(path.read_text())
    return manifest


def _install_old_crd(cluster: LocalCluster) -> None:
    """The old CRD as a cluster that never ran this release has it: a CRD that stored v1beta1
    cannot be replaced by one without it (see test_downgrade), so delete it and start over."""
    crd = recreate_crd(cluster, _load(OLD_CRD_FILE))
    assert crd["status"]["storedVersions"] == [OLD_VERSION]


def _create_old(cluster: LocalCluster, namespace: str, name: str, spec: dict[str, Any]) -> Any:
    """Create a resource as the old CRD stores it: v1alpha1."""
    body = {"apiVersion": f"{GROUP}/{OLD_VERSION}", "kind": KIND, "metadata": {"name": name}}
    body["spec"] = copy.deepcopy(spec)
    return cluster.custom.create_namespaced_custom_object(
        GROUP, OLD_VERSION, namespace, PLURAL, body
    )


@pytest.fixture
def upgraded(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> Iterator[dict[str, dict[str, Any]]]:
    """The resources of SPECS with STATUSES, created under the old CRD, then the CRD upgraded to
    crds/ as `kubectl apply` would; the resources as stored before the upgrade."""
    _install_old_crd(cluster)
    try:
        stored = {}
        for name, spec in SPECS.items():
            _create_old(cluster, namespace, name, spec)
            stored[name] = cluster.custom.patch_namespaced_custom_object_status(
                GROUP, OLD_VERSION, namespace, PLURAL, name, {"status": STATUSES[name]}
            )
            assert stored[name]["status"] == STATUSES[name]
        apply_crd(cluster, _load(NEW_CRD_FILE), replace=True)
        yield stored
    finally:
        apply_crd(cluster, _load(NEW_CRD_FILE), replace=True)


def _get(
    cluster: LocalCluster, namespace: str, name: str, version: str = VERSION
) -> dict[str, Any]:
    got: dict[str, Any] = cluster.custom.get_namespaced_custom_object(
        GROUP, version, namespace, PLURAL, name
    )
    return got


def _patch(cluster: LocalCluster, namespace: str, name: str, patch: dict[str, Any]) -> Any:
    return cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, name, patch
    )


def _refusal(call: Any) -> dict[str, Any]:
    """The API server's 422 answer to `call`, parsed."""
    with pytest.raises(ApiException) as refused:
        call()
    assert refused.value.status == 422, refused.value.body
    answer: dict[str, Any] = json.loads(refused.value.body)
    return answer


def test_stored_resources_are_served_defaulted_and_intact(
    cluster: LocalCluster, namespace: str, upgraded: dict[str, dict[str, Any]]
) -> None:
    for name, before in upgraded.items():
        after = _get(cluster, namespace, name)
        assert after["apiVersion"] == API_VERSION
        assert after["status"] == before["status"], name
        assert after["metadata"]["generation"] == before["metadata"]["generation"], name
        expected = copy.deepcopy(before["spec"])
        if "accessToken" in expected:
            expected["accessToken"]["allowSecretManagement"] = False  # the new field's default
        assert after["spec"] == expected, name
        # Still served as v1alpha1: the same object under the old apiVersion.
        old = _get(cluster, namespace, name, OLD_VERSION)
        assert old["apiVersion"] == f"{GROUP}/{OLD_VERSION}"
        assert (old["spec"], old["status"]) == (after["spec"], after["status"]), name


def test_the_operator_check_reports_what_the_new_rules_refuse(
    cluster: LocalCluster, namespace: str, upgraded: dict[str, dict[str, Any]]
) -> None:
    for name in upgraded:
        stored = _get(cluster, namespace, name)
        assert spec_problems(name, stored["spec"]) == (
            [REFUSED[name]] if name in REFUSED else []
        ), name


def test_writes_that_leave_a_refused_token_scope_alone_are_admitted(
    cluster: LocalCluster, namespace: str, upgraded: dict[str, dict[str, Any]]
) -> None:
    """CRD validation ratcheting: a rule on spec.accessToken is not re-checked while that part of
    the stored object is unchanged, so the operator and the user can still write the resource."""
    for name in ("minimal", "every-field", "token-default-scopes", "token-manages-secrets"):
        _patch(cluster, namespace, name, {"metadata": {"annotations": {"team": "payments"}}})
        _patch(cluster, namespace, name, {"metadata": {"finalizers": ["example.com/keep"]}})
        cluster.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, PLURAL, name, {"status": {"phase": "Stalled"}}
        )
        suspend = not upgraded[name]["spec"]["suspend"]  # a real change to the spec
        _patch(cluster, namespace, name, {"spec": {"suspend": suspend}})
        _patch(cluster, namespace, name, {"metadata": {"finalizers": None}})
        after = _get(cluster, namespace, name)
        assert after["status"]["phase"] == "Stalled", name
        assert after["spec"]["suspend"] is suspend, name
        assert after["metadata"]["generation"] == upgraded[name]["metadata"]["generation"] + 1
        assert "finalizers" not in after["metadata"], name


def test_a_change_to_a_refused_token_scope_must_fix_it(
    cluster: LocalCluster, namespace: str, upgraded: dict[str, dict[str, Any]]
) -> None:
    """Touching spec.accessToken re-checks it: kept management scopes are refused with the reason;
    dropping them, or opting in with allowSecretManagement, is admitted."""
    name = "token-manages-secrets"
    answer = _refusal(
        lambda: _patch(cluster, namespace, name, {"spec": {"accessToken": {"refreshBefore": "3h"}}})
    )
    assert [(c["field"], c["message"]) for c in answer["details"]["causes"]] == [
        ("spec.accessToken.scopes", f"Invalid value: {TOKEN_MANAGEMENT_SCOPES_MESSAGE}")
    ]
    assert "refreshBefore" not in _get(cluster, namespace, name)["spec"]["accessToken"]

    opted_in = _patch(
        cluster, namespace, name, {"spec": {"accessToken": {"allowSecretManagement": True}}}
    )
    assert opted_in["spec"]["accessToken"]["scopes"] == ["AdobeID", "manage_client_secrets"]
    narrowed = _patch(
        cluster,
        namespace,
        name,
        {"spec": {"accessToken": {"allowSecretManagement": False, "scopes": ["AdobeID"]}}},
    )
    assert spec_problems(name, narrowed["spec"]) == []


def test_a_resource_refused_by_the_inherited_scope_rule_still_takes_metadata_and_status(
    cluster: LocalCluster, namespace: str, upgraded: dict[str, dict[str, Any]]
) -> None:
    name = "token-inherits-management"
    cluster.custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, name, {"status": {"phase": "Stalled"}}
    )
    _patch(cluster, namespace, name, {"metadata": {"finalizers": ["example.com/keep"]}})
    _patch(cluster, namespace, name, {"metadata": {"finalizers": None}})


@pytest.fixture
def stored_credential(
    cluster: LocalCluster,
    namespace: str,
    crd_installed: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[None]:
    """`creds` for the env fixture's credential, with the spec fields of the test's parameter,
    created under the old CRD; then the CRD upgraded (before `env` starts the new operator)."""
    _install_old_crd(cluster)
    try:
        spec = {
            "orgId": ORG,
            "credentialId": CRED,
            "secretName": "adobe-creds",
            "rotation": dict(FAST_ROTATION),
            **request.param,
        }
        _create_old(cluster, namespace, "creds", spec)
        apply_crd(cluster, _load(NEW_CRD_FILE), replace=True)
        yield
    finally:
        apply_crd(cluster, _load(NEW_CRD_FILE), replace=True)


def _wait_invalid_spec(env: Env, timeout: float = 30) -> dict[str, Any]:
    return wait_until(
        lambda: (s := env.status()) and condition(s, "Ready").get("reason") == "InvalidSpec" and s,
        timeout=timeout,
        what="InvalidSpec",
    )


@pytest.mark.parametrize(
    "stored_credential",
    [
        {
            "accessToken": {
                "secretName": "adobe-token",
                "scopes": ["AdobeID", "manage_client_secrets"],
            }
        }
    ],
    indirect=True,
)
def test_the_operator_reports_a_stored_refused_token_scope_and_resumes_once_fixed(
    stored_credential: None, env: Env
) -> None:
    status = _wait_invalid_spec(env)
    assert TOKEN_MANAGEMENT_SCOPES_MESSAGE in condition(status, "Ready")["message"]
    assert condition(status, "Stalled")["status"] == "True"
    assert "accessToken" not in status
    with pytest.raises(ApiException) as missing:
        env.cluster.core.read_namespaced_secret("adobe-token", env.namespace)
    assert missing.value.status == 404  # no token that can manage client secrets was vended

    env.cluster.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        env.namespace,
        PLURAL,
        "creds",
        {"spec": {"accessToken": {"scopes": ["AdobeID"]}}},
    )
    token = wait_until(
        lambda: env.status().get("accessToken", {}).get("refreshes"),
        timeout=60,
        what="a vended token",
    )
    assert token >= 1
    status = env.status()
    assert status["accessToken"]["scopes"] == ["AdobeID"]
    assert condition(status, "Ready")["reason"] != "InvalidSpec"


@pytest.mark.parametrize(
    "stored_credential",
    [
        {
            "scopes": ["read_client_secret", "manage_client_secrets"],
            "accessToken": {"secretName": "adobe-token"},
        }
    ],
    indirect=True,
)
def test_the_operator_reports_a_stored_token_left_without_scopes(
    stored_credential: None, env: Env
) -> None:
    status = _wait_invalid_spec(env, timeout=15)
    assert TOKEN_NO_SCOPES_MESSAGE in condition(status, "Ready")["message"]


@pytest.mark.parametrize("stored_credential", [{}], indirect=True)
def test_a_resource_stored_as_v1alpha1_is_adopted_and_rotated(
    stored_credential: None, env: Env
) -> None:
    """The operator watches v1beta1 only; the resource the old CRD stored is its v1beta1 form."""
    env.wait_adopted()
    env.request_rotation()
    env.wait_rotations(1)
    env.assert_clean_end_state(1)


def _kubectl(cluster: LocalCluster, *args: str, stdin: str | None = None) -> str:
    out = subprocess.run(
        [str(KUBECTL), f"--kubeconfig={cluster.kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_documented_migration_lets_a_later_crd_drop_v1alpha1(
    cluster: LocalCluster, namespace: str, crd_installed: dict[str, Any]
) -> None:
    """docs/install.md, "API versions": rewrite every resource, then record that only v1beta1 is
    stored. A resource the rewrite missed (another namespace here) is what a CRD without v1alpha1
    can no longer serve: not it, and no list of the kind either."""
    _install_old_crd(cluster)
    with fresh_namespace(cluster) as elsewhere:
        try:
            _create_old(cluster, namespace, "migrated", MINIMAL)
            _create_old(cluster, elsewhere, "left-behind", MINIMAL)
            apply_crd(cluster, _load(NEW_CRD_FILE), replace=True)
            without_old = _load(NEW_CRD_FILE)
            without_old["spec"]["versions"] = [
                v for v in without_old["spec"]["versions"] if v["name"] == VERSION
            ]
            # Before the migration, a CRD without v1alpha1 is refused: it is recorded as stored.
            answer = _refusal(lambda: apply_crd(cluster, without_old, replace=True))
            assert 'Invalid value: "v1alpha1": missing from spec.versions' in answer["message"]
            # The documented step, with -n instead of -A.
            listed = _kubectl(cluster, "get", f"{PLURAL}.{GROUP}", "-n", namespace, "-o", "json")
            _kubectl(cluster, "replace", "-f", "-", stdin=listed)
            _kubectl(
                cluster,
                "patch",
                "customresourcedefinition",
                CRD_NAME,
                "--subresource=status",
                "--type=merge",
                "-p",
                json.dumps({"status": {"storedVersions": [VERSION]}}),
            )
            apply_crd(cluster, without_old, replace=True)
            assert _get(cluster, namespace, "migrated")["spec"]["orgId"] == MINIMAL["orgId"]
            invalid = f"invalid group/version: {GROUP}/{OLD_VERSION}"
            with pytest.raises(ApiException) as unreadable:
                _get(cluster, elsewhere, "left-behind")
            assert invalid in unreadable.value.body
            with pytest.raises(ApiException) as unlisted:  # what the operator's watch needs
                cluster.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)
            assert invalid in unlisted.value.body
        finally:
            apply_crd(cluster, _load(NEW_CRD_FILE), replace=True)
        assert _get(cluster, elsewhere, "left-behind")["spec"]["orgId"] == MINIMAL["orgId"]
