"""The order xdist hands out the work of the suite in (see tests/conftest.py)."""

# Longest first (longest-processing-time scheduling): the modules that are one indivisible unit
# (ONE_WORKER_MODULES) and those with the longest single
# tests. xdist hands units out in this order, so a long one started last would run on alone at
# the end while the other workers sit idle.
LONGEST_FIRST = (
    "test_argocd.py",
    "test_upgrade.py",
    "test_release.py",
    "test_helm.py",
    "test_soak.py",
    "test_peering.py",
    "test_rotation_window.py",
    "test_never_lose_a_secret.py",
    "test_kubectl_aoc.py",
    "test_operator.py",
    "test_bench.py",
    "test_downgrade.py",
    "test_image.py",
)

# Modules whose tests share a module-scoped fixture (an Argo CD, a release, a chart install):
# split over workers, each worker would build it again. tests/unit/test_suite_order.py keeps
# this list equal to the modules that declare one.
ONE_WORKER_MODULES = (
    "test_argocd.py",
    "test_downgrade.py",
    "test_helm.py",
    "test_image.py",
    "test_release.py",
    "test_upgrade.py",
    "test_alert_rules.py",
    "test_hardening.py",
)
