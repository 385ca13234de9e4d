"""hack/lint-chart, the chart linted as chart-testing's `ct lint` would: the chart passes, and each
check fails a chart that breaks its rule (on a copy in a git repository of its own)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support.chart import HELM

REPO = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("lint_chart", REPO / "hack" / "lint_chart.py")
assert SPEC and SPEC.loader
LINT = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(LINT)
CHART = Path("charts/adobe-oauth-operator")


def lint(root: Path = REPO, *extra: str) -> subprocess.CompletedProcess[str]:
    """hack/lint-chart in this process (a process each would double the module's time)."""
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = LINT.main(["--root", str(root), "--helm", str(HELM), *extra])
    return subprocess.CompletedProcess(extra, code, "", err.getvalue())


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The chart and CHANGELOG.md committed in a repository of their own."""
    shutil.copytree(REPO / CHART, tmp_path / CHART)
    shutil.copy(REPO / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "chart")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def version(root: Path) -> str:
    [found] = re.findall(r"^version: (\S+)$", (root / CHART / "Chart.yaml").read_text(), re.M)
    return found


def test_the_chart_passes_including_helm_lint() -> None:
    result = lint()
    assert result.returncode == 0, result.stderr
    assert "passed" in result.stderr


def test_the_copy_passes_without_helm(copy: Path) -> None:
    result = lint(copy, "--no-helm")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("type: application\n", "type: application\ndeprecated: nope\n", "deprecated"),
        ("type: application\n", "type: application\nhomepage: x\n", "homepage"),
        ("  - name: adobe-oauth-operator maintainers\n", "  - email: a@b.c\n", "name"),
    ],
)
def test_a_field_the_schema_refuses_fails(copy: Path, old: str, new: str, expected: str) -> None:
    edit(copy / CHART / "Chart.yaml", old, new)
    result = lint(copy, "--no-helm")
    assert result.returncode == 1
    assert re.search(rf"Chart\.yaml schema: .*{expected}", result.stderr), result.stderr


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("replicaCount: 1\n", "replicaCount: 1   \n", "trailing-spaces"),
        ("replicaCount: 1\n", "replicaCount: 1\nreplicaCount: 2\n", "key-duplicates"),
        ("replicaCount: 1\n", "replicaCount:  1\n", "colons"),
        ("replicaCount: 1\n", "replicaCount: 1 # one\n", "comments"),
    ],
)
def test_what_cts_yamllint_rules_refuse_fails(copy: Path, old: str, new: str, rule: str) -> None:
    edit(copy / CHART / "values.yaml", old, new)
    result = lint(copy, "--no-helm")
    assert result.returncode == 1
    assert "values.yaml:" in result.stderr and f"({rule})" in result.stderr


def test_a_truthy_value_is_only_a_warning_as_under_ct(copy: Path) -> None:
    edit(copy / CHART / "values.yaml", "replicaCount: 1\n", "replicaCount: 1\nextra: yes\n")
    result = lint(copy, "--no-helm")
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "(truthy)" in result.stderr


def test_maintainers_are_required_each_with_a_name_and_contact(copy: Path) -> None:
    chart = copy / CHART / "Chart.yaml"
    edit(chart, "    email: maintainers@example.com\n", "")
    result = lint(copy, "--no-helm")
    assert result.returncode == 1 and "needs a name and an email or url" in result.stderr
    text = chart.read_text()
    chart.write_text(re.sub(r"^maintainers:\n(?:  .*\n)+", "", text, flags=re.M))
    result = lint(copy, "--no-helm")
    assert result.returncode == 1 and "chart doesn't have maintainers" in result.stderr


def test_a_chart_changed_after_its_release_needs_a_version_bump(copy: Path) -> None:
    released = version(copy)
    git(copy, "tag", f"v{released}")
    assert lint(copy, "--no-helm").returncode == 0, "unchanged since the release"
    edit(copy / CHART / "values.yaml", "replicaCount: 1\n", "replicaCount: 2\n")
    result = lint(copy, "--no-helm")
    assert result.returncode == 1 and "needs a version bump" in result.stderr
    # The bump: a higher version in Chart.yaml and its section in CHANGELOG.md.
    major, minor, patch = map(int, released.split("."))
    bumped = f"{major}.{minor}.{patch + 1}"
    edit(copy / CHART / "Chart.yaml", f"version: {released}\n", f"version: {bumped}\n")
    result = lint(copy, "--no-helm")
    assert result.returncode == 1 and "not CHANGELOG.md's newest section" in result.stderr
    edit(
        copy / "CHANGELOG.md",
        "## [Unreleased]\n",
        f"## [Unreleased]\n\n## [{bumped}] - 2027-01-01\n\n### Changed\n\n- Two replicas.\n",
    )
    result = lint(copy, "--no-helm")
    assert result.returncode == 0, result.stderr


def test_a_version_below_the_last_release_or_the_changelogs_fails(copy: Path) -> None:
    released = version(copy)
    major, minor, _ = map(int, released.split("."))
    git(copy, "tag", f"v{major}.{minor + 1}.0")
    result = lint(copy, "--no-helm")
    assert result.returncode == 1 and "is below the last release" in result.stderr
    git(copy, "tag", "-d", f"v{major}.{minor + 1}.0")
    edit(
        copy / "CHANGELOG.md",
        f"## [{released}]",
        f"## [{released}] - 2027-01-01\n\n### Fixed\n\n- x\n\n## [{major + 1}.0.0]",
    )
    result = lint(copy, "--no-helm")
    assert result.returncode == 1 and "is not above the changelog's" in result.stderr
