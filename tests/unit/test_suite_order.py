"""The suite-wide ordering names real modules (a stale name would silently stop leading), and
every module sharing a module-scoped fixture runs on one worker."""

from __future__ import annotations

import ast
from pathlib import Path

from support.cluster import REPO
from support.suite_order import LONGEST_FIRST, ONE_WORKER_MODULES

TESTS = REPO / "tests"


def test_every_module_named_longest_first_exists_in_e2e() -> None:
    e2e = {path.name for path in (TESTS / "e2e").glob("test_*.py")}
    assert set(LONGEST_FIRST) <= e2e, set(LONGEST_FIRST) - e2e
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def _declares_shared_fixture(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.fixture":
            scopes = [k.value for k in node.keywords if k.arg == "scope"]
            if any(isinstance(s, ast.Constant) and s.value != "function" for s in scopes):
                return True
    return False


def test_one_worker_modules_are_exactly_those_with_a_module_scoped_fixture() -> None:
    modules = [p for p in TESTS.rglob("test_*.py") if _declares_shared_fixture(p)]
    assert sorted(p.name for p in modules) == sorted(ONE_WORKER_MODULES)
    assert len({p.name for p in modules}) == len(modules), "two modules share a basename"
