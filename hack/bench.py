#!/usr/bin/env python3
"""`make bench`: N credentials on the local cluster and simulator, one operator, figures as JSON.

Environment: N (credentials, default 1000), M (rotations in the burst, default 100), SHAPES
(comma-separated, default `all-at-once,trickled`), IDLE_S (default 120), TRICKLE_S (default 60),
ADOPT_TIMEOUT_S (default 600), RESTART_S (default 60), RESYNC_S (the operator's
--resync-seconds; default: its own default), OPERATOR_ARGS (extra arguments of
`adobe-oauth-operator run`), OPERATOR_SRC (run the operator from another source tree, e.g. an
older checkout's src/, to compare), OPERATOR_BIN (the operator's executable; `make bench`
sets the runtime-only virtualenv's, as in the image), METRICS=0 (no --metrics; the default
serves them, as the chart does), BENCH_DIR (logs; default a fresh
temporary directory), KEEP_CLUSTER=1 (leave the bench cluster up).

Runs its own control plane (state in .tools/bench-cluster, with the API server's audit log, so
the operator's Kubernetes requests are counted by user agent), prints progress on stderr and one
JSON line per shape on stdout. A benchmark, not a test: it reports figures and asserts nothing.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from kubernetes import config as k8s_config

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the engine is test support code, as in pytest

from adobe_oauth_operator.config import OperatorConfig  # noqa: E402
from support.bench import SHAPES, AuditLog, Bench, BenchConfig  # noqa: E402
from support.cluster import LocalCluster  # noqa: E402
from support.crds import apply_crd  # noqa: E402

CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
STATE = REPO / ".tools" / "bench-cluster"
LOCAL_CLUSTER = REPO / "hack" / "local-cluster"


def config_for(shape: str, env: os._Environ[str]) -> BenchConfig:
    operator_args = shlex.split(env.get("OPERATOR_ARGS", ""))
    if env.get("METRICS", "1") == "1":  # as the chart runs it; its figures include the metrics
        operator_args += ["--metrics", "127.0.0.1:0"]
    resync_s = OperatorConfig().resync_interval.total_seconds()
    if env.get("RESYNC_S"):
        resync_s = float(env["RESYNC_S"])
        operator_args += ["--resync-seconds", env["RESYNC_S"]]
    operator_env = {}
    if env.get("OPERATOR_SRC"):
        operator_env["PYTHONPATH"] = str(Path(env["OPERATOR_SRC"]).resolve())
    return BenchConfig(
        n=int(env.get("N", "1000")),
        m=int(env.get("M", "100")),
        shape=shape,
        idle_s=float(env.get("IDLE_S", "120")),
        trickle_s=float(env.get("TRICKLE_S", "60")),
        adopt_timeout_s=float(env.get("ADOPT_TIMEOUT_S", "600")),
        restart_s=float(env.get("RESTART_S", "60")),
        operator_args=tuple(operator_args),
        resync_s=resync_s,
        operator_env=operator_env,
        clean_up=False,
        **({"operator_bin": Path(env["OPERATOR_BIN"])} if env.get("OPERATOR_BIN") else {}),
    )


def main() -> int:
    shapes = [s for s in os.environ.get("SHAPES", ",".join(SHAPES)).split(",") if s]
    unknown = set(shapes) - set(SHAPES)
    if unknown:
        print(f"bench: unknown shape(s) {sorted(unknown)}; known: {SHAPES}", file=sys.stderr)
        return 2
    workdir = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="bench-"))
    workdir.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    say(f"bench: logs in {workdir}")
    state = ["--state-dir", str(STATE)]
    up = subprocess.run([str(LOCAL_CLUSTER), "up", "--audit", *state],
                        capture_output=True, text=True, check=False)
    if up.returncode != 0:
        say(up.stderr)
        return 1
    kubeconfig = Path(up.stdout.strip().splitlines()[-1].removeprefix("KUBECONFIG="))
    api = k8s_config.new_client_from_config(config_file=str(kubeconfig))
    api.user_agent = "adobe-oauth-bench"  # not counted as the operator's
    cluster = LocalCluster(kubeconfig=kubeconfig, api=api)
    try:
        apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=True)
        for shape in shapes:
            shape_dir = workdir / shape
            shape_dir.mkdir(exist_ok=True)
            config = config_for(shape, os.environ)
            result = Bench(cluster, shape_dir, config, AuditLog(STATE / "audit.log"), say).run()
            print(json.dumps(result), flush=True)
    finally:
        api.close()
        if os.environ.get("KEEP_CLUSTER") != "1":
            subprocess.run([str(LOCAL_CLUSTER), "down", *state], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
