"""docs/architecture.md names code, tests and paths that exist, and the README's layout matches."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"
PACKAGE = ROOT / "src" / "adobe_oauth_operator"

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"adobe_oauth_operator(?:\.\w+)+")
TEST_REF = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")
SRC_PATH = re.compile(r"src/[\w./-]+")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def spans(path: Path) -> list[str]:
    """The inline code spans of a Markdown file, fenced blocks left out."""
    return CODE_SPAN.findall(FENCE.sub("", path.read_text()))


def dotted_names() -> list[str]:
    found = {m.group(0) for span in spans(DOC) for m in DOTTED.finditer(span)}
    return sorted(found)


def named_tests() -> list[tuple[str, str | None]]:
    found = {(m.group(1), m.group(2)) for span in spans(DOC) for m in TEST_REF.finditer(span)}
    return sorted(found, key=lambda ref: (ref[0], ref[1] or ""))


def src_paths(path: Path) -> list[str]:
    found = {m.group(0).rstrip("/.") for span in spans(path) for m in SRC_PATH.finditer(span)}
    return sorted(found)


def relative_links(path: Path) -> list[str]:
    """Link targets in the repository (no URL), without their #anchor."""
    targets = {t.split("#", 1)[0] for t in LINK.findall(FENCE.sub("", path.read_text()))}
    return sorted(t for t in targets if t and "://" not in t and not t.startswith("mailto:"))


def resolve(dotted: str) -> object:
    """Import the longest module prefix of `dotted`, then follow the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as exc:
            if exc.name is None or not ".".join(parts[:cut]).startswith(exc.name):
                raise  # a module that exists failed to import: not a stale reference
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_the_doc_names_enough_to_be_checked() -> None:
    # Guards the checks below against a parser that silently finds nothing.
    assert len(dotted_names()) >= 40
    assert len([ref for ref in named_tests() if ref[1]]) >= 30
    assert len(relative_links(DOC)) >= 3


@pytest.mark.parametrize("dotted", dotted_names())
def test_every_dotted_name_resolves(dotted: str) -> None:
    try:
        resolve(dotted)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"docs/architecture.md names `{dotted}`, which does not resolve: {exc}")


@pytest.mark.parametrize(("path", "name"), named_tests(), ids=lambda v: v or "")
def test_every_named_test_exists(path: str, name: str | None) -> None:
    file = ROOT / path
    assert file.is_file(), f"docs/architecture.md names {path}, which does not exist"
    if name is not None:
        defined = re.search(rf"^\s*(?:async\s+)?def {re.escape(name)}\(", file.read_text(), re.M)
        assert defined, f"docs/architecture.md names {path}::{name}, which is not defined there"


@pytest.mark.parametrize("path", [*src_paths(DOC), *src_paths(README)])
def test_every_named_source_path_exists(path: str) -> None:
    assert (ROOT / path).exists(), f"{path} is named in the docs but does not exist"


@pytest.mark.parametrize("target", relative_links(DOC))
def test_every_link_leads_to_a_file(target: str) -> None:
    assert (DOC.parent / target).exists(), f"docs/architecture.md links {target}, which is missing"


def test_every_import_contract_is_quoted_by_name() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    assert names
    text = DOC.read_text()
    missing = [name for name in names if f'"{name}"' not in text]
    assert not missing, f"import-linter contracts not described in docs/architecture.md: {missing}"


def test_the_readme_layout_lists_every_package_and_links_the_architecture() -> None:
    readme = README.read_text()
    layout = readme.split("## Repository layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`src/adobe_oauth_operator/(\w+)/`", layout))
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert listed == packages, f"README layout: {sorted(listed)}; the tree: {sorted(packages)}"
    assert "docs/architecture.md" in layout
