"""A small run of `make bench`: behaviour at scale, never timing (the figures are the bench's).

20 credentials applied at once under a budget of 5 Adobe requests per second: all adopted, the
simulator never sees more than the budget, nothing calls Adobe while idle or after a restart, a
restart rolls no consumer, and a rotation costs at most one token grant while the cached token
is valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.bench import Bench, BenchConfig
from support.cluster import LocalCluster

MAX_RPS = 5


def test_twenty_credentials_applied_at_once_stay_within_the_adobe_budget(
    cluster: LocalCluster, crd_installed: dict[str, Any], tmp_path: Path
) -> None:
    config = BenchConfig(
        n=20,
        m=5,
        shape="all-at-once",
        settle_s=2,
        idle_s=10,
        restart_s=10,
        adopt_timeout_s=120,
        rotation_timeout_s=120,
        operator_args=("--adobe-max-rps", str(MAX_RPS)),
        poll_s=1,
    )
    result = Bench(cluster, tmp_path, config, audit=None, say=lambda _: None).run()

    assert result["adopt"]["adopted"] == 20
    # 20 adoptions take 40 requests or more: without the limiter they arrive within a second.
    assert result["adopt"]["adobe_requests"] >= 40
    # The limiter spaces request starts 1/MAX_RPS apart. Arrival times at the simulator add
    # scheduling delays (up to a second on a busy 2-core machine), so within any 1 s window at
    # most 2 * MAX_RPS arrive, and within 10 s at most 11 * MAX_RPS; unlimited, all 40 arrive
    # within about a second.
    assert result["peak_adobe"]["peak_1s"] <= 2 * MAX_RPS
    assert result["peak_adobe"]["peak_10s"] <= 11 * MAX_RPS
    assert result["idle"]["adobe_requests"] == 0
    assert result["rotations"]["rotated"] == 5
    assert result["rotations"]["token_grants_per_rotation"] <= 1
    assert result["restart"]["adobe_requests"] == 0
    assert result["restart"]["workloads_watched"] == 10
    assert result["restart"]["workloads_restarted"] == 0
    assert result["restart"]["idle"]["adobe_requests"] == 0
