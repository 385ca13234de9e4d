"""Helpers shared by the test suites (waiting, the local cluster, the simulator)."""
