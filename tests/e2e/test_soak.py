"""The fault soak, short: three credentials rotated while every kind of fault is injected once
or more; no invariant may break (see tests/support/soak.py; `make soak` runs it at length).

SOAK_SEED picks the seed (default fixed, so CI is reproducible); the report is printed as one
JSON line, and its `reproduce` field reruns the same schedule with `make soak`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.cluster import LocalCluster
from support.soak import FAULT_KINDS, SoakConfig, run_soak

MIN_ROTATIONS = 6


def test_fault_soak_keeps_every_invariant(
    cluster: LocalCluster, crd_installed: object, tmp_path: Path
) -> None:
    config = SoakConfig(
        seed=int(os.environ.get("SOAK_SEED", "20260509")),
        steps=len(FAULT_KINDS) + 4,
        down_s=12.0,
        # More than the 2-minute lease: a second operator killed mid-action is waited for.
        converge_timeout_s=150.0,
    )
    report = run_soak(cluster, tmp_path, config)
    print(json.dumps(report))
    assert report["violations"] == [], (
        f"rerun: {report['reproduce']}\n{json.dumps(report['violations'], indent=2)}"
    )
    assert set(report["faults_injected"]) == set(FAULT_KINDS), report["faults_injected"]
    assert report["rotations_completed"] >= MIN_ROTATIONS, report
