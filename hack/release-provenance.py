"""The SLSA v1 provenance predicate of a release (Build L1), as JSON on standard output.

`cosign attest --type slsaprovenance1 --predicate` wraps it in an in-toto Statement whose subject
is the artifact it is attached to. It names what was built (the version, where it was published),
from what (the commit, and the digests of the inputs that decide the image's content, as
committed: the base image, constraints.txt, the Dockerfile, pyproject.toml; the version stamped
into them is an external parameter) and by which tools (runDetails).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

BUILD_TYPE = "https://adobe-oauth-operator.dev/release/make-release/v1"
# Source files whose digests pin the image's content besides the commit itself.
INPUT_FILES = ("constraints.txt", "Dockerfile", "pyproject.toml", "hack/image")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sha256_committed(repo: str, commit: str, name: str) -> str:
    """A file's digest as the commit has it (the build stamps the version into some of them)."""
    data = subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{name}"], capture_output=True, check=True
    ).stdout
    return hashlib.sha256(data).hexdigest()


def tool_version(*argv: str) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def cosign_version(cosign: str) -> str:
    try:
        result = subprocess.run([cosign, "version", "--json"], capture_output=True, text=True)
        return str(json.loads(result.stdout)["gitVersion"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def base_image(name: str) -> dict[str, Any]:
    """The base image as a resolved dependency: its manifest digest in buildah's storage."""
    out = subprocess.run(
        ["buildah", "inspect", "--type", "image", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = json.loads(out)
    digest = str(info["FromImageDigest"])
    algorithm, _, value = digest.partition(":")
    return {
        "name": "base image",
        "uri": f"oci://{name}",
        "digest": {algorithm: value},
        "annotations": {"imageId": str(info["FromImageID"])},
    }


def predicate(args: argparse.Namespace) -> dict[str, Any]:
    git_uri = f"git+{args.source_url}@{args.commit}"
    dependencies: list[dict[str, Any]] = [
        {"uri": git_uri, "digest": {"gitCommit": args.commit}},
        base_image(args.base),
    ]
    for name in INPUT_FILES:
        dependencies.append(
            {
                "name": name,
                "uri": f"{git_uri}#{name}",
                "digest": {"sha256": sha256_committed(args.repo, args.commit, name)},
            }
        )
    byproducts: list[dict[str, Any]] = []
    for item in args.byproduct:
        name, _, value = item.partition("=")
        if Path(value).is_file():
            byproducts.append({"name": name, "digest": {"sha256": sha256_file(Path(value))}})
        else:
            ref, _, digest = value.partition("@")
            algorithm, _, hexdigest = digest.partition(":")
            byproducts.append(
                {"name": name, "uri": f"oci://{ref}", "digest": {algorithm: hexdigest}}
            )
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "version": args.version,
                "registry": args.registry,
                "source": {"uri": git_uri, "digest": {"gitCommit": args.commit}},
            },
            "internalParameters": {
                "baseImage": args.base,
                "command": "make release",
                "versionStampedBy": args.stamped_by,
            },
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": {
                "id": args.builder_id,
                "version": {
                    "buildah": tool_version("buildah", "--version"),
                    "helm": tool_version(args.helm, "version", "--short"),
                    "cosign": cosign_version(args.cosign),
                },
            },
            "metadata": {
                "invocationId": str(uuid.uuid4()),
                "startedOn": args.started,
                "finishedOn": args.finished,
            },
            "byproducts": byproducts,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="the git repository of the commit")
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--base", required=True, help="the base image in buildah's storage")
    parser.add_argument("--builder-id", required=True)
    parser.add_argument("--stamped-by", required=True, help="what set the version in the sources")
    parser.add_argument("--started", required=True)
    parser.add_argument("--finished", required=True)
    parser.add_argument("--helm", default="helm")
    parser.add_argument("--cosign", default="cosign")
    parser.add_argument(
        "--byproduct", action="append", default=[], help="NAME=FILE or NAME=REFERENCE@DIGEST"
    )
    json.dump(predicate(parser.parse_args()), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
