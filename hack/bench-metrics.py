#!/usr/bin/env python3
"""How long one /metrics scrape takes with CREDENTIALS credentials in the index (default 1000).

Usage: .venv/bin/python hack/bench-metrics.py [CREDENTIALS]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from prometheus_client import generate_latest

from adobe_oauth_operator.observability.metrics import OperatorMetrics
from adobe_oauth_operator.rotation.model import Phase, Status

ROUNDS = 20


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    metrics = OperatorMetrics()
    now = datetime.now(UTC)
    for i in range(count):
        name = f"credential-{i}"
        metrics.index.track("bench", name)
        status = Status(
            phase=Phase.READY,
            current_secret_uuid="current",
            last_rotation_time=now,
            next_rotation_time=now,
        )
        metrics.index.set_status("bench", name, status)
        metrics.index.add_secret_times("bench", name, {"current": now})
    started = time.perf_counter()
    for _ in range(ROUNDS):
        text = generate_latest(metrics.registry)
    per_scrape = (time.perf_counter() - started) / ROUNDS
    print(f"{count} credentials: {len(text)} bytes, {per_scrape * 1000:.1f} ms per scrape")


if __name__ == "__main__":
    main()
