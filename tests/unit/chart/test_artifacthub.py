"""The chart's Artifact Hub annotations in the documented format (artifacthub.io/docs/topics/
annotations/helm), and their content the same as what they are made from: CHANGELOG.md's section
for the chart's version, the CRD and examples/credential.yaml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
CHART = yaml.safe_load((REPO / "charts" / "adobe-oauth-operator" / "Chart.yaml").read_text())
CRD = yaml.safe_load(
    (REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml").read_text()
)
EXAMPLE = yaml.safe_load((REPO / "examples" / "credential.yaml").read_text())

# The documented annotations and the type of each value: a YAML string holding a list or an
# object, a boolean string ("true"/"false"), or a plain string.
YAML_LIST = {
    "artifacthub.io/changes",
    "artifacthub.io/images",
    "artifacthub.io/crds",
    "artifacthub.io/crdsExamples",
    "artifacthub.io/links",
    "artifacthub.io/maintainers",
    "artifacthub.io/recommendations",
    "artifacthub.io/screenshots",
}
YAML_OBJECT = {"artifacthub.io/signKey"}
BOOLEAN = {
    "artifacthub.io/containsSecurityUpdates",
    "artifacthub.io/operator",
    "artifacthub.io/prerelease",
}
STRING = {
    "artifacthub.io/alternativeName",
    "artifacthub.io/category",
    "artifacthub.io/license",
    "artifacthub.io/operatorCapabilities",
}
KINDS = {"added", "changed", "deprecated", "removed", "fixed", "security"}
CATEGORIES = {
    "ai-machine-learning",
    "database",
    "integration-delivery",
    "monitoring-logging",
    "networking",
    "security",
    "storage",
    "streaming-messaging",
    "skip-prediction",
}
CAPABILITIES = {
    "basic install",
    "seamless upgrades",
    "full lifecycle",
    "deep insights",
    "auto pilot",
}
# Each list's entries: required fields and the optional ones, with their types.
FIELDS: dict[str, tuple[dict[str, type], dict[str, type]]] = {
    "artifacthub.io/changes": ({"kind": str, "description": str}, {"links": list}),
    "artifacthub.io/images": (
        {"name": str, "image": str},
        {"whitelisted": bool, "platforms": list},
    ),
    "artifacthub.io/crds": (
        {"kind": str, "version": str, "name": str, "displayName": str, "description": str},
        {},
    ),
    "artifacthub.io/crdsExamples": ({"apiVersion": str, "kind": str, "metadata": dict}, {}),
    "artifacthub.io/links": ({"name": str, "url": str}, {}),
    "artifacthub.io/maintainers": ({"name": str, "email": str}, {}),
    "artifacthub.io/recommendations": ({"url": str}, {}),
    "artifacthub.io/screenshots": ({"title": str, "url": str}, {}),
    "artifacthub.io/signKey": ({"url": str}, {"fingerprint": str}),
}
SPDX = re.compile(r"[A-Za-z0-9.+-]+(?: (?:AND|OR|WITH) [A-Za-z0-9.+-]+)*")


def entry_problems(key: str, entry: Any) -> list[str]:
    """What is wrong with one list entry (or the signKey object) of annotation KEY."""
    if not isinstance(entry, dict):
        return [f"{key}: {entry!r} is not an object"]
    required, optional = FIELDS[key]
    problems = [
        f"{key}: {name} missing or not {kind.__name__}"
        for name, kind in required.items()
        if not isinstance(entry.get(name), kind) or entry.get(name) in ("", {})
    ]
    if key in {"artifacthub.io/crdsExamples"}:
        return problems  # an example resource carries whatever its kind defines
    problems += [
        f"{key}: {name} is not {optional[name].__name__}"
        for name in entry.keys() & optional.keys()
        if not isinstance(entry[name], optional[name])
    ]
    problems += [
        f"{key}: unknown field {name}" for name in entry.keys() - required.keys() - optional.keys()
    ]
    if key == "artifacthub.io/changes":
        if entry.get("kind") not in KINDS:
            problems.append(f"{key}: kind {entry.get('kind')!r} is not one of {sorted(KINDS)}")
        for link in entry.get("links") or []:
            if not (isinstance(link, dict) and {"name", "url"} <= link.keys()):
                problems.append(f"{key}: a link needs name and url: {link!r}")
    if key == "artifacthub.io/images" and re.search(r":latest(@|$)", str(entry.get("image"))):
        problems.append(f"{key}: {entry['image']} uses latest (never scanned)")
    if key == "artifacthub.io/signKey" and not str(entry.get("url", "")).startswith("https://"):
        problems.append(f"{key}: url must say where the public key is (https)")
    return problems


def problems(annotations: dict[str, Any]) -> list[str]:
    """Every way ANNOTATIONS depart from Artifact Hub's documented annotations."""
    found = []
    for key, value in annotations.items():
        if not key.startswith("artifacthub.io/"):
            continue
        if key not in YAML_LIST | YAML_OBJECT | BOOLEAN | STRING:
            found.append(f"{key}: not a documented annotation")
        elif not isinstance(value, str):
            found.append(f"{key}: Chart.yaml annotations are strings, not {type(value).__name__}")
        elif key in BOOLEAN:
            if value not in ("true", "false"):
                found.append(f"{key}: a boolean string is 'true' or 'false', not {value!r}")
        elif key in STRING:
            if key == "artifacthub.io/license" and not SPDX.fullmatch(value):
                found.append(f"{key}: {value!r} is not an SPDX expression")
            if key == "artifacthub.io/category" and value not in CATEGORIES:
                found.append(f"{key}: {value!r} is not a documented category")
            if key == "artifacthub.io/operatorCapabilities" and value.lower() not in CAPABILITIES:
                found.append(f"{key}: {value!r} is not a documented capability level")
        else:
            parsed = yaml.safe_load(value)
            if key in YAML_OBJECT:
                found += entry_problems(key, parsed)
            elif not isinstance(parsed, list) or not parsed:
                found.append(f"{key}: the YAML string must hold a non-empty list")
            elif key == "artifacthub.io/changes" and all(isinstance(e, str) for e in parsed):
                continue  # the documented plain form: a list of descriptions
            else:
                for entry in parsed:
                    found += entry_problems(key, entry)
    return found


