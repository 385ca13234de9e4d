"""A simulator of Adobe IMS and the I/O Management API secrets endpoints."""

from adobe_oauth_operator.sim.clock import SimClock
from adobe_oauth_operator.sim.control import SimControl, SimControlError
from adobe_oauth_operator.sim.dialect import DEFAULT_DIALECT, DIALECTS, Dialect
from adobe_oauth_operator.sim.faults import Fault, FaultQueue
from adobe_oauth_operator.sim.seed import CredentialSeed, SeedError, load_seed
from adobe_oauth_operator.sim.server import (
    RunningSimulator,
    build_state,
    running_simulator,
    simulator_in_thread,
)
from adobe_oauth_operator.sim.state import SimError, SimState

__all__ = [
    "DEFAULT_DIALECT",
    "DIALECTS",
    "CredentialSeed",
    "Dialect",
    "Fault",
    "FaultQueue",
    "RunningSimulator",
    "SeedError",
    "SimClock",
    "SimControl",
    "SimControlError",
    "SimError",
    "SimState",
    "build_state",
    "load_seed",
    "running_simulator",
    "simulator_in_thread",
]
