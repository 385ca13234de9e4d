"""A CycloneDX 1.6 JSON SBOM of an image in buildah's storage, on standard output.

Usage: release-sbom.py --image LOCAL --name REPOSITORY --version V --digest sha256:...

Python packages: cyclonedx-py (cyclonedx-bom) reads the distributions on the image's own
interpreter's sys.path (asked inside the image's root file system, then read from its mount):
names, exact versions, licences, purls, dependencies. Debian packages: the root file system's dpkg
status (python-debian), with the licences of each machine-readable /usr/share/doc/*/copyright.
The image itself is the BOM's metadata.component, by digest. The result is validated against the
CycloneDX 1.6 JSON schema before it is printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from debian import copyright as debian_copyright
from debian.deb822 import Packages
from packageurl import PackageURL

INTERPRETER = "/opt/venv/bin/python"


def buildah(*args: str) -> str:
    return subprocess.run(
        ["buildah", *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@contextmanager
def mounted(image: str) -> Iterator[Path]:
    container = buildah("from", "--pull=never", image)
    try:
        yield Path(buildah("mount", container))
    finally:
        buildah("umount", container)
        buildah("rm", container)


def python_bom(rootfs: Path, interpreter: str) -> dict[str, Any]:
    """cyclonedx-py's BOM of the distributions on the image interpreter's sys.path."""
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    ask = "import json,sys;json.dump(sys.path,sys.stdout)"
    inside = subprocess.run(
        [chroot, str(rootfs), interpreter, "-c", ask],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    paths = [str(rootfs) + p for p in json.loads(inside.stdout) if p.startswith("/")]
    with tempfile.TemporaryDirectory() as tmp:
        # cyclonedx-py asks the interpreter it is given for sys.path: this one answers with the
        # image's, as seen through the mount.
        shim = Path(tmp) / "python"
        shim.write_text(f"#!/bin/sh\nprintf '%s' {shlex.quote(json.dumps(paths))}\n")
        shim.chmod(0o755)
        out = Path(tmp) / "python.cdx.json"
        cyclonedx_py = Path(sys.executable).with_name("cyclonedx-py")
        subprocess.run(
            [
                str(cyclonedx_py),
                "environment",
                "--spec-version",
                "1.6",
                "--output-format",
                "JSON",
                "--output-reproducible",
                "--output-file",
                str(out),
                str(shim),
            ],
            check=True,
            capture_output=True,
        )
        return dict(json.loads(out.read_text()))


def debian_licences(rootfs: Path, package: str) -> list[str]:
    """The licence short names of a machine-readable (DEP-5) copyright file; [] otherwise."""
    path = rootfs / "usr/share/doc" / package / "copyright"
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            parsed = debian_copyright.Copyright(handle, strict=False)
    except (OSError, debian_copyright.Error, ValueError):
        return []
    names = []
    for paragraph in parsed.all_files_paragraphs():
        synopsis = getattr(paragraph.license, "synopsis", None)  # License(synopsis, text) or None
        if synopsis:
            names.append(str(synopsis).strip())
    return sorted(set(names))


def debian_components(rootfs: Path) -> list[Component]:
    """One component per installed package of the root file system's dpkg status."""
    release = dict(
        line.split("=", 1)
        for line in (rootfs / "etc/os-release").read_text().splitlines()
        if "=" in line
    )
    distro = f"{release.get('ID', 'debian')}-{release.get('VERSION_ID', '').strip(chr(34))}"
    factory = LicenseFactory()
    components = []
    with (rootfs / "var/lib/dpkg/status").open(encoding="utf-8") as status:
        for package in Packages.iter_paragraphs(status, use_apt_pkg=False):
            if package.get("Status", "").split()[-1:] != ["installed"]:
                continue
            name, version, arch = package["Package"], package["Version"], package["Architecture"]
            purl = PackageURL(
                type="deb",
                namespace="debian",
                name=name,
                version=version,
                qualifiers={"arch": arch, "distro": distro},
            )
            licences = [factory.make_from_string(n) for n in debian_licences(rootfs, name)]
            kind = ComponentType.LIBRARY if name.startswith("lib") else ComponentType.APPLICATION
            components.append(
                Component(
                    type=kind,
                    name=name,
                    version=version,
                    purl=purl,
                    bom_ref=f"deb:{name}@{version}?arch={arch}",
                    licenses=[x for x in licences if isinstance(x, DisjunctiveLicense)]
                    or [x for x in licences if isinstance(x, LicenseExpression)][:1],
                    description=(package.get("Description") or "").split("\n")[0] or None,
                )
            )
    return components


def sbom(image: str, name: str, version: str, digest: str, interpreter: str) -> dict[str, Any]:
    with mounted(image) as rootfs:
        document = python_bom(rootfs, interpreter)
        debs = debian_components(rootfs)
    # The Debian components and the image itself, serialized by cyclonedx-python-lib and merged
    # into cyclonedx-py's document.
    extra = Bom(components=debs)
    extra.metadata.component = Component(
        type=ComponentType.CONTAINER,
        name=name,
        version=version,
        bom_ref=f"{name}@{digest}",
        purl=PackageURL(
            type="oci",
            name=name.rsplit("/", 1)[-1],
            version=digest,
            qualifiers={"repository_url": name, "tag": version},
        ),
    )
    rendered = json.loads(JsonV1Dot6(extra).output_as_string())
    document["components"] = document.get("components", []) + rendered.get("components", [])
    document["metadata"]["component"] = rendered["metadata"]["component"]
    document["metadata"].setdefault("properties", []).append(
        {"name": "adobe-oauth-operator:image-digest", "value": digest}
    )
    text = json.dumps(document, indent=2, sort_keys=True)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise SystemExit(f"the SBOM is not valid CycloneDX 1.6: {error}")
    return dict(document)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, help="the image in buildah's storage")
    parser.add_argument("--name", required=True, help="its repository, as published")
    parser.add_argument("--version", required=True)
    parser.add_argument("--digest", required=True, help="its manifest digest, as published")
    parser.add_argument("--interpreter", default=INTERPRETER, help="the image's Python")
    args = parser.parse_args()
    document = sbom(args.image, args.name, args.version, args.digest, args.interpreter)
    json.dump(document, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    # python-debian warns about every copyright file with an old Format URL; they still parse.
    logging.getLogger("debian.copyright").setLevel(logging.ERROR)
    main()
