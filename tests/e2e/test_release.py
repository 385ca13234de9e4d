"""`make release` into a real OCI registry on loopback (issue 23): the image and chart it pushes
verify with the release's public key, the SBOM and provenance attestations verify and say what
was built, tampered copies fail verification, and the chart installs from oci:// by version."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import tarfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from packageurl import PackageURL
from packaging.utils import canonicalize_name

from support.chart import Helm, check
from support.cluster import REPO, LocalCluster
from support.image import buildah, mounted_rootfs
from support.release import (
    blob,
    cosign,
    local_registry,
    manifest,
    statements,
    verify,
    verify_attestation,
)

VERSION = "0.2.0"
PREFIX = "aoo"  # REGISTRY=<host:port>/aoo, as a maintainer sets it
IMAGE_REPO = f"{PREFIX}/adobe-oauth-operator"
CHART_REPO = f"{PREFIX}/charts/adobe-oauth-operator"
# The image hack/release built, kept in buildah's storage.
LOCAL_IMAGE = f"localhost/adobe-oauth-operator:release-{VERSION}"


@dataclass(frozen=True)
class Release:
    registry: str  # host:port
    out: Path  # RELEASE_DIR
    info: dict[str, Any]  # release.json
    commit: str

    @property
    def public_key(self) -> Path:
        return self.out / "cosign.pub"

    @property
    def image_digest(self) -> str:
        return str(self.info["image"]["digest"])

    @property
    def image_ref(self) -> str:
        return f"{self.registry}/{IMAGE_REPO}@{self.image_digest}"

    @property
    def chart_ref(self) -> str:
        return f"{self.registry}/{CHART_REPO}@{self.info['chart']['digest']}"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_registry(tmp_path_factory.mktemp("registry") / "blobs") as address:
        yield address


@pytest.fixture(scope="module")
def release(registry: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    out = tmp_path_factory.mktemp("dist")
    env = {
        **os.environ,
        "REGISTRY": f"{registry}/{PREFIX}",
        "RELEASE_DIR": str(out),
        "COSIGN_PASSWORD": secrets.token_urlsafe(16),
    }
    env.pop("COSIGN_KEY", None)
    result = subprocess.run(
        ["make", "--no-print-directory", "release", f"VERSION={VERSION}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    (out / "release.log").write_text(result.stdout + result.stderr)  # hack/image's timings
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    info = json.loads((out / "release.json").read_text())
    yield Release(registry=registry, out=out, info=info, commit=commit)
    buildah("rmi", LOCAL_IMAGE)  # buildah's storage keeps the base and the dev image only


def committed(path: str) -> bytes:
    """A file as the released commit has it."""
    return subprocess.run(
        ["git", "-C", str(REPO), "show", f"HEAD:{path}"], capture_output=True, check=True
    ).stdout


# -- what was pushed ------------------------------------------------------------------------------
def test_image_is_pushed_by_digest_with_version_labels(release: Release) -> None:
    digest, image = manifest(release.registry, IMAGE_REPO, VERSION)
    assert digest == release.image_digest
    assert release.info["image"]["repository"] == f"{release.registry}/{IMAGE_REPO}"
    config = json.loads(blob(release.registry, IMAGE_REPO, image["config"]["digest"]))
    labels = config["config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.revision"] == release.commit
    assert labels["org.opencontainers.image.source"].startswith("https://")


def test_packaged_chart_names_the_image_by_digest(release: Release) -> None:
    digest, chart_manifest = manifest(release.registry, CHART_REPO, VERSION)
    assert digest == release.info["chart"]["digest"]
    assert chart_manifest["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json"
    [layer] = chart_manifest["layers"]
    pushed = blob(release.registry, CHART_REPO, layer["digest"])
    local = (release.out / release.info["chart"]["file"]).read_bytes()
    assert hashlib.sha256(pushed).digest() == hashlib.sha256(local).digest()
    with tarfile.open(release.out / release.info["chart"]["file"]) as tgz:
        chart, values = (
            yaml.safe_load(tgz.extractfile(f"adobe-oauth-operator/{name}") or b"")
            for name in ("Chart.yaml", "values.yaml")
        )
    assert (chart["version"], chart["appVersion"]) == (VERSION, VERSION)
    assert values["image"]["repository"] == f"{release.registry}/{IMAGE_REPO}"
    assert values["image"]["digest"] == release.image_digest
    if release.info["versionStampedBy"] == "hack/set-version":
        # Artifact Hub's annotations name the pushed image and the release key.
        annotations = chart["annotations"]
        [image] = yaml.safe_load(annotations["artifacthub.io/images"])
        assert image["image"].startswith(f"{release.registry}/{IMAGE_REPO}:")
        assert image["image"].endswith(f"@{release.image_digest}")
        pem = release.public_key.read_text().splitlines()
        der = base64.b64decode("".join(line for line in pem if not line.startswith("-----")))
        sign_key = yaml.safe_load(annotations["artifacthub.io/signKey"])
        assert sign_key["fingerprint"] == hashlib.sha256(der).hexdigest().upper()


# -- signatures and attestations ------------------------------------------------------------------
def test_image_and_chart_signatures_verify(release: Release) -> None:
    for repository, digest in (
        (IMAGE_REPO, release.image_digest),
        (CHART_REPO, release.info["chart"]["digest"]),
    ):
        result = verify(release.public_key, f"{release.registry}/{repository}:{VERSION}")
        assert result.returncode == 0, result.stderr
        [signature] = json.loads(result.stdout)
        assert signature["critical"]["image"]["docker-manifest-digest"] == digest
        assert signature["optional"]["org.opencontainers.image.revision"] == release.commit


def test_sbom_attestation_lists_python_and_debian_packages(release: Release) -> None:
    result = verify_attestation(release.public_key, "cyclonedx", release.image_ref)
    assert result.returncode == 0, result.stderr
    [statement] = statements(result)
    assert statement["predicateType"] == "https://cyclonedx.org/bom"
    assert statement["subject"][0]["digest"]["sha256"] == release.image_digest.split(":")[1]
    bom = statement["predicate"]
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert bom["metadata"]["component"]["version"] == VERSION
    image_purl = PackageURL.from_string(bom["metadata"]["component"]["purl"])
    assert (image_purl.type, image_purl.version) == ("oci", release.image_digest)
    assert image_purl.qualifiers == {
        "repository_url": f"{release.registry}/{IMAGE_REPO}",
        "tag": VERSION,
    }
    components = bom["components"]
    debian = {c["name"]: c for c in components if c.get("purl", "").startswith("pkg:deb/")}
    # cyclonedx-py's components, named name==version (the operator's own has no purl: it was
    # installed from source).
    python = {
        canonicalize_name(c["name"]): c
        for c in components
        if c["bom-ref"] == f"{c['name']}=={c['version']}"
    }
    # Every pinned runtime dependency, at its exact pinned version, with a licence.
    pins = dict(
        line.split("==", 1)
        for line in committed("constraints.txt").decode().splitlines()
        if "==" in line
    )
    pins = {canonicalize_name(name): version for name, version in pins.items()}
    for name in ("kopf", "kubernetes", "httpx", "pyyaml", "prometheus-client"):
        assert python[name]["version"] == pins[name], name
        assert python[name]["purl"] == f"pkg:pypi/{name}@{pins[name]}"
        assert python[name].get("licenses"), f"{name} has no licence"
    unpinned = {n for n, c in python.items() if pins.get(n, c["version"]) != c["version"]}
    assert unpinned == set(), "versions that differ from constraints.txt"
    licensed = [n for n, c in python.items() if c.get("licenses")]
    assert len(licensed) >= 0.9 * len(python), sorted(set(python) - set(licensed))
    # The operator's version: the one hack/set-version stamped, else the committed one.
    committed_version = tomllib.loads(committed("pyproject.toml").decode())["project"]["version"]
    stamped = release.info["versionStampedBy"] == "hack/set-version"
    assert python["adobe-oauth-operator"]["version"] == (VERSION if stamped else committed_version)
    assert len(python) + len(debian) == len(components)
    # No test tool reached the image, and the SBOM says so too.
    assert not {"pytest", "ruff", "mypy", "cyclonedx-bom"} & set(python)
    # The Debian packages: exactly what the image's dpkg database lists, at its versions.
    with mounted_rootfs(LOCAL_IMAGE) as rootfs:
        listed = subprocess.run(
            [
                "dpkg-query",
                f"--admindir={rootfs}/var/lib/dpkg",
                "-W",
                "-f",
                "${db:Status-Abbrev} ${Package} ${Version}\n",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    installed = dict(line.split()[1:3] for line in listed if line.startswith("ii "))
    assert {name: c["version"] for name, c in debian.items()} == installed
    assert {"python3.11", "ca-certificates", "libc6"} <= set(debian)
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert PackageURL.from_string(debian["libc6"]["purl"]).qualifiers == {
        "arch": arch,
        "distro": "debian-12",
    }
    # Licences where the package's copyright file is machine-readable (DEP-5), as most are.
    assert debian["zlib1g"]["licenses"] == [{"license": {"id": "Zlib"}}]
    assert {"license": {"id": "MPL-2.0"}} in debian["ca-certificates"]["licenses"]
    assert sum(1 for c in debian.values() if c.get("licenses")) >= len(debian) / 2


def test_provenance_attestation_names_commit_and_inputs(release: Release) -> None:
    for reference, digest in (
        (release.image_ref, release.image_digest),
        (release.chart_ref, release.info["chart"]["digest"]),
    ):
        result = verify_attestation(release.public_key, "slsaprovenance1", reference)
        assert result.returncode == 0, result.stderr
        [statement] = statements(result)
        # cosign v2 wraps every predicate in an in-toto Statement v0.1 (the SLSA v1 predicate
        # is unchanged by it).
        assert statement["_type"] == "https://in-toto.io/Statement/v0.1"
        assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
        assert statement["subject"][0]["digest"] == {"sha256": digest.split(":")[1]}
        build = statement["predicate"]["buildDefinition"]
        assert build["externalParameters"]["version"] == VERSION
        assert build["externalParameters"]["source"]["digest"] == {"gitCommit": release.commit}
        stamped_by = build["internalParameters"]["versionStampedBy"]
        assert stamped_by == release.info["versionStampedBy"]
        # The inputs as the commit has them (the version is stamped into a copy at build time).
        inputs = {d.get("name", "source"): d["digest"] for d in build["resolvedDependencies"]}
        assert inputs["source"] == {"gitCommit": release.commit}
        for name in ("constraints.txt", "Dockerfile", "pyproject.toml"):
            assert inputs[name] == {"sha256": hashlib.sha256(committed(name)).hexdigest()}, name
        base = buildah(
            "inspect",
            "--type",
            "image",
            "--format",
            "{{.FromImageDigest}}",
            "localhost/python-base:3.11-bookworm",
        )
        assert inputs["base image"] == {"sha256": base.split(":")[1]}
        run = statement["predicate"]["runDetails"]
        assert run["builder"]["version"]["cosign"].startswith("v2.")
        assert run["metadata"]["startedOn"] <= run["metadata"]["finishedOn"]
    # The SBOM attestation is on the image only; the chart carries no other attestation type.
    assert verify_attestation(release.public_key, "cyclonedx", release.chart_ref).returncode != 0


# -- tampering ---------------------------------------------------------------------------------
def test_tampered_image_fails_verification(release: Release, tmp_path: Path) -> None:
    copy = f"{release.registry}/tampered/adobe-oauth-operator"
    copied = cosign(
        "copy", "--force", f"{release.registry}/{IMAGE_REPO}:{VERSION}", f"{copy}:{VERSION}"
    )
    assert copied.returncode == 0, copied.stderr
    assert verify(release.public_key, f"{copy}:{VERSION}").returncode == 0  # the copy is intact

    # Someone pushes an image with one more layer under the released tag.
    extra = tmp_path / "payload"
    extra.write_text("not from the release\n")
    container = buildah("from", "--pull=never", LOCAL_IMAGE)
    try:
        buildah("copy", container, str(extra), "/opt/payload")
        buildah("commit", "--quiet", container, "localhost/aoo-tampered:test")
    finally:
        buildah("rm", container)
    try:
        buildah(
            "push",
            "--quiet",
            "--tls-verify=false",
            "localhost/aoo-tampered:test",
            f"docker://{copy}:{VERSION}",
        )
    finally:
        buildah("rmi", "localhost/aoo-tampered:test")
    tampered, _ = manifest(release.registry, "tampered/adobe-oauth-operator", VERSION)
    assert tampered != release.image_digest
    result = verify(release.public_key, f"{copy}:{VERSION}")
    assert result.returncode != 0
    assert "no signatures found" in result.stderr or "no matching signatures" in result.stderr

    # Signing it with another key does not help: the release key does not match.
    other = tmp_path / "other"
    other.mkdir()
    assert run_in(other, "generate-key-pair").returncode == 0
    signed = cosign(
        "sign",
        "--key",
        str(other / "cosign.key"),
        "--tlog-upload=false",
        "--yes",
        f"{copy}@{tampered}",
    )
    assert signed.returncode == 0, signed.stderr
    assert verify(other / "cosign.pub", f"{copy}@{tampered}").returncode == 0
    result = verify(release.public_key, f"{copy}@{tampered}")
    assert result.returncode != 0 and "no matching signatures" in result.stderr


def run_in(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from support.release import COSIGN

    return subprocess.run(
        [str(COSIGN), *args],
        cwd=directory,
        env={**os.environ, "COSIGN_PASSWORD": ""},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_tampered_chart_fails_verification(release: Release, tmp_path: Path) -> None:
    copy = f"{release.registry}/tampered/charts/adobe-oauth-operator"
    copied = cosign(
        "copy", "--force", f"{release.registry}/{CHART_REPO}:{VERSION}", f"{copy}:{VERSION}"
    )
    assert copied.returncode == 0, copied.stderr
    assert verify(release.public_key, f"{copy}:{VERSION}").returncode == 0

    # The same chart version re-pushed with its image pointed elsewhere.
    with tarfile.open(release.out / release.info["chart"]["file"]) as tgz:
        tgz.extractall(tmp_path / "chart", filter="data")
    values_file = tmp_path / "chart" / "adobe-oauth-operator" / "values.yaml"
    values_file.write_text(
        values_file.read_text().replace(release.image_digest, "sha256:" + "0" * 64)
    )
    helm = Helm(tmp_path / "helm")
    check(helm.run("package", str(values_file.parent), "--destination", str(tmp_path)))
    tgz_path = tmp_path / f"adobe-oauth-operator-{VERSION}.tgz"
    check(
        helm.run("push", str(tgz_path), f"oci://{release.registry}/tampered/charts", "--plain-http")
    )
    tampered, _ = manifest(release.registry, "tampered/charts/adobe-oauth-operator", VERSION)
    assert tampered != release.info["chart"]["digest"]
    result = verify(release.public_key, f"{copy}:{VERSION}")
    assert result.returncode != 0
    assert "no signatures found" in result.stderr or "no matching signatures" in result.stderr


# -- install -----------------------------------------------------------------------------------
def test_chart_installs_from_oci_by_version(
    release: Release, cluster: LocalCluster, namespace: str, crd_installed: object, tmp_path: Path
) -> None:
    helm = Helm(tmp_path / "helm", cluster.kubeconfig)
    name = f"aoo-{namespace}"
    installed = helm.run(
        "install",
        name,
        f"oci://{release.registry}/{PREFIX}/charts/adobe-oauth-operator",
        "--version",
        VERSION,
        "--plain-http",
        "--namespace",
        namespace,
        "--set",
        "crds.enabled=false",  # the session fixture owns the CRD
        "--wait",
        "--timeout",
        "90s",
    )
    assert installed.returncode == 0, installed.stderr
    try:
        [listed] = json.loads(check(helm.run("list", "-n", namespace, "-o", "json")))
        assert listed["chart"] == f"adobe-oauth-operator-{VERSION}"
        assert listed["app_version"] == VERSION
        deployment = cluster.apps.read_namespaced_deployment(
            f"{name}-adobe-oauth-operator", namespace
        )
        [container] = deployment.spec.template.spec.containers
        assert container.image == f"{release.registry}/{IMAGE_REPO}@{release.image_digest}"
        assert "@sha256:" in container.image
    finally:
        check(helm.run("uninstall", name, "--namespace", namespace, "--wait"))
