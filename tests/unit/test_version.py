"""One version: pyproject.toml's, and every place derived from it carries the same one."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.version import Version
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

import adobe_oauth_operator
from adobe_oauth_operator.observability.metrics import OperatorMetrics

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "adobe-oauth-operator" / "Chart.yaml"
BIN = Path(sys.executable).parent
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_the_chart_dockerfile_and_changelog_carry_pyprojects_version() -> None:
    chart = yaml.safe_load(CHART.read_text())
    assert chart["version"] == VERSION
    assert chart["appVersion"] == VERSION  # a string: an unquoted 1.10 would read as 1.1
    [label] = re.findall(
        r'org\.opencontainers\.image\.version="([^"]*)"', (REPO / "Dockerfile").read_text()
    )
    assert label == VERSION
    [image] = yaml.safe_load(chart["annotations"]["artifacthub.io/images"])
    assert image["image"].partition("@")[0].rpartition(":")[2] == VERSION
    sections = re.findall(r"^## \[([^\]]+)\]", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert sections[:2] == ["Unreleased", VERSION], "the newest section is this version's"


def test_the_plain_manifests_carry_it() -> None:
    text = (REPO / "deploy" / "adobe-oauth-operator.yaml").read_text()
    labels = set(re.findall(r'app\.kubernetes\.io/version: "?([^"\s]+)"?', text))
    charts = set(re.findall(r"helm\.sh/chart: (\S+)", text))
    images = set(re.findall(r'image: "?adobe-oauth-operator:([^"\s]+)"?', text))
    assert labels == {VERSION} and images == {VERSION}
    assert charts == {f"adobe-oauth-operator-{VERSION}"}


def test_the_installed_package_its_commands_and_build_info_report_it() -> None:
    installed = metadata.version("adobe-oauth-operator")
    assert Version(installed) == Version(VERSION), "stale install: pip install -e . again"
    assert adobe_oauth_operator.__version__ == installed
    for command, prog in (
        ("adobe-oauth-operator", "adobe-oauth-operator"),
        ("kubectl-aoc", "kubectl aoc"),
    ):
        result = subprocess.run(
            [str(BIN / command), "--version"], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == f"{prog} {installed}"
    text = generate_latest(OperatorMetrics().registry).decode()
    [build] = [
        s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "adobe_oauth_build_info"
    ]
    assert build.labels["version"] == installed and build.value == 1


def test_set_version_check_finds_nothing_stale() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "hack" / "set_version.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
