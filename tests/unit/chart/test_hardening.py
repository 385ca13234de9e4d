"""The chart's hardening values, rendered: the admission policies and their switch, the
NetworkPolicy, the image by digest and the listeners' addresses; kubeconform checks each rendering
strictly against Kubernetes 1.36's schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adobe_oauth_operator.cli import build_parser
from support.chart import (
    CHART,
    Helm,
    ToolError,
    by_kind,
    documents,
    kubeconform,
    only,
    prepare_schemas,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4
POLICY_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
HARDENED: dict[str, Any] = {
    "image": {"repository": "registry.example/aoo", "tag": "1.2.3", "digest": DIGEST},
    "httpAddress": "::",
    "metrics": {"address": "10.1.2.3", "port": 9100},
    "networkPolicy": {
        "enabled": True,
        "metricsFrom": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ],
        "apiServer": {"to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}], "ports": [6443]},
        "adobe": {"to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]},
    },
}


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(tmp_path_factory.mktemp("helm"))


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_schemas(tmp_path_factory.mktemp("schemas"))


def args_of(docs: list[Any]) -> list[str]:
    [container] = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return list(container["args"])


def policy(docs: list[Any], suffix: str) -> Any:
    [found] = [
        d
        for d in by_kind(docs, "ValidatingAdmissionPolicy")
        if d["metadata"]["name"].endswith(suffix)
    ]
    return found


@pytest.mark.parametrize(
    "values", [{}, HARDENED, {"watchNamespaces": ["team-a"]}], ids=["default", "hardened", "ns"]
)
def test_renderings_pass_kubeconform(helm: Helm, schemas: Path, values: dict[str, Any]) -> None:
    text = helm.template(values)
    result, report = kubeconform(schemas, text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["summary"]["invalid"] == report["summary"]["errors"] == 0, report
    kinds = [d["kind"] for d in documents(text)]
    assert report["summary"]["valid"] == len(kinds), report  # none skipped for want of a schema
    assert set(POLICY_KINDS) <= set(kinds), kinds
    assert ("NetworkPolicy" in kinds) == ("networkPolicy" in values)


def test_policies_are_on_by_default_and_bound_by_name(helm: Helm) -> None:
    docs = helm.render(release="aoo", namespace="ops")
    names = sorted(d["metadata"]["name"] for d in docs if d["kind"] in POLICY_KINDS)
    assert names == [
        "aoo-adobe-oauth-operator-creator-rights",
        "aoo-adobe-oauth-operator-creator-rights",
        "aoo-adobe-oauth-operator-operator-writes",
        "aoo-adobe-oauth-operator-operator-writes",
    ]
    for binding in by_kind(docs, "ValidatingAdmissionPolicyBinding"):
        assert binding["spec"]["policyName"] == binding["metadata"]["name"]
        assert binding["spec"]["validationActions"] == ["Deny"]
        assert "matchResources" not in binding["spec"]  # every namespace
    for suffix in ("-creator-rights", "-operator-writes"):
        assert policy(docs, suffix)["spec"]["failurePolicy"] == "Fail"


def test_policies_can_be_turned_off_for_old_clusters(helm: Helm) -> None:
    docs = helm.render({"admissionPolicies": {"enabled": False}})
    assert not [d for d in docs if d["kind"] in POLICY_KINDS]
    assert only(docs, "Deployment")  # nothing else is lost
    # On 1.29 the kind does not exist: say so, instead of failing on an unknown kind.
    old = ("--kube-version", "1.29.8")
    with pytest.raises(ToolError) as refused:
        helm.template({}, *old)
    assert "admissionPolicies.enabled needs Kubernetes 1.30 or later" in str(refused.value)
    assert "v1.29.8" in str(refused.value)
    old_cluster = helm.render({"admissionPolicies": {"enabled": False}}, *old)
    assert not [d for d in old_cluster if d["kind"] in POLICY_KINDS]


@pytest.mark.parametrize(
    ("values", "account"),
    [
        ({}, "system:serviceaccount:ops:aoo-adobe-oauth-operator"),
        ({"serviceAccount": {"name": "robot"}}, "system:serviceaccount:ops:robot"),
        ({"serviceAccount": {"create": False}}, "system:serviceaccount:ops:default"),
    ],
)
def test_operator_policy_matches_exactly_the_pods_service_account(
    helm: Helm, values: dict[str, Any], account: str
) -> None:
    docs = helm.render(values, release="aoo", namespace="ops")
    [condition] = policy(docs, "-operator-writes")["spec"]["matchConditions"]
    assert condition["expression"] == f"request.userInfo.username == '{account}'"
    pod = only(docs, "Deployment")["spec"]["template"]["spec"]
    assert account.endswith(":" + pod["serviceAccountName"])


def test_creator_policy_binds_to_watched_namespaces_only(helm: Helm) -> None:
    docs = helm.render({"watchNamespaces": ["team-a", "team-b"]})
    [binding] = [
        b
        for b in by_kind(docs, "ValidatingAdmissionPolicyBinding")
        if b["metadata"]["name"].endswith("-creator-rights")
    ]
    assert binding["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"] == [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["team-a", "team-b"]}
    ]


def test_creator_policy_checks_each_named_permission(helm: Helm) -> None:
    spec = policy(helm.render(), "-creator-rights")["spec"]
    assert spec["matchConstraints"]["resourceRules"] == [
        {
            "apiGroups": ["adobe-oauth-operator.dev"],
            "apiVersions": ["*"],
            "resources": ["adobeoauthcredentials"],  # not /status: the operator's writes
            "operations": ["CREATE", "UPDATE"],
        }
    ]
    text = json.dumps(spec)
    for fragment in (
        ".check('get')",
        ".check('update')",
        ".check('patch')",
        ".check('create')",
        "'argoproj.io'",
        "messageExpression",
    ):
        assert fragment in text, fragment


def test_image_by_digest_ignores_the_tag(helm: Helm) -> None:
    [container] = only(helm.render(HARDENED), "Deployment")["spec"]["template"]["spec"][
        "containers"
    ]
    assert container["image"] == f"registry.example/aoo@{DIGEST}"
    [by_tag] = only(helm.render({"image": {"repository": "r", "tag": "9"}}), "Deployment")["spec"][
        "template"
    ]["spec"]["containers"]
    assert by_tag["image"] == "r:9"


def test_listener_addresses_reach_the_command_line(helm: Helm) -> None:
    args = args_of(helm.render(HARDENED))
    assert "--liveness=http://[::]:8080/healthz" in args
    assert "--metrics=10.1.2.3:9100" in args
    parsed = build_parser().parse_args(args)
    assert parsed.metrics_address == "10.1.2.3:9100"
    default = args_of(helm.render())
    assert "--liveness=http://0.0.0.0:8080/healthz" in default
    assert "--metrics=0.0.0.0:9090" in default


def test_network_policy_is_off_by_default_and_narrow_when_on(helm: Helm) -> None:
    assert not by_kind(helm.render(), "NetworkPolicy")
    docs = helm.render(HARDENED)
    spec = only(docs, "NetworkPolicy")["spec"]
    labels = only(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert spec["podSelector"]["matchLabels"].items() <= labels.items()
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    health, metrics = spec["ingress"]
    assert health == {"ports": [{"port": "http", "protocol": "TCP"}]}
    assert metrics["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert metrics["from"] == HARDENED["networkPolicy"]["metricsFrom"]
    dns, api_server, adobe = spec["egress"]
    assert {p["port"] for p in dns["ports"]} == {53}
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kube-system"
    }
    assert api_server == {
        "ports": [{"port": 6443, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}],
    }
    assert adobe["ports"] == [{"port": 443, "protocol": "TCP"}]
    assert adobe["to"] == [{"ipBlock": {"cidr": "192.0.2.0/24"}}]
    # Without metrics there is nothing to scrape, so no ingress for it.
    quiet = helm.render({"networkPolicy": {"enabled": True}, "metrics": {"enabled": False}})
    assert len(only(quiet, "NetworkPolicy")["spec"]["ingress"]) == 1


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"image": {"repository": "r", "digest": "latest"}}, "digest"),
        ({"httpAddress": "[::]"}, "httpAddress"),
        ({"metrics": {"address": ""}}, "address"),
        ({"admissionPolicies": {"enabled": "yes"}}, "enabled"),
        ({"networkPolicy": {"apiServer": {"ports": []}}}, "ports"),
        ({"networkPolicy": {"metricsFrom": [{"namespace": "x"}]}}, "namespace"),
    ],
)
def test_values_schema_rejects_mistakes(helm: Helm, values: dict[str, Any], complaint: str) -> None:
    result = helm.run("template", "aoo", str(CHART), "-f", str(helm.values_file(values)))
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert complaint in result.stderr
