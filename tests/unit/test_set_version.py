"""hack/set-version on a copy of the repository: a new version reaches every derived place, a
refused version changes nothing, release-time values are kept for their version only, and
--check names each stale place."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from support.chart import HELM

REPO = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("set_version", REPO / "hack" / "set_version.py")
assert SPEC and SPEC.loader
SET_VERSION = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(SET_VERSION)
CHART = Path("charts/adobe-oauth-operator/Chart.yaml")
FILES = ("pyproject.toml", "Dockerfile", "CHANGELOG.md", "examples/credential.yaml")
DIRS = ("charts", "crds", "deploy")
DIGEST = "sha256:" + "ab" * 32
CURRENT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
_MAJOR, _MINOR = map(int, CURRENT.split("-")[0].split(".")[:2])
NEXT = f"{_MAJOR}.{_MINOR + 1}.0"
AFTER = f"{_MAJOR}.{_MINOR + 1}.1"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HELM", raising=False)
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    for name in DIRS:
        shutil.copytree(REPO / name, tmp_path / name)
    (tmp_path / ".tools" / "bin").mkdir(parents=True)
    (tmp_path / ".tools" / "bin" / "helm").symlink_to(HELM)
    # An entry in Unreleased, whatever the repository's holds now.
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(
            "## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A fix in this copy.\n", 1
        )
    )
    return tmp_path


def set_version(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """hack/set-version in this process (a process each would double the module's time)."""
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = SET_VERSION.main(["--root", str(root), "--date", "2027-01-01", *args])
    return subprocess.CompletedProcess(args, code, "", err.getvalue())


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def annotation(root: Path, key: str) -> object:
    chart = yaml.safe_load((root / CHART).read_text())
    return yaml.safe_load(chart["annotations"][f"artifacthub.io/{key}"])


def test_a_new_version_reaches_every_derived_place(root: Path) -> None:
    unreleased = (root / "CHANGELOG.md").read_text().split("## [Unreleased]")[1].split("\n## ")[0]
    result = set_version(root, NEXT)
    assert result.returncode == 0, result.stderr
    assert f'version = "{NEXT}"' in (root / "pyproject.toml").read_text()
    chart = yaml.safe_load((root / CHART).read_text())
    assert (chart["version"], chart["appVersion"]) == (NEXT, NEXT)
    assert f'org.opencontainers.image.version="{NEXT}"' in (root / "Dockerfile").read_text()
    deploy = (root / "deploy" / "adobe-oauth-operator.yaml").read_text()
    assert f"helm.sh/chart: adobe-oauth-operator-{NEXT}" in deploy
    assert f'app.kubernetes.io/version: "{CURRENT}"' not in deploy
    changelog = (root / "CHANGELOG.md").read_text()
    # Unreleased's entries became the version's section, dated --date.
    assert f"## [Unreleased]\n\n## [{NEXT}] - 2027-01-01\n" in changelog
    section = changelog.split(f"## [{NEXT}]")[1].split(f"## [{CURRENT}]")[0]
    assert all(line in section for line in unreleased.splitlines())
    changes = annotation(root, "changes")
    assert isinstance(changes, list)
    assert len(changes) == len(re.findall(r"^- ", unreleased, re.M))
    assert {"kind": "fixed", "description": "A fix in this copy."} in changes
    [image] = annotation(root, "images")  # type: ignore[misc]
    assert image["image"].endswith(f"/adobe-oauth-operator:{NEXT}")
    assert set_version(root, "--check").returncode == 0


@pytest.mark.parametrize("bad", ["1.0", "01.2.3", "1.2.3+build.5", "v1.2.3", "1.0.0-x.7.z.92"])
def test_a_refused_version_changes_nothing(root: Path, bad: str) -> None:
    before = snapshot(root)
    result = set_version(root, bad)
    assert result.returncode == 2 and bad in result.stderr
    assert snapshot(root) == before


def test_a_prerelease_is_marked_and_pyproject_reads_it(root: Path) -> None:
    assert set_version(root, "1.0.0-rc.1").returncode == 0
    chart = yaml.safe_load((root / CHART).read_text())
    assert chart["annotations"]["artifacthub.io/prerelease"] == "true"
    assert 'version = "1.0.0-rc.1"' in (root / "pyproject.toml").read_text()


def test_a_new_version_needs_changelog_entries(root: Path) -> None:
    assert set_version(root, NEXT).returncode == 0
    before = snapshot(root)
    result = set_version(root, AFTER)  # Unreleased is empty now
    assert result.returncode == 2 and "no Unreleased entries" in result.stderr
    assert snapshot(root) == before


def test_release_values_are_kept_for_their_version_only(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    keys = tmp_path_factory.mktemp("keys")
    key = keys / "cosign.pub"
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            str(keys / "cosign.key"),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["openssl", "pkey", "-in", str(keys / "cosign.key"), "-pubout", "-out", str(key)],
        check=True,
        capture_output=True,
    )
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(key), "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    fingerprint = (
        subprocess.run(["sha256sum"], input=der, check=True, capture_output=True)
        .stdout.split()[0]
        .decode()
        .upper()
    )
    args = ["--image-repository", "registry.test/aoo", "--image-digest", DIGEST]
    args += ["--sign-key", str(key), "--sign-key-url", "https://keys.test/cosign.pub"]
    assert set_version(root, NEXT, *args).returncode == 0
    sign_key = {"fingerprint": fingerprint, "url": "https://keys.test/cosign.pub"}
    assert annotation(root, "images") == [
        {"name": "adobe-oauth-operator", "image": f"registry.test/aoo:{NEXT}@{DIGEST}"}
    ]
    assert annotation(root, "signKey") == sign_key
    # Re-stamping the same version keeps them; --check agrees.
    assert set_version(root).returncode == 0
    assert annotation(root, "images")[0]["image"].endswith(DIGEST)  # type: ignore[index]
    assert set_version(root, "--check").returncode == 0
    # A new version keeps the repository and the key, not the digest of another build.
    edit = (
        (root / "CHANGELOG.md")
        .read_text()
        .replace("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- Something.\n", 1)
    )
    (root / "CHANGELOG.md").write_text(edit)
    assert set_version(root, AFTER).returncode == 0
    assert annotation(root, "images")[0]["image"] == f"registry.test/aoo:{AFTER}"  # type: ignore[index]
    assert annotation(root, "signKey") == sign_key
    assert annotation(root, "changes") == [{"kind": "fixed", "description": "Something."}]
    assert set_version(root, "--image-digest", "sha256:short").returncode == 2


