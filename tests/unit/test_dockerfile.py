"""The Dockerfile, checked statically (no container engine here): hadolint is clean, and what it
copies, installs and runs exists and fits the chart."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from adobe_oauth_operator.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"
SIMULATOR = "src/adobe_oauth_operator/sim/"


@dataclass
class Stage:
    image: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for key, args in self.instructions if key == keyword]


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], words[0])
            stages.append(Stage(image, name))
        elif keyword == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key] = default
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


ARGS, STAGES = parse(DOCKERFILE.read_text())
RUNTIME = STAGES[-1]


def exec_form(value: str) -> list[str]:
    parsed = json.loads(value)
    assert isinstance(parsed, list), f"not exec form (a JSON array): {value}"
    return [str(item) for item in parsed]


def test_hadolint_is_clean() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_multi_stage_from_a_pinned_small_python_base() -> None:
    assert len(STAGES) >= 2
    names = [s.name for s in STAGES]
    assert names == ["build", "runtime"]
    for stage in STAGES:
        repository, _, tag = stage.image.partition(":")
        assert repository == "python"
        assert tag and tag != "latest" and "slim" in tag, stage.image
    # The runtime stage takes the virtualenv from the build stage and builds nothing itself: no
    # RUN, no SHELL, so nothing at run time needs a shell.
    assert RUNTIME.all("RUN") == [] and RUNTIME.all("SHELL") == []
    assert RUNTIME.all("COPY") == ["--from=build /opt/venv /opt/venv"]


def test_dependencies_come_from_the_constraints_file() -> None:
    [install, *_] = [r for r in STAGES[0].all("RUN") if "pip install" in r]
    words = shlex.split(install.split("&&")[0])
    assert words[:2] == ["/opt/venv/bin/pip", "install"]
    assert words[words.index("--constraint") + 1] == "constraints.txt"
    assert words[-1] == "."


def test_every_runtime_dependency_is_pinned() -> None:
    """pip install -c constraints.txt . installs exactly the pinned versions of everything."""
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    seen: set[str] = set()
    todo = [
        Requirement(r)
        for r in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    ]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        assert name in pins, f"{req.name} is installed in the image but not pinned"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])
        todo += [Requirement(r) for r in metadata.requires(req.name) or ()]
    assert {"kopf", "kubernetes", "httpx", "aiohttp"} <= seen


IGNORE = [
    line.strip()
    for line in (REPO / ".dockerignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def ignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes."""
    result = False
    for pattern in IGNORE:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
            result = not negate
    return result


def test_everything_it_copies_exists_and_is_in_the_build_context() -> None:
    copied = []
    for stage in STAGES:
        for args in stage.all("COPY"):
            words = args.split()
            if any(w.startswith("--from=") for w in words):
                continue
            sources = [w for w in words[:-1] if not w.startswith("--")]
            copied += sources
    assert copied == ["pyproject.toml", "constraints.txt", "README.md", "src/"]
    for source in copied:
        path = REPO / source
        assert path.exists(), source
        files = [path] if path.is_file() else list(path.rglob("*.py"))
        assert files
        for file in files:
            relative = file.relative_to(REPO).as_posix()
            if relative.startswith(SIMULATOR):
                assert ignored(relative), f"{relative}: the simulator stays out of the image"
            else:
                assert not ignored(relative), f"{relative} is excluded by .dockerignore"
    # The context is small: tests, the venv and the tools never reach the daemon.
    assert all(ignored(p) for p in (".venv/bin/python", ".tools/bin/kubectl", "tests/conftest.py"))


def test_runs_the_operator_as_a_numeric_non_root_user() -> None:
    [user] = RUNTIME.all("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0
    chart_values = yaml.safe_load((REPO / "charts/adobe-oauth-operator/values.yaml").read_text())
    assert chart_values["podSecurityContext"]["runAsUser"] == int(uid)
    assert chart_values["podSecurityContext"]["runAsGroup"] == int(gid)


def test_entrypoint_is_the_operator_console_script() -> None:
    [entrypoint] = RUNTIME.all("ENTRYPOINT")
    program = exec_form(entrypoint)
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert program == ["/opt/venv/bin/adobe-oauth-operator"]
    assert scripts["adobe-oauth-operator"] == "adobe_oauth_operator.cli:main"
    [cmd] = RUNTIME.all("CMD")
    args = build_parser().parse_args(exec_form(cmd))
    assert args.command == "run"
    [expose] = RUNTIME.all("EXPOSE")
    assert args.liveness_endpoint == f"http://0.0.0.0:{expose}/healthz"
    chart_values = yaml.safe_load((REPO / "charts/adobe-oauth-operator/values.yaml").read_text())
    assert chart_values["httpPort"] == int(expose)


@pytest.mark.parametrize("variable", ["PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"])
def test_runtime_environment(variable: str) -> None:
    env = " ".join(RUNTIME.all("ENV"))
    assert f"{variable}=1" in env
    assert "PATH=/opt/venv/bin:$PATH" in env


def test_the_operator_imports_nothing_the_image_leaves_out() -> None:
    """The image drops kubernetes.aio and the simulator: no operator module may import them."""
    package = REPO / "src" / "adobe_oauth_operator"
    for module in package.rglob("*.py"):
        if module.is_relative_to(package / "sim"):
            continue
        text = module.read_text()
        for name in ("kubernetes.aio", "kubernetes_asyncio", "adobe_oauth_operator.sim"):
            assert name not in text, f"{module.relative_to(REPO)} imports {name}"
        assert not re.search(r"from \.+sim\b|from kubernetes import aio\b", text), module


def test_the_image_build_hashes_exactly_the_build_context() -> None:
    """hack/image skips the build while the hash of these files is unchanged: the list must be
    the build context, or a change would not rebuild (or an unrelated one would)."""
    skipped = {".git", ".venv", ".tools", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    context = sorted(
        path.relative_to(REPO).as_posix()
        for top in REPO.iterdir()
        if top.name not in skipped
        for path in ([top] if top.is_file() else top.rglob("*"))
        if path.is_file() and not ignored(path.relative_to(REPO).as_posix())
    )
    listed = subprocess.run(
        [str(REPO / "hack" / "image"), "context"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=30,
    ).stdout.split()
    assert sorted(listed) == context
    assert "src/adobe_oauth_operator/cli.py" in context
