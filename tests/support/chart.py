"""The Helm chart as users meet it: helm (lint, template, install), kubeconform, and the identity
the chart gives the operator (a kubeconfig holding a token for its ServiceAccount)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from support.cluster import REPO, LocalCluster

CHART = REPO / "charts" / "adobe-oauth-operator"
TOOLS = REPO / ".tools" / "bin"
HELM = TOOLS / "helm"
KUBECONFORM = TOOLS / "kubeconform"
KUBECTL = TOOLS / "kubectl"
CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
PEERING_CRD_FILE = REPO / "crds" / "kopf-peering.yaml"
# The control plane's version (hack/tools/kubernetes): `helm template` renders for it, and
# kubeconform validates against the JSON schemas of the same minor.
KUBE_VERSION = "1.36.3"
SCHEMA_SET = "v1.36.0-local-strict"


class ToolError(AssertionError):
    """A helm/kubeconform/kubectl command failed; the message carries its output."""


def run_tool(
    binary: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a pinned tool from .tools/bin and return the result, whatever its exit code."""
    if not binary.exists():
        raise ToolError(f"{binary} is missing: run hack/build-tools (make tools) first")
    return subprocess.run(
        [str(binary), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


def check(result: subprocess.CompletedProcess[str]) -> str:
    if result.returncode != 0:
        raise ToolError(
            f"{' '.join(result.args)} exited {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


class Helm:
    """helm with its state (config, cache, data) kept in a throw-away directory."""

    def __init__(self, home: Path, kubeconfig: Path | None = None) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.env = {
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_DATA_HOME": str(home / "data"),
        }
        if kubeconfig is not None:
            self.env["KUBECONFIG"] = str(kubeconfig)
        self._values = 0

    def values_file(self, values: dict[str, Any]) -> Path:
        self._values += 1
        # JSON is YAML that quotes every string (yaml.safe_dump would leave `y` bare: a boolean).
        path = self.home / f"values-{self._values}.json"
        path.write_text(json.dumps(values))
        return path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_tool(HELM, *args, env=self.env)

    def lint(self, values: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        return self.run(
            "lint",
            "--strict",
            str(CHART),
            "--kube-version",
            KUBE_VERSION,
            "-f",
            str(self.values_file(values)),
        )

    def template(
        self,
        values: dict[str, Any] | None = None,
        *extra: str,
        release: str = "aoo",
        namespace: str = "aoo-system",
    ) -> str:
        return check(
            self.run(
                "template",
                release,
                str(CHART),
                "--namespace",
                namespace,
                "--kube-version",
                KUBE_VERSION,
                "-f",
                str(self.values_file(values or {})),
                *extra,
            )
        )

    def render(self, values: dict[str, Any] | None = None, *extra: str, **kw: str) -> list[Any]:
        return documents(self.template(values, *extra, **kw))

    def install(
        self,
        release: str,
        namespace: str,
        values: dict[str, Any],
        *extra: str,
        chart: Path = CHART,
    ) -> subprocess.CompletedProcess[str]:
        return self._release("install", release, namespace, values, *extra, chart=chart)

    def upgrade(
        self,
        release: str,
        namespace: str,
        values: dict[str, Any],
        *extra: str,
        chart: Path = CHART,
    ) -> subprocess.CompletedProcess[str]:
        return self._release("upgrade", release, namespace, values, *extra, chart=chart)

    def _release(
        self,
        verb: str,
        release: str,
        namespace: str,
        values: dict[str, Any],
        *extra: str,
        chart: Path = CHART,
    ) -> subprocess.CompletedProcess[str]:
        values_file = str(self.values_file(values))
        return self.run(
            verb,
            release,
            str(chart),
            "--namespace",
            namespace,
            "-f",
            values_file,
            "--wait",
            "--timeout",
            "90s",
            *extra,
        )

    def uninstall(self, release: str, namespace: str) -> subprocess.CompletedProcess[str]:
        return self.run("uninstall", release, "--namespace", namespace, "--wait")


def documents(text: str) -> list[Any]:
    """The non-empty YAML documents of a multi-document stream."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def by_kind(docs: list[Any], kind: str) -> list[Any]:
    return [doc for doc in docs if doc["kind"] == kind]


def only(docs: list[Any], kind: str) -> Any:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


# -- kubeconform ---------------------------------------------------------------------------------
def kubernetes_schemas() -> Path:
    """The JSON schemas of Kubernetes' built-in kinds that the kubernetes-validate package ships."""
    import kubernetes_validate

    path = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / SCHEMA_SET
    if not (path / "_definitions.json").exists():
        raise ToolError(f"{path} is missing: is kubernetes-validate installed (dev extra)?")
    return path


def prepare_schemas(target: Path) -> Path:
    """A kubeconform schema directory that needs no network.

    Built-in kinds: kubernetes-validate's schemas, with their `$id`s dropped and their
    `/api/_definitions.json` references made relative, so they resolve to the local file instead
    of https://kubernetes.io. Custom kinds: JSON schemas converted from our CRDs in crds/.
    Files are named as kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` template expects.
    """
    target.mkdir(parents=True, exist_ok=True)
    for source in kubernetes_schemas().glob("*.json"):
        schema = json.loads(source.read_text())
        schema.pop("$id", None)
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
        (target / source.name).write_text(text)
    for crd_file in (CRD_FILE, PEERING_CRD_FILE):
        for crd in documents(crd_file.read_text()):
            for version in crd["spec"]["versions"]:
                name = schema_file_name(
                    crd["spec"]["names"]["kind"], crd["spec"]["group"], version["name"]
                )
                schema = crd_json_schema(version["schema"]["openAPIV3Schema"])
                (target / name).write_text(json.dumps(schema))
    return target


def schema_file_name(kind: str, group: str, version: str) -> str:
    """kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` for a custom kind."""
    return f"{kind.lower()}-{group.split('.')[0]}-{version}.json"


def crd_json_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """A strict JSON schema from a CRD's structural openAPIV3Schema (what the API server enforces):
    unknown fields are rejected unless x-kubernetes-preserve-unknown-fields says otherwise."""

    def convert(node: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(node)
        if out.pop("x-kubernetes-int-or-string", False):
            out.pop("type", None)
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if out.pop("nullable", False) and "type" in out:
            out["type"] = [out["type"], "null"]
        if "properties" in out:
            out["properties"] = {k: convert(v) for k, v in out["properties"].items()}
            if not out.get("x-kubernetes-preserve-unknown-fields"):
                out.setdefault("additionalProperties", False)
        if isinstance(out.get("items"), dict):
            out["items"] = convert(out["items"])
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = convert(out["additionalProperties"])
        return out

    schema = convert(openapi)
    # The API server accepts these at the root of every object, declared or not.
    root = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
    }
    schema["properties"] = {**root, **schema.get("properties", {})}
    return schema


def kubeconform(
    schemas: Path, manifests: str, *, skip: tuple[str, ...] = ()
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Validate a manifest stream strictly and offline; return the result and its JSON report."""
    args = [
        "-strict",
        "-summary",
        "-output",
        "json",
        "-kubernetes-version",
        KUBE_VERSION,
        "-schema-location",
        str(schemas / "{{ .ResourceKind }}{{ .KindSuffix }}.json"),
    ]
    if skip:
        args += ["-skip", ",".join(skip)]
    result = run_tool(KUBECONFORM, *args, "-", stdin=manifests)
    return result, json.loads(result.stdout or "{}")


# -- identities ------------------------------------------------------------------------------------
def service_account_kubeconfig(
    cluster: LocalCluster, namespace: str, service_account: str, path: Path
) -> Path:
    """A kubeconfig that authenticates as the ServiceAccount with a TokenRequest API token."""
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
    )
    token = cluster.core.create_namespaced_service_account_token(
        service_account, namespace, request
    ).status.token
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    server = admin["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": server}],
        "users": [{"name": service_account, "user": {"token": token}}],
        "contexts": [
            {
                "name": "sa",
                "context": {"cluster": "local", "user": service_account, "namespace": namespace},
            }
        ],
        "current-context": "sa",
    }
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


def api_client(kubeconfig: Path) -> client.ApiClient:
    from kubernetes import config

    return config.new_client_from_config(config_file=str(kubeconfig))
