"""The soak's fault schedule is a pure function of its seed and sizes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import cast

import pytest

from support.cluster import LocalCluster
from support.soak import (
    FAULT_KINDS,
    Recorder,
    Soak,
    SoakConfig,
    build_schedule,
    dialect_for,
    schedule_digest,
)


def test_a_seed_reproduces_its_schedule() -> None:
    config = SoakConfig(seed=42, steps=30)
    assert build_schedule(config) == build_schedule(SoakConfig(seed=42, steps=30))
    assert schedule_digest(build_schedule(config)) != schedule_digest(
        build_schedule(SoakConfig(seed=43, steps=30))
    )


@pytest.mark.parametrize("seed", range(20))
def test_every_kind_appears_even_in_a_short_schedule(seed: int) -> None:
    schedule = build_schedule(SoakConfig(seed=seed, steps=3))
    assert Counter(s.kind for s in schedule).keys() == set(FAULT_KINDS)


def test_a_duration_bounds_the_planned_time() -> None:
    schedule = build_schedule(SoakConfig(seed=1, duration_s=1200))
    planned = sum(s.planned_s() for s in schedule)
    assert 1200 <= planned < 1200 + 60
    assert len(schedule) > 100


def test_rotations_mode_keeps_the_same_schedule_prefix() -> None:
    """ROTATIONS stops a long schedule early; STEPS=<executed> replays the same prefix."""
    long = build_schedule(SoakConfig(seed=5, duration_s=86400.0))
    assert build_schedule(SoakConfig(seed=5, steps=25)) == long[:25]


def test_violations_are_counted_not_repeated() -> None:
    recorder = Recorder(started=0.0)
    for n in range(3):
        recorder.record("I3", "c0", f"{n} adds", key="adds")
    recorder.record("I1", "c1", "3 secrets in Adobe")
    [adds, limit] = sorted(recorder.as_list(), key=lambda v: v["invariant"], reverse=True)
    assert (adds["detail"], adds["count"]) == ("0 adds", 3)
    assert (limit["invariant"], limit["count"]) == ("I1", 1)


def test_leaks_name_a_value_by_its_hash_only(tmp_path: Path) -> None:
    soak = Soak(cast(LocalCluster, None), tmp_path, SoakConfig(seed=1, steps=1), log=lambda _: None)
    soak._learn("p8e-0123456789abcdefghijklmnopqrstuv")
    soak._learn("short")  # not secret-shaped: ignored
    leaks = soak._leaks("log line: p8e-0123456789abcdefghijklmnopqrstuv; short")
    assert len(leaks) == 1
    assert leaks[0].startswith("sha256 ")
    assert "p8e-" not in leaks[0]


def test_the_seed_picks_the_simulator_dialect_both_ways() -> None:
    assert {dialect_for(seed) for seed in range(4)} == {"spec", "guide"}
    assert dialect_for(20260509) == dialect_for(20260509)
