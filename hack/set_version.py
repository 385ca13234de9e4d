"""Stamps the project's version into every place derived from it; see hack/set-version."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
CHART = Path("charts/adobe-oauth-operator/Chart.yaml")
CRD = Path("crds/adobe-oauth-operator.dev_adobeoauthcredentials.yaml")
EXAMPLE = Path("examples/credential.yaml")
DEPLOY = Path("deploy/adobe-oauth-operator.yaml")

# Where releases will be published is not decided yet: these placeholders say so in the chart's
# annotations until `--image-repository` and `--sign-key-url` name the real places.
PLACEHOLDER_REPOSITORY = "registry.example.com/adobe-oauth-operator"
PLACEHOLDER_SIGN_KEY_URL = "https://example.com/adobe-oauth-operator/cosign.pub"
PLACEHOLDER_FINGERPRINT = "PLACEHOLDER-sha256-of-the-cosign-public-key"

# Semantic Versioning 2.0.0 without build metadata (OCI tags and Helm labels cannot carry "+").
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
)
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# Keep a Changelog's change types, which are Artifact Hub's `kind`s.
KINDS = ("added", "changed", "deprecated", "removed", "fixed", "security")
SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$")
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
CHART_COMMENT = (
    "# annotations: written by hack/set-version from CHANGELOG.md, crds/ and\n"
    "# examples/credential.yaml (edit those and run it); the image digest and signing key are\n"
    "# filled in at release time.\n"
)


class Problem(Exception):
    """A refused version or an input the derived places cannot be made from."""


def check_version(version: str) -> str:
    """The version if it is semver that PEP 440 (pyproject) reads too, else Problem."""
    if not SEMVER.fullmatch(version):
        raise Problem(f"{version!r} is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE]")
    try:
        Version(version)
    except InvalidVersion:
        raise Problem(f"{version!r}: pyproject (PEP 440) cannot read this pre-release") from None
    return version


def project_version(root: Path) -> str:
    """The one place: pyproject.toml's [project] version."""
    return str(tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"])


def replace_one(text: str, pattern: str, replacement: str, where: str) -> str:
    """Substitutes exactly one match, so a moved line fails loudly instead of silently."""
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if count != 1:
        raise Problem(f"{where}: expected one match of {pattern!r}, found {count}")
    return new


# -- CHANGELOG.md -------------------------------------------------------------------------------


def sections(changelog: str) -> list[tuple[str, str | None, list[str]]]:
    """The changelog's `## [version] - date` sections in order, each with its lines."""
    found: list[tuple[str, str | None, list[str]]] = []
    for line in changelog.splitlines():
        match = SECTION.match(line)
        if match:
            found.append((match["version"], match["date"], []))
        elif found:
            if re.match(r"^\[[^\]]+\]: ", line):  # link references end the last section
                break
            found[-1][2].append(line)
    return found


def grouped(lines: list[str]) -> tuple[list[str], dict[str, list[list[str]]]]:
    """A section's free text before its first heading, and its entries (as lines) by kind."""
    intro: list[str] = []
    groups: dict[str, list[list[str]]] = {}
    kind = None
    for line in lines:
        heading = re.match(r"^### (\w+)\s*$", line)
        if heading:
            kind = heading[1].lower()
            if kind not in KINDS:
                raise Problem(f"CHANGELOG.md: '### {heading[1]}' is not one of Keep a Changelog's")
            groups.setdefault(kind, [])
        elif kind is None:
            if line.startswith("- "):
                raise Problem(
                    f"CHANGELOG.md: an entry before any '### Added'-style heading: {line}"
                )
            intro.append(line)
        elif line.startswith("- "):
            groups[kind].append([line])
        elif line.startswith("  ") and line.strip() and groups[kind]:
            groups[kind][-1].append(line)
    return [line for line in intro if line.strip()], groups


def changes(lines: list[str]) -> list[dict[str, Any]]:
    """A section's entries as Artifact Hub's structured changes (markdown links become links)."""
    entries: list[dict[str, Any]] = []
    for kind, items in grouped(lines)[1].items():
        for item in items:
            text = " ".join(line.strip() for line in item)[2:]
            entry: dict[str, Any] = {"kind": kind, "description": LINK.sub(r"\1", text)}
            links = [{"name": name, "url": url} for name, url in LINK.findall(text)]
            if links:
                entry["links"] = links
            entries.append(entry)
    return entries


def render(heading: str, intro: list[str], groups: dict[str, list[list[str]]]) -> list[str]:
    """A section's lines, its change types in Keep a Changelog's order."""
    out = [heading, ""]
    if intro:
        out += [*intro, ""]
    for kind in KINDS:
        if groups.get(kind):
            out += [f"### {kind.capitalize()}", ""]
            out += [line for entry in groups[kind] for line in entry]
            out.append("")
    return out


def release_changelog(changelog: str, version: str, date: str, released: bool) -> str:
    """Unreleased's entries go into VERSION's section, dated DATE, until VERSION is released
    (tagged); a released version's section is never changed."""
    found = sections(changelog)
    names = [v for v, _, _ in found]
    if version in names and released:
        return changelog
    if not names or names[0] != "Unreleased":
        raise Problem("CHANGELOG.md: the first section must be ## [Unreleased]")
    unreleased_intro, unreleased = grouped(found[0][2])
    if version in names:
        if names.index(version) != 1:
            raise Problem(f"CHANGELOG.md: {version} is not the newest version; it cannot change")
        if found[1][1] == date and not any(unreleased.values()):
            return changelog
        intro, groups = grouped(found[1][2])
    elif any(unreleased.values()):
        intro, groups = [], {}
    else:
        raise Problem(
            f"CHANGELOG.md has no section for {version} and no Unreleased entries to make it from"
        )
    for kind, entries in unreleased.items():
        groups.setdefault(kind, []).extend(entries)
    lines = changelog.splitlines()
    heads = [i for i, line in enumerate(lines) if SECTION.match(line)]
    replaced = 2 if version in names else 1  # Unreleased, and VERSION's section if it has one
    if len(heads) > replaced:
        end = heads[replaced]
    else:  # the last section ends at the link references, if any
        refs = [i for i in range(heads[-1], len(lines)) if re.match(r"^\[[^\]]+\]: ", lines[i])]
        end = refs[0] if refs else len(lines)
    spliced = render("## [Unreleased]", unreleased_intro, {})
    spliced += render(f"## [{version}] - {date}", intro, groups)
    return "\n".join([*lines[: heads[0]], *spliced, *lines[end:]]).rstrip("\n") + "\n"


def released(root: Path, version: str) -> bool:
    """VERSION was released: the repository has its tag vVERSION (make release tags it)."""
    tag = subprocess.run(
        ["git", "-C", str(root), "tag", "--list", f"v{version}"], capture_output=True, text=True
    )
    return tag.returncode == 0 and tag.stdout.strip() == f"v{version}"


def version_changes(changelog: str, version: str) -> list[dict[str, Any]]:
    """The structured changes of VERSION's section."""
    for v, _, lines in sections(changelog):
        if v == version:
            entries = changes(lines)
            if not entries:
                raise Problem(f"CHANGELOG.md: the section of {version} lists no change")
            return entries
    raise Problem(f"CHANGELOG.md has no section for {version}")


# -- Chart.yaml's annotations -------------------------------------------------------------------


def block(value: Any) -> str:
    """A YAML document as the indented literal block of one annotation."""
    text = yaml.safe_dump(value, sort_keys=False, width=88, allow_unicode=True)
    return "|\n" + "".join(f"    {line}\n" for line in text.splitlines())


def sign_key_fingerprint(public_key_pem: str) -> str:
    """SHA-256 of the key's DER bytes, upper-case hex (cosign's key is PEM SubjectPublicKeyInfo)."""
    body = "".join(line for line in public_key_pem.splitlines() if not line.startswith("-----"))
    return hashlib.sha256(base64.b64decode(body)).hexdigest().upper()


def chart_annotations(
    root: Path, version: str, changelog: str, image: str, sign_key: dict[str, str]
) -> dict[str, str]:
    """Every artifacthub.io annotation of the chart, each value as Chart.yaml carries it."""
    crd = yaml.safe_load((root / CRD).read_text())
    [storage] = [v["name"] for v in crd["spec"]["versions"] if v.get("storage")]
    example = yaml.safe_load((root / EXAMPLE).read_text())
    entries = version_changes(changelog, version)
    license_ = tomllib.loads((root / "pyproject.toml").read_text())["project"]["license"]
    crds = [
        {
            "kind": crd["spec"]["names"]["kind"],
            "version": storage,
            "name": crd["metadata"]["name"],
            "displayName": "Adobe OAuth credential",
            "description": "One Adobe OAuth Server-to-Server credential and the Secret it "
            "keeps current.",
        }
    ]
    return {
        "artifacthub.io/changes": block(entries),
        "artifacthub.io/containsSecurityUpdates": quoted(
            any(e["kind"] == "security" for e in entries)
        ),
        "artifacthub.io/crds": block(crds),
        "artifacthub.io/crdsExamples": block([example]),
        "artifacthub.io/images": block([{"name": "adobe-oauth-operator", "image": image}]),
        "artifacthub.io/license": license_,
        "artifacthub.io/operator": quoted(True),
        "artifacthub.io/prerelease": quoted("-" in version),
        "artifacthub.io/signKey": block(sign_key),
    }


def quoted(flag: bool) -> str:
    """A boolean string as Artifact Hub documents them: "true" or "false"."""
    return '"true"' if flag else '"false"'


def current_annotations(chart_text: str) -> dict[str, Any]:
    """The chart's annotations as they are now (strings), for the values a release fills in."""
    return dict(yaml.safe_load(chart_text).get("annotations") or {})


def image_reference(
    current: dict[str, Any], version: str, repository: str | None, digest: str | None
) -> str:
    """REPOSITORY:VERSION[@DIGEST]: the repository is kept, a digest only for its own version."""
    old = (yaml.safe_load(current.get("artifacthub.io/images") or "[]") or [{}])[0].get("image", "")
    old_ref, _, old_digest = old.partition("@")
    old_repo, _, old_tag = old_ref.rpartition(":")
    repository = repository or old_repo or PLACEHOLDER_REPOSITORY
    if digest is None and old_tag == version and old_repo == repository:
        digest = old_digest or None
    if digest is not None and not DIGEST.fullmatch(digest):
        raise Problem(f"{digest!r} is not an image digest sha256:<64 hex digits>")
    return f"{repository}:{version}" + (f"@{digest}" if digest else "")


def sign_key_entry(
    current: dict[str, Any], key_file: Path | None, url: str | None
) -> dict[str, str]:
    """Artifact Hub's signKey: url is mandatory; both are kept until a release names them."""
    old = yaml.safe_load(current.get("artifacthub.io/signKey") or "{}") or {}
    fingerprint = old.get("fingerprint") or PLACEHOLDER_FINGERPRINT
    if key_file is not None:
        fingerprint = sign_key_fingerprint(key_file.read_text())
    return {"fingerprint": fingerprint, "url": url or old.get("url") or PLACEHOLDER_SIGN_KEY_URL}


def stamp_chart(chart_text: str, version: str, notes: dict[str, str]) -> str:
    """Chart.yaml with VERSION as version and appVersion and the annotations block rewritten."""
    text = replace_one(chart_text, r"^version: .*$", f"version: {version}", "Chart.yaml")
    text = replace_one(text, r"^appVersion: .*$", f'appVersion: "{version}"', "Chart.yaml")
    head = re.split(r"^(?:# annotations: .*\n(?:#.*\n)*)?annotations:.*$", text, flags=re.M)[0]
    body = "".join(
        f"  {key}: {value}" + ("" if value.endswith("\n") else "\n") for key, value in notes.items()
    )
    return head.rstrip("\n") + "\n" + CHART_COMMENT + "annotations:\n" + body


# -- the plan -----------------------------------------------------------------------------------


def plan(root: Path, version: str | None, args: argparse.Namespace) -> dict[Path, str]:
    """Each file set-version writes, with its new text (unchanged files included)."""
    version = check_version(version or project_version(root))
    files: dict[Path, str] = {}
    pyproject = (root / "pyproject.toml").read_text()
    files[Path("pyproject.toml")] = replace_one(
        pyproject, r'^version = ".*"$', f'version = "{version}"', "pyproject.toml"
    )
    dockerfile = (root / "Dockerfile").read_text()
    files[Path("Dockerfile")] = replace_one(
        dockerfile,
        r'org\.opencontainers\.image\.version=".*?"',
        f'org.opencontainers.image.version="{version}"',
        "Dockerfile",
    )
    changelog = (root / "CHANGELOG.md").read_text()
    if args.version and not args.check:  # a re-stamp never moves changelog entries
        changelog = release_changelog(changelog, version, args.date, released(root, version))
    files[Path("CHANGELOG.md")] = changelog
    chart = (root / CHART).read_text()
    current = current_annotations(chart)
    image = image_reference(current, version, args.image_repository, args.image_digest)
    sign_key = sign_key_entry(current, args.sign_key, args.sign_key_url)
    files[CHART] = stamp_chart(
        chart, version, chart_annotations(root, version, changelog, image, sign_key)
    )
    return files


def deploy_versions(root: Path) -> set[str]:
    """The versions the plain manifests carry (app.kubernetes.io/version, helm.sh/chart)."""
    text = (root / DEPLOY).read_text()
    found = set(re.findall(r'app\.kubernetes\.io/version: "?([^"\s]+)"?', text))
    found |= set(re.findall(r"helm\.sh/chart: adobe-oauth-operator-(\S+)", text))
    return found


def render_manifests(root: Path) -> bool:
    """deploy/ rendered from the chart as `make manifests` does; False without a helm to run."""
    helm = Path(os.environ.get("HELM") or root / ".tools/bin/helm")
    if not helm.exists():  # building tools is hack/build-tools' business, never this script's
        return False
    rendered = subprocess.run(
        [
            str(helm),
            "template",
            "adobe-oauth-operator",
            "charts/adobe-oauth-operator",
            "--namespace",
            "adobe-oauth-operator",
            "--kube-version",
            "1.36.3",
            "--include-crds",
        ],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (root / DEPLOY).write_text(rendered)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hack/set-version", description=__doc__)
    parser.add_argument("version", nargs="?", help="X.Y.Z (default: pyproject's, re-stamped)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--image-repository", help="where the image is published")
    parser.add_argument("--image-digest", help="sha256:... of the pushed image")
    parser.add_argument("--sign-key", type=Path, help="the cosign public key (PEM)")
    parser.add_argument("--sign-key-url", help="where users download that public key")
    parser.add_argument(
        "--date",
        default=dt.datetime.fromtimestamp(
            int(os.environ.get("SOURCE_DATE_EPOCH", dt.datetime.now(dt.UTC).timestamp())), dt.UTC
        )
        .date()
        .isoformat(),
        help="the release date of a new changelog section (default: today, or SOURCE_DATE_EPOCH)",
    )
    parser.add_argument("--root", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root: Path = args.root
    try:
        files = plan(root, args.version, args)
    except Problem as exc:
        print(f"set-version: {exc}", file=sys.stderr)
        return 2
    version = check_version(args.version or project_version(root))
    stale = [str(p) for p, text in files.items() if (root / p).read_text() != text]
    if args.check:
        if deploy_versions(root) != {version}:
            stale.append(f"{DEPLOY} (make manifests)")
        for name in stale:
            print(f"set-version: {name} is not stamped with {version}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        (root / path).write_text(text)
    if deploy_versions(root) != {version}:
        if render_manifests(root):
            stale.append(str(DEPLOY))
        else:  # e.g. a release's source archive, which publishes no deploy/
            print(
                f"set-version: warning: {DEPLOY} not re-rendered: no helm (set HELM, or run "
                "`make manifests`); --check and tests/unit/test_version.py report it stale",
                file=sys.stderr,
            )
    for name in stale:
        print(f"set-version: stamped {version} into {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
