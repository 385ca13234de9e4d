"""The Helm chart: lint, render and validate offline for default and non-default values, then
install, upgrade and uninstall it on the local control plane."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.cli import build_parser
from adobe_oauth_operator.names import API_VERSION, GROUP, PLURAL, VERSION
from support.chart import (
    CHART,
    CRD_FILE,
    KUBECTL,
    PEERING_CRD_FILE,
    Helm,
    by_kind,
    check,
    documents,
    kubeconform,
    only,
    prepare_schemas,
    run_tool,
)
from support.chart_operator import apply_crd, install_peering_crds
from support.cluster import REPO, LocalCluster, fresh_namespace
from support.waiting import wait_until

CRD_NAME = "adobeoauthcredentials.adobe-oauth-operator.dev"
MONITORING_KINDS = ("ServiceMonitor", "PrometheusRule")
DEPLOY_FILE = REPO / "deploy" / "adobe-oauth-operator.yaml"
# How deploy/ is generated (docs/install.md shows the same command).
DEPLOY_RELEASE, DEPLOY_NAMESPACE = "adobe-oauth-operator", "adobe-oauth-operator"

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "namespaced": {"watchNamespaces": ["team-a", "team-b"]},
    "peering-clusterwide": {"replicaCount": 2},
    "peering-namespaced": {
        "replicaCount": 3,
        "watchNamespaces": ["team-a", "team-b"],
        "peering": {"name": "aoo-peers", "lifetime": 15},
    },
    "metrics": {
        "metrics": {"enabled": True, "serviceMonitor": {"enabled": True, "labels": {"p": "x"}}},
        "prometheusRule": {"enabled": True, "labels": {"release": "kps"}},
        "grafanaDashboard": {"enabled": True, "annotations": {"grafana_folder": "Platform"}},
    },
    "no-metrics": {"metrics": {"enabled": False}},
    "crds-not-kept": {"crds": {"keep": False}},
    "no-admission-policies": {"admissionPolicies": {"enabled": False}},
    "hardened": {
        "image": {"repository": "registry.example/aoo", "digest": "sha256:" + "ab" * 32},
        "httpAddress": "::",
        "metrics": {"address": "::"},
        "networkPolicy": {
            "enabled": True,
            "apiServer": {"to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}]},
            "adobe": {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]},
        },
    },
    "no-crds-no-rbac": {"crds": {"enabled": False}, "rbac": {"create": False}},
    "everything-set": {
        "fullnameOverride": "aoo",
        "image": {"repository": "registry.example/aoo", "tag": "1.2.3", "pullPolicy": "Always"},
        "imagePullSecrets": [{"name": "regcred"}],
        "adobe": {
            "imsUrl": "https://ims.example",
            "apiUrl": "https://api.example",
            "maxRequestsPerSecond": 2.5,
            "maxConcurrency": 4,
        },
        "kubeMaxConcurrency": 3,
        "logFormat": "json",
        "verbose": True,
        "resyncSeconds": 60,
        "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy.example:3128"}],
        "httpPort": 9090,
        "metrics": {"port": 9091},
        "serviceAccount": {"create": True, "name": "aoo-sa", "annotations": {"a": "b"}},
        "podAnnotations": {"x": "y"},
        "podLabels": {"team": "platform"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "x"}},
                        },
                    }
                ]
            }
        },
        "priorityClassName": "system-cluster-critical",
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}},
    },
}
# Exactly the calls the operator makes in a namespace it serves (see src/.../kube/).
NAMESPACED_RULES = [
    {
        "apiGroups": ["adobe-oauth-operator.dev"],
        "resources": ["adobeoauthcredentials"],
        "verbs": ["get", "list", "watch", "patch"],
    },
    {
        "apiGroups": ["adobe-oauth-operator.dev"],
        "resources": ["adobeoauthcredentials/status"],
        "verbs": ["patch"],
    },
    {
        "apiGroups": [""],
        "resources": ["secrets"],
        "verbs": ["get", "create", "update", "patch", "delete"],
    },
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "statefulsets", "daemonsets"],
        "verbs": ["get", "list", "patch"],
    },
    {"apiGroups": ["argoproj.io"], "resources": ["rollouts"], "verbs": ["get", "list", "patch"]},
    {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": ["get", "list"]},
]
HMAC_KEY_RULES = [
    {
        "apiGroups": [""],
        "resources": ["secrets"],
        "resourceNames": ["adobe-oauth-operator-hmac"],
        "verbs": ["get"],
    },
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
]
CRD_OBSERVER = {
    "apiGroups": ["apiextensions.k8s.io"],
    "resources": ["customresourcedefinitions"],
    "verbs": ["list", "watch"],
}
NAMESPACE_OBSERVER = {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]}


def peering_rules(plural: str, name: str) -> list[dict[str, Any]]:
    return [
        {"apiGroups": ["kopf.dev"], "resources": [plural], "verbs": ["list", "watch"]},
        {
            "apiGroups": ["kopf.dev"],
            "resources": [plural],
            "resourceNames": [name],
            "verbs": ["patch"],
        },
    ]


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(tmp_path_factory.mktemp("helm"))


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_schemas(tmp_path_factory.mktemp("schemas"))


def container(docs: list[Any]) -> dict[str, Any]:
    [operator] = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return dict(operator)


def env_of(docs: list[Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(docs)["env"]}


# -- lint, render, validate offline ---------------------------------------------------------------
@pytest.mark.parametrize("variant", VARIANTS)
def test_helm_lint_is_clean(helm: Helm, variant: str) -> None:
    result = helm.lint(VARIANTS[variant])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_manifests_pass_kubeconform(helm: Helm, schemas: Path, variant: str) -> None:
    # --include-crds adds the chart's crds/ (kopf peering), as Argo CD and kubectl users get it.
    text = helm.template(VARIANTS[variant], "--include-crds")
    # prometheus-operator's ServiceMonitor and PrometheusRule schemas are not available offline;
    # their shapes are checked in test_metrics_service_and_service_monitor_match and (promtool)
    # tests/unit/chart/test_alert_rules.py instead.
    result, report = kubeconform(schemas, text, skip=MONITORING_KINDS)
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = [d["kind"] for d in documents(text)]
    summary = report["summary"]
    assert summary["invalid"] == summary["errors"] == 0, report
    assert summary["valid"] == len(kinds) - sum(map(kinds.count, MONITORING_KINDS)), report


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_operator_cli_accepts_the_chart_command_line(helm: Helm, variant: str) -> None:
    docs = helm.render(VARIANTS[variant])
    args = build_parser().parse_args(container(docs)["args"])
    assert args.command == "run"
    assert args.liveness_endpoint.endswith(f":{VARIANTS[variant].get('httpPort', 8080)}/healthz")


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_rule_uses_a_wildcard(helm: Helm, variant: str) -> None:
    docs = helm.render(VARIANTS[variant])
    for role in by_kind(docs, "Role") + by_kind(docs, "ClusterRole"):
        for rule in role["rules"]:
            for key in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert not any("*" in item for item in rule.get(key, [])), (role, rule)


def test_kubeconform_rejects_what_the_api_server_would(helm: Helm, schemas: Path) -> None:
    """The offline validation is not a rubber stamp: the CRD schema and strict mode bite."""
    example = (REPO / "examples" / "credential.yaml").read_text()
    result, report = kubeconform(schemas, example)
    assert result.returncode == 0 and report["summary"]["valid"] == 1, report
    bad_credential = yaml.safe_load(example)
    bad_credential["spec"]["orgId"] = "not-numeric"
    bad_credential["spec"]["rotaton"] = {"interval": "1h"}  # misspelt field
    result, report = kubeconform(schemas, yaml.safe_dump(bad_credential))
    assert result.returncode != 0
    message = report["resources"][0]["msg"]
    assert "orgId" in message and "rotaton" in message
    deployment = only(helm.render(), "Deployment")
    deployment["spec"]["template"]["spec"]["securityContxt"] = {}
    result, report = kubeconform(schemas, yaml.safe_dump(deployment))
    assert result.returncode != 0
    assert "securityContxt" in report["resources"][0]["msg"]


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replicaCount": 0}, "replicaCount"),
        ({"logFormat": "xml"}, "logFormat"),
        ({"watchNamespaces": ["Not_A_Namespace"]}, "watchNamespaces"),
        ({"watchNamespaces": ["a", "a"]}, "watchNamespaces"),
        ({"adobe": {"imsUrl": "ims.example", "apiUrl": "https://api.example"}}, "imsUrl"),
        ({"adobe": {"apiUrl": "http://api.example"}}, "apiUrl"),
        ({"adobe": {"imsUrl": "http://127.0.0.1.example.com"}}, "imsUrl"),
        ({"crds": {"enabld": True}}, "enabld"),
        ({"replicas": 2}, "replicas"),
        ({"prometheusRule": {"secretMaxAgeDays": 0}}, "secretMaxAgeDays"),
        ({"adobe": {"maxRequestsPerSecond": 0}}, "maxRequestsPerSecond"),
        ({"adobe": {"maxConcurrency": "many"}}, "maxConcurrency"),
        ({"kubeMaxConcurrency": 0}, "kubeMaxConcurrency"),
        ({"prometheusRule": {"stalledFor": "half an hour"}}, "stalledFor"),
    ],
)
def test_values_schema_rejects_mistakes(helm: Helm, values: dict[str, Any], complaint: str) -> None:
    result = helm.run(
        "template",
        "aoo",
        str(CHART),
        "--kube-version",
        "1.36.3",
        "-f",
        str(helm.values_file(values)),
    )
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert complaint in result.stderr


def test_every_value_is_documented() -> None:
    """values.yaml is documented line by line: every key has a comment above it or beside it."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "-")) or ":" not in stripped:
            continue
        above = lines[number - 1].strip() if number else ""
        if "#" not in line and not above.startswith("#"):
            undocumented.append(f"values.yaml:{number + 1}: {stripped}")
    assert undocumented == []


