"""The suite-wide ordering names real modules (a stale name would silently stop leading)."""

from __future__ import annotations

from support.cluster import REPO
from support.suite_order import LONGEST_FIRST


def test_every_module_named_longest_first_exists_in_e2e() -> None:
    e2e = {path.name for path in (REPO / "tests" / "e2e").glob("test_*.py")}
    assert set(LONGEST_FIRST) <= e2e, set(LONGEST_FIRST) - e2e


def test_the_longest_modules_are_not_named_twice() -> None:
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
