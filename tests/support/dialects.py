"""The simulator's dialects in e2e tests (see src/adobe_oauth_operator/sim/README.md).

The `dialect` fixture (tests/e2e/conftest.py) is `spec` unless a test is parametrized over it:
`@BOTH_DIALECTS`, or `pytest.mark.parametrize(..., indirect=["dialect"])` for a chosen subset.
"""

from __future__ import annotations

import pytest

DIALECTS = ("spec", "guide")
BOTH_DIALECTS = pytest.mark.parametrize("dialect", DIALECTS, indirect=True)
