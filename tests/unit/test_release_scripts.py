"""The release's helper scripts (hack/release-*.py) on small inputs: the chart's image values
stamped without losing the file's comments, and the Debian side of the SBOM."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "ab" * 32


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), REPO / "hack" / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chart_values_point_at_the_pushed_image_and_keep_their_comments(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    original = (REPO / "charts" / "adobe-oauth-operator" / "values.yaml").read_text()
    values.write_text(original)
    subprocess.run(
        [
            sys.executable,
            str(REPO / "hack" / "release-chart.py"),
            str(values),
            "reg/aoo",
            "0.2.0",
            DIGEST,
        ],
        check=True,
    )
    stamped = values.read_text()
    loaded, before = yaml.safe_load(stamped), yaml.safe_load(original)
    assert loaded["image"] == before["image"] | {
        "repository": "reg/aoo",
        "tag": "0.2.0",
        "digest": DIGEST,
    }
    assert {k: v for k, v in loaded.items() if k != "image"} == {
        k: v for k, v in before.items() if k != "image"
    }
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert comments == [line for line in stamped.splitlines() if line.lstrip().startswith("#")]


def test_chart_values_refuse_a_digest_that_is_not_one(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text((REPO / "charts" / "adobe-oauth-operator" / "values.yaml").read_text())
    result = subprocess.run(
        [sys.executable, str(REPO / "hack" / "release-chart.py"), str(values), "r", "1", "latest"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "not an image digest" in result.stderr


STATUS = """\
Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: ca-certificates
Status: install ok installed
Architecture: all
Version: 20230311
Description: Common CA certificates
"""
DEP5 = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 1991-2023 Free Software Foundation, Inc.
License: LGPL-2.1+

Files: debian/*
Copyright: 2000 Someone
License: GPL-2+
"""


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_text(STATUS)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    (tmp_path / "usr/share/doc/libc6").mkdir(parents=True)
    (tmp_path / "usr/share/doc/libc6/copyright").write_text(DEP5)
    (tmp_path / "usr/share/doc/ca-certificates").mkdir(parents=True)
    (tmp_path / "usr/share/doc/ca-certificates/copyright").write_text("Free text, not DEP-5.\n")
    return tmp_path


def test_debian_components_are_the_installed_packages_with_their_licences(rootfs: Path) -> None:
    components = {c.name: c for c in script("release-sbom.py").debian_components(rootfs)}
    assert set(components) == {"libc6", "ca-certificates"}  # not the removed one
    libc = components["libc6"]
    assert libc.version == "2.36-9+deb12u10"
    assert str(libc.purl) == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12"
    assert sorted(str(lic.name or lic.id) for lic in libc.licenses) == ["GPL-2+", "LGPL-2.1+"]
    # A copyright file that is not machine-readable gives no licence rather than a guess.
    assert not components["ca-certificates"].licenses


@pytest.mark.parametrize(
    ("version", "registry", "message"),
    [
        ("1.2", "127.0.0.1:5000/aoo", "semantic version"),
        ("0.2.0", "", "REGISTRY is not set"),
        ("0.2.0", "registry.example.com/adobe-oauth-operator", "placeholder"),
    ],
)
def test_release_refuses_a_bad_version_or_the_placeholder_registry(
    version: str, registry: str, message: str
) -> None:
    result = subprocess.run(
        [str(REPO / "hack" / "release"), version],
        env={"PATH": "/usr/bin:/bin", "REGISTRY": registry},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and message in result.stderr