def test_check_names_each_stale_place(root: Path) -> None:
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(
        re.sub(r'image\.version="[^"]*"', 'image.version="9.9.9"', dockerfile.read_text())
    )
    example = root / "examples" / "credential.yaml"
    example.write_text(example.read_text().replace("name: demo", "name: renamed"))
    before = snapshot(root)
    result = set_version(root, "--check")
    assert result.returncode == 1
    assert "Dockerfile is not stamped" in result.stderr
    assert f"{CHART} is not stamped" in result.stderr  # crdsExamples follows the example
    assert snapshot(root) == before
    assert set_version(root).returncode == 0
    assert annotation(root, "crdsExamples")[0]["metadata"]["name"] == "renamed"  # type: ignore[index]
    assert set_version(root, "--check").returncode == 0


def add_unreleased(root: Path, entry: str) -> None:
    changelog = root / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("## [Unreleased]\n", f"## [Unreleased]\n\n{entry}", 1)
    )


def test_unreleased_entries_join_the_version_until_it_is_tagged(root: Path) -> None:
    assert set_version(root, NEXT).returncode == 0
    add_unreleased(root, "### Added\n\n- A later feature,\n  on two lines.\n")
    # A re-stamp without a version never moves entries.
    assert set_version(root).returncode == 0
    assert (
        "## [Unreleased]\n\n### Added\n\n- A later feature" in (root / "CHANGELOG.md").read_text()
    )
    # Setting the same version again (make release) folds them in and dates the section anew.
    result = set_version(root, NEXT, "--date", "2027-02-02")
    assert result.returncode == 0, result.stderr
    changelog = (root / "CHANGELOG.md").read_text()
    assert f"## [Unreleased]\n\n## [{NEXT}] - 2027-02-02\n\n### Added\n" in changelog
    assert "- A later feature,\n  on two lines.\n" in changelog
    changes = annotation(root, "changes")
    assert {"kind": "added", "description": "A later feature, on two lines."} in changes  # type: ignore[operator]
    # Once tagged, the section is the release's: nothing joins it.
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "r"], ["tag", f"v{NEXT}"]):
        subprocess.run(
            ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
        )
    add_unreleased(root, "### Fixed\n\n- After the release.\n")
    before = (root / "CHANGELOG.md").read_text()
    assert set_version(root, NEXT, "--date", "2027-03-03").returncode == 0
    assert (root / "CHANGELOG.md").read_text() == before


def test_a_markdown_link_in_an_entry_becomes_the_changes_link(root: Path) -> None:
    add_unreleased(root, "### Security\n\n- Closes [issue 23](https://issues.test/23).\n")
    assert set_version(root, NEXT).returncode == 0
    changes = annotation(root, "changes")
    assert {
        "kind": "security",
        "description": "Closes issue 23.",
        "links": [{"name": "issue 23", "url": "https://issues.test/23"}],
    } in changes  # type: ignore[operator]
    chart = yaml.safe_load((root / CHART).read_text())
    assert chart["annotations"]["artifacthub.io/containsSecurityUpdates"] == "true"


def test_without_helm_deploy_is_left_and_check_says_so(root: Path) -> None:
    """A release's source archive has no .tools: the version is stamped, deploy/ is not."""
    (root / ".tools" / "bin" / "helm").unlink()
    result = set_version(root, NEXT)
    assert result.returncode == 0 and "not re-rendered" in result.stderr
    assert yaml.safe_load((root / CHART).read_text())["version"] == NEXT
    check = set_version(root, "--check")
    assert check.returncode == 1 and "deploy/adobe-oauth-operator.yaml" in check.stderr
