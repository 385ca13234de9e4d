"""`make demo` end to end: kubectl apply of examples/, a rotation, the summary."""

from __future__ import annotations

import re
import subprocess
import sys

from support.cluster import REPO, LocalCluster


def test_demo_rotates_and_reports_what_changed(
    cluster: LocalCluster, crd_installed: object
) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "hack" / "demo.py"),
            "--namespace",
            "demo-e2e",
            "--timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Reusing the local control plane" in out.stdout
    assert re.search(r"rotation id: +\S+ \(OnDemand, Succeeded\)", out.stdout)
    old = re.search(r"old secret uuid: +([0-9a-f]{32})", out.stdout)
    new = re.search(r"new secret uuid: +([0-9a-f]{32})", out.stdout)
    holds = re.search(r"Adobe now holds: +(\S+)\n", out.stdout)
    assert old and new and holds
    assert holds.group(1) == new.group(1) != old.group(1)
    before = re.search(r"pods before: +(.+)\n", out.stdout)
    after = re.search(r"pods after: +(.+)\n", out.stdout)
    assert before and after
    assert set(before.group(1).split(", ")).isdisjoint(after.group(1).split(", "))
    assert "p8e-demo-only-initial-client-secret" not in out.stdout
