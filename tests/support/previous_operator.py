"""The operator of the release before this one (the main commit issue 22 started from), run from
its own source as a process against the local control plane: what a downgrade goes back to."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from support.cluster import REPO
from support.processes import runtime_executable

PREVIOUS_COMMIT = "899734a"


def previous_source(target: Path, commit: str = PREVIOUS_COMMIT) -> Path:
    """`src/` of `commit`, taken from this clone's history (no worktree, nothing to clean up)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, "src"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if archive.returncode != 0:
        raise RuntimeError(
            f"commit {commit} is not in this clone's history (a shallow clone?): "
            f"git fetch --unshallow\n{archive.stderr.decode(errors='replace')}"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def operator_command(source: Path) -> list[str]:
    """`adobe-oauth-operator` of that source, run by the runtime virtualenv's interpreter: its
    dependencies are that release's (pyproject.toml and constraints.txt are unchanged since)."""
    code = (
        f"import sys; sys.path.insert(0, {str(source)!r}); "
        "from adobe_oauth_operator.cli import main; main()"
    )
    return [str(runtime_executable("python")), "-P", "-c", code]


def api_version_of(source: Path) -> str:
    """The AdobeOAuthCredential version that source's operator reads and writes."""
    code = (
        f"import sys; sys.path.insert(0, {str(source)!r}); "
        "import adobe_oauth_operator.names as n; print(n.VERSION, n.__file__)"
    )
    out = subprocess.run(
        [str(runtime_executable("python")), "-P", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    version, where = out.stdout.split()
    if not Path(where).is_relative_to(source):
        raise AssertionError(f"imported {where}, not the previous release's {source}")
    return version