# -- what the default and non-default renderings contain ------------------------------------------
def _hmac_key_role(docs: list[Any]) -> Any:
    """The one Role in the release namespace: get the HMAC key Secret by name, create it once."""
    [role] = [r for r in by_kind(docs, "Role") if r["metadata"]["name"].endswith("-hmac-key")]
    assert role["rules"] == HMAC_KEY_RULES
    return role


def _workload_roles(docs: list[Any], kind: str = "Role") -> list[Any]:
    return [r for r in by_kind(docs, kind) if not r["metadata"]["name"].endswith("-hmac-key")]


def test_default_is_one_cluster_role_and_a_hardened_standalone_deployment(helm: Helm) -> None:
    docs = helm.render()
    assert _hmac_key_role(docs)["metadata"]["namespace"] == "aoo-system"
    assert _workload_roles(docs) == [] and _workload_roles(docs, "RoleBinding") == []
    role = only(docs, "ClusterRole")
    assert role["rules"] == [*NAMESPACED_RULES, CRD_OBSERVER]
    binding = only(docs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    sa = only(docs, "ServiceAccount")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": "aoo-system"}
    ]
    deployment = only(docs, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == sa["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    operator = container(docs)
    assert operator["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert operator["resources"]["requests"] == {"cpu": "50m", "memory": "128Mi"}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert operator[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert operator["ports"] == [
        {"name": "http", "containerPort": 8080, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
    ]
    assert not any(a.startswith("--peering") for a in operator["args"])
    env = env_of(docs)
    assert env["ADOBE_IMS_URL"] == "https://ims-na1.adobelogin.com"
    assert env["ADOBE_API_URL"] == "https://api.adobe.io"
    assert "WATCH_NAMESPACES" not in env
    assert {d["kind"] for d in docs} == {
        "ServiceAccount",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",  # the HMAC key's, in the release namespace only
        "RoleBinding",
        "Deployment",
        "Service",  # metrics
        "ValidatingAdmissionPolicy",  # creator rights, operator writes
        "ValidatingAdmissionPolicyBinding",
    }


def test_watch_namespaces_gives_a_role_per_namespace(helm: Helm) -> None:
    docs = helm.render(VARIANTS["namespaced"])
    roles = _workload_roles(docs)
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    assert all(r["rules"] == NAMESPACED_RULES for r in roles)
    assert _hmac_key_role(docs)["metadata"]["namespace"] == "aoo-system"
    bindings = _workload_roles(docs, "RoleBinding")
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b"]
    assert all(b["subjects"][0]["namespace"] == "aoo-system" for b in bindings)
    # Cluster-wide, only what kopf observes: no Secret, workload or resource access.
    assert only(docs, "ClusterRole")["rules"] == [CRD_OBSERVER, NAMESPACE_OBSERVER]
    assert env_of(docs)["WATCH_NAMESPACES"] == "team-a,team-b"


def test_replicas_enable_peering_with_a_priority_per_replica(helm: Helm) -> None:
    docs = helm.render(VARIANTS["peering-clusterwide"])
    peering = only(docs, "ClusterKopfPeering")
    name = peering["metadata"]["name"]
    assert name == "aoo-adobe-oauth-operator"
    assert only(docs, "ClusterRole")["rules"] == [
        *NAMESPACED_RULES,
        CRD_OBSERVER,
        *peering_rules("clusterkopfpeerings", name),
    ]
    operator = container(docs)
    assert f"--peering={name}" in operator["args"]
    assert "--priority-from-identity" in operator["args"]
    assert "--peering-lifetime=60" in operator["args"]
    assert env_of(docs)["POD_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    strategy = only(docs, "Deployment")["spec"]["strategy"]
    assert strategy["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert only(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_namespaced_peering_has_a_peering_object_per_namespace(helm: Helm) -> None:
    docs = helm.render(VARIANTS["peering-namespaced"])
    peerings = by_kind(docs, "KopfPeering")
    assert sorted((p["metadata"]["namespace"], p["metadata"]["name"]) for p in peerings) == [
        ("team-a", "aoo-peers"),
        ("team-b", "aoo-peers"),
    ]
    assert by_kind(docs, "ClusterKopfPeering") == []
    for role in _workload_roles(docs):
        assert role["rules"] == [*NAMESPACED_RULES, *peering_rules("kopfpeerings", "aoo-peers")]
    assert "--peering-lifetime=15" in container(docs)["args"]


def test_metrics_service_and_service_monitor_match(helm: Helm) -> None:
    default = helm.render()
    assert "--metrics=0.0.0.0:9090" in container(default)["args"]
    assert by_kind(default, "ServiceMonitor") == by_kind(default, "PrometheusRule") == []
    assert by_kind(default, "ConfigMap") == []
    off = helm.render(VARIANTS["no-metrics"])
    assert by_kind(off, "Service") == []
    assert not any(a.startswith("--metrics") for a in container(off)["args"])
    assert [p["name"] for p in container(off)["ports"]] == ["http"]
    docs = helm.render(VARIANTS["metrics"])
    service = only(docs, "Service")
    pod_labels = only(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    [port] = service["spec"]["ports"]
    # The Service reaches the port the operator serves /metrics on, not kopf's /healthz.
    [served] = [p for p in container(docs)["ports"] if p["name"] == port["targetPort"]]
    assert f"--metrics=0.0.0.0:{served['containerPort']}" in container(docs)["args"]
    assert served["name"] != "http"
    monitor = only(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["endpoints"][0]["port"] == port["name"]
    assert monitor["metadata"]["labels"]["p"] == "x"
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    rule = only(docs, "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kps"
    # The absent() alert watches the job the ServiceMonitor gives the Service's targets.
    exprs = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert any(f'job="{service["metadata"]["name"]}"' in e for e in exprs)
    dashboard = only(docs, "ConfigMap")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["annotations"] == {"grafana_folder": "Platform"}
    [text] = dashboard["data"].values()
    panels = json.loads(text)["panels"]
    queried = " ".join(t["expr"] for p in panels for t in p["targets"])
    for metric in (
        "adobe_oauth_credential_phase",
        "adobe_oauth_credential_secret_created_timestamp_seconds",
        "adobe_oauth_rotations_total",
        "adobe_oauth_adobe_requests_total",
        "adobe_oauth_adobe_request_duration_seconds_bucket",
        "adobe_oauth_workload_restarts_total",
    ):
        assert metric in queried, metric


def test_crd_toggles(helm: Helm) -> None:
    kept = only(helm.render(), "CustomResourceDefinition")
    assert kept["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    not_kept = only(helm.render(VARIANTS["crds-not-kept"]), "CustomResourceDefinition")
    assert "annotations" not in not_kept["metadata"]
    docs = helm.render(VARIANTS["no-crds-no-rbac"])
    assert by_kind(docs, "CustomResourceDefinition") == []
    # The admission policies limit the operator whoever grants its rights: they stay.
    kinds = [d["kind"] for d in docs if not d["kind"].startswith("ValidatingAdmissionPolicy")]
    assert kinds == ["ServiceAccount", "Service", "Deployment"]
    assert len(docs) == len(kinds) + 4
    # The chart's crds/ directory holds only kopf's peering CRDs, the same as the top-level file.
    with_crds = helm.render(VARIANTS["no-crds-no-rbac"], "--include-crds")
    peering_crds = documents(PEERING_CRD_FILE.read_text())
    assert by_kind(with_crds, "CustomResourceDefinition") == peering_crds


def test_everything_set_reaches_the_pod(helm: Helm) -> None:
    docs = helm.render(VARIANTS["everything-set"])
    deployment = only(docs, "Deployment")
    assert deployment["metadata"]["name"] == "aoo"
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["annotations"] == {"x": "y"}
    assert pod["metadata"]["labels"]["team"] == "platform"
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "aoo-sa"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert spec["priorityClassName"] == "system-cluster-critical"
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["tolerations"][0]["key"] == "dedicated"
    assert "podAntiAffinity" in spec["affinity"]
    operator = container(docs)
    assert operator["image"] == "registry.example/aoo:1.2.3"
    assert operator["imagePullPolicy"] == "Always"
    assert {
        "--log-format=json",
        "--verbose",
        "--resync-seconds=60",
        "--adobe-max-rps=2.5",
        "--adobe-max-concurrency=4",
        "--kube-max-concurrency=3",
    } <= set(operator["args"])
    assert operator["ports"][0]["containerPort"] == 9090
    env = env_of(docs)
    assert (env["ADOBE_IMS_URL"], env["ADOBE_API_URL"]) == (
        "https://ims.example",
        "https://api.example",
    )
    assert env["HTTPS_PROXY"] == "http://proxy.example:3128"
    assert only(docs, "ServiceAccount")["metadata"]["annotations"] == {"a": "b"}
    assert only(docs, "ClusterRoleBinding")["subjects"][0]["name"] == "aoo-sa"


def test_plain_manifests_in_deploy_are_up_to_date(helm: Helm) -> None:
    rendered = helm.template(
        None, "--include-crds", release=DEPLOY_RELEASE, namespace=DEPLOY_NAMESPACE
    )
    assert DEPLOY_FILE.read_text() == rendered, (
        "deploy/ is stale; regenerate it with: .tools/bin/helm template adobe-oauth-operator "
        "charts/adobe-oauth-operator --namespace adobe-oauth-operator --kube-version 1.36.3 "
        "--include-crds > deploy/adobe-oauth-operator.yaml"
    )


# -- the real API server --------------------------------------------------------------------------
@pytest.fixture
def cluster_helm(cluster: LocalCluster, tmp_path: Path) -> Helm:
    return Helm(tmp_path / "helm", cluster.kubeconfig)


@pytest.fixture
def second_namespace(cluster: LocalCluster) -> Iterator[str]:
    with fresh_namespace(cluster, prefix="w") as name:
        yield name


def kubectl(cluster: LocalCluster, tmp_path: Path, *args: str, stdin: str | None = None) -> str:
    cache = tmp_path / "kube-cache"
    return check(
        run_tool(
            KUBECTL,
            f"--kubeconfig={cluster.kubeconfig}",
            f"--cache-dir={cache}",
            *args,
            stdin=stdin,
        )
    )


def json_stream(docs: list[Any]) -> str:
    """Documents for kubectl: JSON keeps strings such as "y" strings (PyYAML would not quote them,
    and Kubernetes' YAML reads a bare y as a boolean)."""
    return "\n---\n".join(json.dumps(doc) for doc in docs)


def exists(cluster: LocalCluster, tmp_path: Path, doc: dict[str, Any]) -> bool:
    """Whether the object a rendered document describes is in the cluster (via kubectl get)."""
    ns = doc["metadata"].get("namespace")
    result = run_tool(
        KUBECTL,
        f"--kubeconfig={cluster.kubeconfig}",
        f"--cache-dir={tmp_path / 'kube-cache'}",
        "get",
        f"{doc['kind']}.{doc['apiVersion'].split('/')[0]}"
        if "/" in doc["apiVersion"]
        else doc["kind"],
        doc["metadata"]["name"],
        *(["-n", ns] if ns else []),
        "-o",
        "name",
    )
    if result.returncode == 0:
        return True
    assert "NotFound" in result.stderr, result.stderr
    return False


def operator_pods_running(cluster: LocalCluster, namespace: str, count: int) -> list[Any]:
    pods = cluster.core.list_namespaced_pod(
        namespace, label_selector="app.kubernetes.io/name=adobe-oauth-operator"
    ).items
    running = [
        p
        for p in pods
        if p.status.phase == "Running"
        and p.metadata.deletion_timestamp is None
        and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or ())
    ]
    return running if len(running) == count == len(pods) else []


def test_install_upgrade_uninstall(
    cluster: LocalCluster,
    namespace: str,
    second_namespace: str,
    crd_installed: object,
    cluster_helm: Helm,
    tmp_path: Path,
) -> None:
    release = f"aoo-{namespace}"
    # The session fixture owns the CRD (it came from crds/); this release must not take it over.
    values: dict[str, Any] = {"crds": {"enabled": False}}
    installed = cluster_helm.install(release, namespace, values)
    assert installed.returncode == 0, installed.stderr
    manifest = documents(check(cluster_helm.run("get", "manifest", release, "-n", namespace)))
    assert {d["kind"] for d in manifest} >= {"Deployment", "ClusterRole", "ServiceAccount"}
    assert all(exists(cluster, tmp_path, d) for d in manifest)
    [pod] = wait_until(
        lambda: operator_pods_running(cluster, namespace, 1), timeout=60, what="operator pod"
    )
    assert pod.spec.service_account_name == f"{release}-adobe-oauth-operator"
    assert pod.spec.containers[0].security_context.read_only_root_filesystem is True

    # Two peered replicas serving two namespaces: Roles there, a KopfPeering in each.
    values |= {"replicaCount": 2, "watchNamespaces": [namespace, second_namespace]}
    upgraded = cluster_helm.upgrade(release, namespace, values)
    assert upgraded.returncode == 0, upgraded.stderr
    new_manifest = documents(check(cluster_helm.run("get", "manifest", release, "-n", namespace)))
    assert all(exists(cluster, tmp_path, d) for d in new_manifest)
    assert len(by_kind(new_manifest, "KopfPeering")) == 2
    assert len(_workload_roles(new_manifest)) == 2
    gone = [d for d in manifest if d not in new_manifest and d["kind"] == "ClusterRole"]
    assert gone and not any(exists(cluster, tmp_path, d) for d in gone)
    wait_until(lambda: operator_pods_running(cluster, namespace, 2), timeout=60, what="2 pods")
    history = json.loads(check(cluster_helm.run("history", release, "-n", namespace, "-o", "json")))
    assert [h["status"] for h in history] == ["superseded", "deployed"]

    uninstalled = cluster_helm.uninstall(release, namespace)
    assert uninstalled.returncode == 0, uninstalled.stderr
    assert not any(exists(cluster, tmp_path, d) for d in new_manifest)
    # Helm never deletes what it installed from the chart's crds/ directory.
    ext = client.ApiextensionsV1Api(cluster.api)
    assert ext.read_custom_resource_definition("kopfpeerings.kopf.dev")


def test_api_server_accepts_every_rendering(
    cluster: LocalCluster,
    namespace: str,
    second_namespace: str,
    crd_installed: object,
    cluster_helm: Helm,
    tmp_path: Path,
) -> None:
    """Server-side dry run of every variant: the real API server validates every object."""
    install_peering_crds(cluster)
    for variant, values in VARIANTS.items():
        values = dict(values)
        if "watchNamespaces" in values:
            values["watchNamespaces"] = [namespace, second_namespace]
        docs = cluster_helm.render(values, release=f"v-{namespace}", namespace=namespace)
        # No prometheus-operator here: its kinds are not served by this API server.
        docs = [d for d in docs if d["kind"] not in MONITORING_KINDS]
        out = kubectl(
            cluster,
            tmp_path,
            "apply",
            "--server-side",
            "--force-conflicts",
            "--dry-run=server",
            "--field-manager=dry-run-test",
            "-o",
            "name",
            "-f",
            "-",
            stdin=json_stream(docs),
        )
        assert len(out.split()) == len(docs), (variant, out)


def test_chart_crd_is_adopted_and_kept_on_uninstall(
    cluster: LocalCluster, namespace: str, crd_installed: object, cluster_helm: Helm
) -> None:
    """crds.enabled with crds.keep: the release takes over an existing CRD (as when moving from
    kubectl apply to Helm) and `helm uninstall` leaves it and every resource of that kind."""
    ext = client.ApiextensionsV1Api(cluster.api)
    release = f"crd-{namespace}"
    adopt = {
        "metadata": {
            "labels": {"app.kubernetes.io/managed-by": "Helm"},
            "annotations": {
                "meta.helm.sh/release-name": release,
                "meta.helm.sh/release-namespace": namespace,
            },
        }
    }
    ext.patch_custom_resource_definition(CRD_NAME, adopt)
    survivor = {
        "apiVersion": API_VERSION,
        "kind": "AdobeOAuthCredential",
        "metadata": {"name": "survivor"},
        "spec": {"orgId": "1", "credentialId": "2", "secretName": "s"},
    }
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, survivor)
    try:
        installed = cluster_helm.install(release, namespace, {"crds": {"enabled": True}})
        assert installed.returncode == 0, installed.stderr
        crd = ext.read_custom_resource_definition(CRD_NAME)
        assert crd.metadata.annotations["helm.sh/resource-policy"] == "keep"
        assert crd.metadata.labels["helm.sh/chart"].startswith("adobe-oauth-operator-")
        uninstalled = cluster_helm.uninstall(release, namespace)
        assert uninstalled.returncode == 0, uninstalled.stderr
        assert "kept due to the resource policy" in uninstalled.stdout + uninstalled.stderr
        assert ext.read_custom_resource_definition(CRD_NAME).metadata.deletion_timestamp is None
        assert cluster.custom.get_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, "survivor"
        )
    finally:
        # Back to exactly the crds/ file (no Helm ownership), whatever happened above.
        apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=True)


def test_plain_manifests_are_accepted_by_the_api_server(
    cluster: LocalCluster, crd_installed: object, tmp_path: Path
) -> None:
    """The kubectl path of docs/install.md, as a server-side dry run in its namespace."""
    created = False
    try:
        cluster.core.create_namespace({"metadata": {"name": DEPLOY_NAMESPACE}})
        created = True
    except ApiException as exc:
        if exc.status != 409:
            raise
    try:
        out = kubectl(
            cluster,
            tmp_path,
            "apply",
            "--server-side",
            "--force-conflicts",
            "--dry-run=server",
            "-o",
            "name",
            "-f",
            str(DEPLOY_FILE),
        )
        assert len(out.split()) == len(documents(DEPLOY_FILE.read_text()))
    finally:
        if created:
            cluster.core.delete_namespace(DEPLOY_NAMESPACE)
