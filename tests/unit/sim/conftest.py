"""A SimState on a controllable clock with one seeded credential."""

from __future__ import annotations

import itertools

import pytest
from sim_support import SEED, START_MS, ManualWall

from adobe_oauth_operator.sim import SimClock, SimState


@pytest.fixture
def clock() -> SimClock:
    return SimClock(wall=ManualWall(START_MS))


@pytest.fixture
def state(clock: SimClock) -> SimState:
    uuids = (f"{n:032x}" for n in itertools.count(1))
    values = (f"p8e-generated-{n}" for n in itertools.count(1))
    tokens = (f"token-{n}" for n in itertools.count(1))
    sim = SimState(
        clock=clock,
        token_ttl_s=3600,
        make_uuid=lambda: next(uuids),
        make_secret=lambda: next(values),
        make_token=lambda: next(tokens),
    )
    sim.add_credential(SEED)
    sim.mark_initial()
    return sim
