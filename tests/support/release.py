"""The release tools as users and the tests meet them: a local OCI registry (hack/tools/release),
cosign, and reads of what a registry serves."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.chart import TOOLS, ToolError, run_tool

COSIGN = TOOLS / "cosign"
OCI_REGISTRY = TOOLS / "oci-registry"
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


@contextmanager
def local_registry(blobs: Path) -> Iterator[str]:
    """go-containerregistry's registry on a free loopback port; yields its host:port."""
    if not OCI_REGISTRY.exists():
        raise ToolError(f"{OCI_REGISTRY} is missing: run hack/build-tools (make tools) first")
    log = (blobs.parent / "registry.log").open("w")
    proc = subprocess.Popen(
        [str(OCI_REGISTRY), "--addr", "127.0.0.1:0", "--blobs", str(blobs)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        if not first.startswith("listening on 127.0.0.1:"):
            raise RuntimeError(f"the registry did not start: {first!r}")
        yield first.removeprefix("listening on ")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def cosign(*args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    """cosign, whatever its exit code."""
    return run_tool(COSIGN, *args, env={"COSIGN_PASSWORD": password})


def verify(public_key: Path, reference: str) -> subprocess.CompletedProcess[str]:
    """`cosign verify` with a key, as docs/install.md shows it."""
    return cosign("verify", "--key", str(public_key), "--insecure-ignore-tlog=true", reference)


def verify_attestation(
    public_key: Path, predicate_type: str, reference: str
) -> subprocess.CompletedProcess[str]:
    return cosign(
        "verify-attestation",
        "--key",
        str(public_key),
        "--insecure-ignore-tlog=true",
        "--type",
        predicate_type,
        reference,
    )


def statements(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The in-toto statements of verified attestations (one DSSE envelope per output line)."""
    out = []
    for line in result.stdout.splitlines():
        if line.strip():
            envelope = json.loads(line)
            out.append(json.loads(base64.b64decode(envelope["payload"])))
    return out


def manifest(registry: str, repository: str, reference: str) -> tuple[str, dict[str, Any]]:
    """The digest a registry names for a tag or digest, and the manifest it serves."""
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{reference}",
        headers={"Accept": MANIFEST_TYPES},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        return resp.headers["Docker-Content-Digest"], json.loads(resp.read())


def blob(registry: str, repository: str, digest: str) -> bytes:
    url = f"http://{registry}/v2/{repository}/blobs/{digest}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        data: bytes = resp.read()
        return data
