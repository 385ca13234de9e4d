"""The chart linted as chart-testing's `ct lint` would; see hack/lint-chart."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import yamale
import yaml
from packaging.version import InvalidVersion, Version
from yamllint import linter
from yamllint.config import YamlLintConfig

REPO = Path(__file__).resolve().parent.parent
CHART = Path("charts/adobe-oauth-operator")
HERE = Path(__file__).resolve().parent / "chart-testing"
SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\]", re.MULTILINE)
TAG = re.compile(r"v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)")


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def released(root: Path) -> list[Version]:
    """Released versions: the repository's tags vX.Y.Z (make release tags what it publishes)."""
    tags = git(root, "tag", "--list", "v*").stdout.split()
    return sorted(Version(m[1]) for t in tags if (m := TAG.fullmatch(t)))


def version_bump(root: Path, chart: dict[str, object]) -> list[str]:
    """ct's check-version-increment against the last release, and the changelog's order."""
    problems = []
    try:
        version = Version(str(chart["version"]))
    except InvalidVersion:
        return [f"Chart.yaml version {chart['version']!r} is not a version"]
    logged = [v for v in SECTION.findall((root / "CHANGELOG.md").read_text()) if v != "Unreleased"]
    if not logged or logged[0] != str(chart["version"]):
        problems.append(
            f"Chart.yaml version {chart['version']} is not CHANGELOG.md's newest section "
            f"({logged[0] if logged else 'none'}): run hack/set-version"
        )
    older = [Version(v) for v in logged[1:]]
    if older and version <= max(older):
        problems.append(f"version {version} is not above the changelog's {max(older)}")
    history = released(root)
    if history:
        last = history[-1]
        if version < last:
            problems.append(f"chart version {version} is below the last release {last}")
        elif (
            version == last
            and git(root, "diff", "--quiet", f"v{last}", "--", str(CHART)).returncode
        ):
            problems.append(
                f"chart version not ok: {CHART} changed since release v{last}; needs a version "
                "bump (hack/set-version X.Y.Z)"
            )
    return problems


def schema(root: Path) -> list[str]:
    """Chart.yaml against the yamale schema (strict: an unknown key fails)."""
    try:
        yamale.validate(
            yamale.make_schema(str(HERE / "chart_schema.yaml")),
            yamale.make_data(str(root / CHART / "Chart.yaml")),
        )
    except yamale.YamaleError as exc:
        return [f"Chart.yaml schema: {error}" for result in exc.results for error in result.errors]
    return []


def yaml_lint(root: Path) -> list[str]:
    """yamllint with ct's rules on Chart.yaml, values.yaml and ci/*-values.yaml."""
    config = YamlLintConfig(file=str(HERE / "lintconf.yaml"))
    files = [root / CHART / "Chart.yaml", root / CHART / "values.yaml"]
    files += sorted((root / CHART / "ci").glob("*-values.yaml"))
    problems = []
    for path in files:
        for found in linter.run(path.read_text(), config, str(path)):
            line = (
                f"{path.relative_to(root)}:{found.line}:{found.column}: {found.desc} ({found.rule})"
            )
            if found.level == "error":
                problems.append(line)
            else:
                print(f"lint-chart: warning: {line}", file=sys.stderr)
    return problems


def maintainers(chart: dict[str, object]) -> list[str]:
    """ct's validate-maintainers, offline: present (none when deprecated), each named."""
    people = chart.get("maintainers") or []
    assert isinstance(people, list)
    if chart.get("deprecated"):
        return ["a deprecated chart must not have maintainers"] if people else []
    if not people:
        return ["chart doesn't have maintainers"]
    return [
        f"maintainer {person!r} needs a name and an email or url"
        for person in people
        if not isinstance(person, dict)
        or not person.get("name")
        or not (person.get("email") or person.get("url"))
    ]


def helm_lint(root: Path, helm: Path) -> list[str]:
    if not helm.exists():
        return [f"{helm} is missing: run `make tools`"]
    result = subprocess.run([str(helm), "lint", str(root / CHART)], capture_output=True, text=True)
    return [f"helm lint:\n{result.stdout}{result.stderr}"] if result.returncode else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hack/lint-chart", description=__doc__)
    parser.add_argument("--root", type=Path, default=REPO, help="the repository (default: this)")
    parser.add_argument("--helm", type=Path, default=REPO / ".tools/bin/helm")
    parser.add_argument("--no-helm", action="store_true", help="skip helm lint")
    args = parser.parse_args(argv)
    root: Path = args.root
    chart = yaml.safe_load((root / CHART / "Chart.yaml").read_text())
    problems = version_bump(root, chart) + schema(root) + yaml_lint(root) + maintainers(chart)
    if not args.no_helm:
        problems += helm_lint(root, args.helm)
    for problem in problems:
        print(f"lint-chart: {problem}", file=sys.stderr)
    if not problems:
        print(f"lint-chart: {CHART} {chart['version']} passed", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