def annotation(key: str) -> Any:
    return yaml.safe_load(CHART["annotations"][key])


def test_the_annotations_follow_artifact_hubs_documented_format() -> None:
    notes = CHART["annotations"]
    assert problems(notes) == []
    required = {"changes", "images", "crds", "crdsExamples", "operator", "license", "signKey"}
    assert {f"artifacthub.io/{k}" for k in required} <= notes.keys()
    assert notes["artifacthub.io/operator"] == "true"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("artifacthub.io/changes", "- kind: breaking\n  description: x\n", "kind 'breaking'"),
        ("artifacthub.io/changes", "- kind: added\n", "description missing"),
        ("artifacthub.io/changes", "kind: added\n", "non-empty list"),
        ("artifacthub.io/changes", "- kind: added\n  description: x\n  links: [x]\n", "a link"),
        ("artifacthub.io/images", "- name: a\n  image: r/a:latest\n", "latest"),
        ("artifacthub.io/images", "- name: a\n", "image missing"),
        ("artifacthub.io/crds", "- kind: A\n  version: v1\n  name: a\n", "displayName missing"),
        ("artifacthub.io/crdsExamples", "- kind: A\n", "apiVersion missing"),
        ("artifacthub.io/signKey", "fingerprint: ABC\n", "url"),
        ("artifacthub.io/operator", "yes", "boolean string"),
        ("artifacthub.io/license", "Apache 2", "SPDX"),
        ("artifacthub.io/changelog", "- x\n", "not a documented annotation"),
        ("artifacthub.io/category", "operators", "category"),
    ],
)
def test_the_format_check_refuses_what_the_documentation_does_not_allow(
    key: str, value: str, expected: str
) -> None:
    found = problems({**CHART["annotations"], key: value})
    assert found and all(p.startswith(key) for p in found)
    assert any(expected in p for p in found), found


def test_crds_and_examples_are_the_crd_and_examples_credential_yaml() -> None:
    [crd] = annotation("artifacthub.io/crds")
    [storage] = [v["name"] for v in CRD["spec"]["versions"] if v["storage"]]
    assert (crd["kind"], crd["version"], crd["name"]) == (
        CRD["spec"]["names"]["kind"],
        storage,
        CRD["metadata"]["name"],
    )
    assert annotation("artifacthub.io/crdsExamples") == [EXAMPLE]
    assert EXAMPLE["apiVersion"] == f"{CRD['spec']['group']}/{crd['version']}"


def test_changes_are_the_changelog_section_of_the_charts_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    [section] = re.findall(
        rf"^## \[{re.escape(CHART['version'])}\][^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S
    )
    entries: list[tuple[str, str]] = []
    for heading, body in re.findall(r"^### (\w+)\n(.*?)(?=^### |\Z)", section, re.M | re.S):
        for item in re.split(r"^- ", body, flags=re.M)[1:]:
            text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1", " ".join(item.split()))
            entries.append((heading.lower(), text))  # a markdown link becomes the change's link
    changes = annotation("artifacthub.io/changes")
    assert [(c["kind"], c["description"]) for c in changes] == entries
    security = any(c["kind"] == "security" for c in changes)
    assert CHART["annotations"]["artifacthub.io/containsSecurityUpdates"] == str(security).lower()
    prerelease = "-" in CHART["version"]
    assert CHART["annotations"]["artifacthub.io/prerelease"] == str(prerelease).lower()


def test_the_image_is_the_charts_app_version_and_the_license_pyprojects() -> None:
    [image] = annotation("artifacthub.io/images")
    reference, _, digest = image["image"].partition("@")
    assert reference.endswith(f"/adobe-oauth-operator:{CHART['appVersion']}")
    assert digest == "" or re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    assert CHART["annotations"]["artifacthub.io/license"] == "Apache-2.0"
    assert 'license = "Apache-2.0"' in (REPO / "pyproject.toml").read_text()
