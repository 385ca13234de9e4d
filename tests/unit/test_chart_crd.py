"""The CRDs the chart installs are the repository's crds/ files, not copies that drift."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kopf._cogs.structs import references

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "adobe-oauth-operator"
HELM = REPO / ".tools" / "bin" / "helm"
CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
PEERING_FILE = REPO / "crds" / "kopf-peering.yaml"


def test_chart_carries_the_crd_file_byte_for_byte() -> None:
    chart_copy = CHART / "files" / CRD_FILE.name
    assert chart_copy.read_bytes() == CRD_FILE.read_bytes(), (
        f"copy {CRD_FILE.relative_to(REPO)} to {chart_copy.relative_to(REPO)}"
    )


def test_chart_carries_the_peering_crds_byte_for_byte() -> None:
    assert (CHART / "crds" / PEERING_FILE.name).read_bytes() == PEERING_FILE.read_bytes()
    assert [p.name for p in (CHART / "crds").iterdir()] == [PEERING_FILE.name]


def render_crd(keep: bool) -> dict[str, Any]:
    if not HELM.exists():
        raise AssertionError(f"{HELM} is missing: run hack/build-tools (make tools) first")
    out = subprocess.run(
        [
            str(HELM),
            "template",
            "aoo",
            str(CHART),
            "--kube-version",
            "1.36.3",
            "--show-only",
            "templates/crd.yaml",
            "--set",
            f"crds.keep={str(keep).lower()}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(yaml.safe_load(out.stdout))


@pytest.mark.parametrize("keep", [True, False])
def test_rendered_crd_is_the_crds_file_plus_chart_metadata(keep: bool) -> None:
    rendered = render_crd(keep)
    source = yaml.safe_load(CRD_FILE.read_text())
    labels = rendered["metadata"].pop("labels")
    assert source["metadata"].pop("labels").items() <= labels.items()
    assert labels["app.kubernetes.io/managed-by"] == "Helm"
    annotations = rendered["metadata"].pop("annotations", None)
    assert annotations == ({"helm.sh/resource-policy": "keep"} if keep else None)
    assert rendered == source


def test_peering_crds_are_the_ones_kopf_looks_for() -> None:
    crds = {d["spec"]["scope"]: d for d in yaml.safe_load_all(PEERING_FILE.read_text())}
    for scope, selector in (
        ("Cluster", references.CLUSTER_PEERINGS_K),
        ("Namespaced", references.NAMESPACED_PEERINGS_K),
    ):
        crd = crds[scope]
        assert (crd["spec"]["group"], crd["spec"]["names"]["plural"]) == (
            selector.group,
            selector.any_name,
        )
        [version] = crd["spec"]["versions"]
        assert version["name"] == selector.version
        status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
        assert status["x-kubernetes-preserve-unknown-fields"] is True
