"""The Argo CD health check (docs/argocd/health.lua), run as Argo CD runs it: a Lua 5.1 chunk
(gopher-lua is 5.1) with the live object as the global `obj`, returning {status, message}."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import lupa.lua51 as lua51
import pytest
import yaml

from adobe_oauth_operator.names import API_VERSION, GROUP, KIND, ROTATION_ID_ANNOTATION
from adobe_oauth_operator.rotation.conditions import ConditionType
from adobe_oauth_operator.rotation.model import Phase

REPO = Path(__file__).resolve().parents[2]
HEALTH_LUA = REPO / "docs" / "argocd" / "health.lua"
ARGOCD_DOC = REPO / "docs" / "argocd.md"
CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
ARGO_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}


def health(obj: dict[str, Any]) -> dict[str, str]:
    lua = lua51.LuaRuntime(unpack_returned_tuples=True)
    lua.globals()["obj"] = lua.table_from(obj, recursive=True)
    result = lua.execute(HEALTH_LUA.read_text())
    return {"status": result["status"], "message": result["message"]}


def condition(type_: ConditionType, status: bool, reason: str, message: str) -> dict[str, Any]:
    return {
        "type": type_.value,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }


def credential(status: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": "payments", "namespace": "team-a", "generation": 1},
        "spec": {"orgId": "1", "credentialId": "2", "secretName": "adobe-creds"},
    }
    if status is not None:
        obj["status"] = {"observedGeneration": 1, **status}
    obj.update(extra)
    return obj


READY = credential(
    {
        "phase": Phase.READY.value,
        "conditions": [
            condition(ConditionType.READY, True, "Rotated", "holds secret abc"),
            condition(ConditionType.ROTATING, False, "Rotated", "no rotation in progress"),
            condition(ConditionType.STALLED, False, "Rotated", "nothing is blocked"),
        ],
    }
)
ROTATING = credential(
    {
        "phase": Phase.ROTATING.value,
        "conditions": [
            condition(ConditionType.READY, True, "Rotating", "a rotation is in progress"),
            condition(ConditionType.ROTATING, True, "Rollout", "waiting for Deployment/web"),
            condition(ConditionType.STALLED, False, "Rollout", "nothing is blocked"),
        ],
        "rotation": {"id": "r1", "step": "Rollout", "reason": "OnDemand"},
    }
)
STALLED = credential(
    {
        "phase": Phase.STALLED.value,
        "conditions": [
            condition(ConditionType.READY, False, "RolloutTimeout", "Deployment/web timed out"),
            condition(ConditionType.ROTATING, True, "RolloutTimeout", "Deployment/web timed out"),
            condition(ConditionType.STALLED, True, "RolloutTimeout", "Deployment/web timed out"),
        ],
    }
)
FAILED = credential(
    {
        "phase": Phase.FAILED.value,
        "conditions": [
            condition(ConditionType.READY, False, "VerifyFailed", "rotation r1 failed: 401"),
            condition(ConditionType.ROTATING, False, "VerifyFailed", "rotation r1 failed: 401"),
            condition(ConditionType.STALLED, False, "VerifyFailed", "rotation r1 failed: 401"),
        ],
    }
)
PENDING = credential(
    {
        "phase": Phase.PENDING.value,
        "conditions": [
            condition(ConditionType.READY, False, "SecretNotFound", "Secret adobe-creds is missing")
        ],
    }
)


@pytest.mark.parametrize(
    ("obj", "status", "message"),
    [
        (READY, "Healthy", "holds secret abc"),
        (ROTATING, "Progressing", "waiting for Deployment/web"),
        (STALLED, "Degraded", "Deployment/web timed out"),
        (FAILED, "Degraded", "rotation r1 failed: 401"),
        (PENDING, "Progressing", "Secret adobe-creds is missing"),
        (credential(), "Progressing", "Waiting for the operator to adopt the credential"),
        (credential({}), "Progressing", "Waiting for the operator to adopt the credential"),
    ],
    ids=["ready", "rotating", "stalled", "failed", "pending", "no-status", "empty-status"],
)
def test_health_of_sample_statuses(obj: dict[str, Any], status: str, message: str) -> None:
    assert health(obj) == {"status": status, "message": message}


def test_a_spec_change_not_yet_seen_is_progressing() -> None:
    obj = credential(READY["status"])
    obj["metadata"]["generation"] = 2
    assert health(obj)["status"] == "Progressing"
    assert "generation 2" in health(obj)["message"]


def test_suspended() -> None:
    obj = credential(READY["status"])
    obj["spec"]["suspend"] = True
    assert health(obj)["status"] == "Suspended"


def test_stalled_condition_wins_over_phase() -> None:
    obj = credential({**STALLED["status"], "phase": Phase.ROTATING.value})
    assert health(obj)["status"] == "Degraded"


@pytest.mark.parametrize(
    "phase",
    yaml.safe_load(CRD_FILE.read_text())["spec"]["versions"][0]["schema"]["openAPIV3Schema"][
        "properties"
    ]["status"]["properties"]["phase"]["enum"],
)
def test_every_phase_of_the_crd_has_a_health(phase: str) -> None:
    assert phase in {p.value for p in Phase}
    assert health(credential({"phase": phase}))["status"] in ARGO_STATUSES - {"Unknown"}


def test_the_doc_embeds_the_script_verbatim() -> None:
    doc = ARGOCD_DOC.read_text()
    script = HEALTH_LUA.read_text()
    indented = "\n".join(("    " + line).rstrip() for line in script.rstrip().splitlines())
    assert indented in doc, "docs/argocd.md must embed docs/argocd/health.lua, indented 4"
    assert f"resource.customizations.health.{GROUP}_{KIND}" in doc


SERVED_VERSIONS = [v["name"] for v in yaml.safe_load(CRD_FILE.read_text())["spec"]["versions"]]


@pytest.mark.parametrize("version", SERVED_VERSIONS)
def test_every_served_version_gets_the_same_health(version: str) -> None:
    """Argo CD keys a health check by group and kind only (the doc's key names no version), so
    a resource applied as the deprecated v1alpha1 is judged by the same script."""
    for sample in (READY, ROTATING, STALLED, FAILED, PENDING):
        assert health({**sample, "apiVersion": f"{GROUP}/{version}"}) == health(sample)


def test_the_doc_ignores_exactly_the_operators_pod_template_annotation() -> None:
    doc = ARGOCD_DOC.read_text()
    expressions = set(re.findall(r"- '(\.spec\.template\.metadata\.annotations\[[^']+)'", doc))
    assert expressions == {f'.spec.template.metadata.annotations["{ROTATION_ID_ANNOTATION}"]'}
    yaml_blocks = re.findall(r"```yaml\n(.*?)```", doc, re.DOTALL)
    documents = [d for block in yaml_blocks for d in yaml.safe_load_all(block) if d]
    apps = [d for d in documents if d.get("kind") == "Application"]
    workloads_app = next(
        a
        for a in apps
        if any(e.get("jqPathExpressions") for e in a["spec"].get("ignoreDifferences", []))
    )
    ignored = {
        (entry["group"], entry["kind"])
        for entry in workloads_app["spec"]["ignoreDifferences"]
        if entry.get("jqPathExpressions")
    }
    assert ignored == {("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet")}
    assert "RespectIgnoreDifferences=true" in workloads_app["spec"]["syncPolicy"]["syncOptions"]
