"""The AdobeOAuthCredential API versions: v1beta1 stored and used everywhere, v1alpha1 served beside
it as the same API and deprecated (docs/install.md, "API versions")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adobe_oauth_operator.names import API_VERSION, GROUP, KIND, VERSION

REPO = Path(__file__).resolve().parents[2]
CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
DEPRECATED = "v1alpha1"


def versions() -> dict[str, dict[str, Any]]:
    crd = yaml.safe_load(CRD_FILE.read_text())
    return {v["name"]: v for v in crd["spec"]["versions"]}


def test_v1beta1_is_stored_and_v1alpha1_still_served() -> None:
    served = versions()
    assert VERSION == "v1beta1"
    assert {name: (v["served"], v["storage"]) for name, v in served.items()} == {
        VERSION: (True, True),
        DEPRECATED: (True, False),
    }
    assert yaml.safe_load(CRD_FILE.read_text())["spec"]["conversion"] == {"strategy": "None"}


def test_the_versions_are_one_api() -> None:
    """With conversion None the API server only rewrites apiVersion: the schemas must be equal."""
    served = versions()
    for key in ("schema", "subresources", "additionalPrinterColumns"):
        assert served[DEPRECATED][key] == served[VERSION][key], key


def test_v1alpha1_warns_and_names_its_successor() -> None:
    old = versions()[DEPRECATED]
    assert old["deprecated"] is True
    assert f"{GROUP}/{VERSION}" in old["deprecationWarning"]
    assert "deprecated" not in versions()[VERSION]


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    """Every AdobeOAuthCredential shown to users: examples and YAML blocks of the docs."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((REPO / "examples").rglob("*.yaml")):
        found += [(str(path), d) for d in yaml.safe_load_all(path.read_text()) if d]
    docs = [REPO / "README.md", REPO / "charts" / "adobe-oauth-operator" / "README.md"]
    for path in [*docs, *sorted((REPO / "docs").glob("*.md"))]:
        for block in re.findall(r"```ya?ml\n(.*?)```", path.read_text(), re.DOTALL):
            found += [(str(path), d) for d in yaml.safe_load_all(block) if isinstance(d, dict)]
    return [(where, d) for where, d in found if d.get("kind") == KIND]


def test_examples_and_docs_use_v1beta1() -> None:
    manifests = _manifests()
    assert len(manifests) >= 4  # README, access-tokens.md, argocd.md, examples/
    assert {
        where: d["apiVersion"] for where, d in manifests if d["apiVersion"] != API_VERSION
    } == {}
