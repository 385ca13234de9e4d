"""The order xdist hands out the modules of the suite in (see tests/conftest.py)."""

# The e2e modules that take longest, longest first. xdist hands out whole modules (--dist
# loadfile) in collection order, so one of these started last would run on alone at the end.
LONGEST_FIRST = (
    "test_upgrade.py",
    "test_operator.py",
    "test_argocd.py",
    "test_never_lose_a_secret.py",
    "test_soak.py",
    "test_kubectl_aoc.py",
    "test_release.py",
)
