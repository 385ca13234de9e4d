#!/usr/bin/env python3
"""`make soak`: the seeded fault soak at length (tests/e2e/test_soak.py runs a short one).

Environment: SEED (default: random, printed), DURATION (seconds of faults, default 1200), or
STEPS (a number of faults instead), or ROTATIONS (faults until that many rotations completed and
every kind was injected), CREDENTIALS (default 3), DOWN_S (an Adobe outage's length,
default 30), KINDS (comma-separated fault kinds; add `second_operator` for a second, unpeered
operator for a while), CONVERGE_S (default 180), SOAK_DIR (default: a fresh temporary directory).

Brings the local cluster up (or reuses it), prints progress on stderr and one JSON line on stdout
at the end; exits 1 when an invariant was violated. A failing seed reproduces the same schedule.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the engine is test support code, as in pytest

from support.cluster import local_cluster  # noqa: E402
from support.crds import apply_crd  # noqa: E402
from support.soak import FAULT_KINDS, SoakConfig, run_soak  # noqa: E402

CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"


def config_from_env(env: os._Environ[str]) -> SoakConfig:
    seed = int(env["SEED"]) if env.get("SEED") else random.SystemRandom().randrange(2**31)
    kinds = tuple(k for k in env.get("KINDS", ",".join(FAULT_KINDS)).split(",") if k)
    rotations = int(env["ROTATIONS"]) if env.get("ROTATIONS") else None
    return SoakConfig(
        seed=seed,
        steps=int(env["STEPS"]) if env.get("STEPS") else None,
        # With ROTATIONS, the schedule is long enough and the soak stops once they completed.
        duration_s=86400.0 if rotations else float(env.get("DURATION", "1200")),
        rotations=rotations,
        credentials=int(env.get("CREDENTIALS", "3")),
        kinds=kinds,
        down_s=float(env.get("DOWN_S", "30")),
        converge_timeout_s=float(env.get("CONVERGE_S", "180")),
    )


def main() -> int:
    config = config_from_env(os.environ)
    workdir = Path(os.environ.get("SOAK_DIR") or tempfile.mkdtemp(prefix="soak-"))
    workdir.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    say(f"soak: logs in {workdir}")
    with local_cluster() as cluster:
        apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=True)
        report = run_soak(cluster, workdir, config, say)
    print(json.dumps(report, sort_keys=False), flush=True)
    return 1 if report["violation_count"] else 0


if __name__ == "__main__":
    sys.exit(main())
