"""Running the simulator: in this event loop, in a background thread, or from the CLI."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from adobe_oauth_operator.sim.app import SimApp
from adobe_oauth_operator.sim.clock import SimClock
from adobe_oauth_operator.sim.dialect import DEFAULT_DIALECT, Dialect
from adobe_oauth_operator.sim.faults import FaultQueue
from adobe_oauth_operator.sim.model import DEFAULT_TOKEN_TTL_S
from adobe_oauth_operator.sim.persist import load_state, save_state
from adobe_oauth_operator.sim.seed import load_seed
from adobe_oauth_operator.sim.state import SimState

SeedSource = str | Path | Mapping[str, Any]
THREAD_START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RunningSimulator:
    """A started simulator: its base URL and, in-process, its state and fault queue."""

    url: str
    host: str
    port: int
    state: SimState
    faults: FaultQueue


def build_state(
    *,
    seed: SeedSource | None = None,
    state_file: Path | None = None,
    token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
    token_rate: int | None = None,
    clock: SimClock | None = None,
    dialect: str | Dialect = DEFAULT_DIALECT,
) -> SimState:
    """A SimState from the state file when it exists, else from the seed; saved on every change."""
    state = SimState(clock=clock, token_ttl_s=token_ttl_s, token_rate=token_rate, dialect=dialect)
    saved = load_state(state_file) if state_file is not None else None
    if saved is not None:
        state.load(saved)
    elif seed is not None:
        for credential in load_seed(seed):
            state.add_credential(credential)
    state.mark_initial()
    if state_file is not None:
        path = state_file
        state.on_change = lambda: save_state(path, state.dump())
        save_state(path, state.dump())
    return state


@asynccontextmanager
async def running_simulator(
    *,
    seed: SeedSource | None = None,
    state_file: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
    token_rate: int | None = None,
    clock: SimClock | None = None,
    access_log: bool = False,
    dialect: str | Dialect = DEFAULT_DIALECT,
) -> AsyncIterator[RunningSimulator]:
    """Serve on host:port (0: any free port) in the running event loop until the block exits."""
    state = build_state(
        seed=seed,
        state_file=state_file,
        token_ttl_s=token_ttl_s,
        token_rate=token_rate,
        clock=clock,
        dialect=dialect,
    )
    faults = FaultQueue()
    app = SimApp(state, faults)
    # An access log names paths only, never bodies or headers; still, off unless asked for.
    runner = (
        web.AppRunner(app.web_app, shutdown_timeout=1.0)
        if access_log
        else web.AppRunner(app.web_app, shutdown_timeout=1.0, access_log=None)
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_port = int(runner.addresses[0][1])
        url_host = f"[{host}]" if ":" in host else host
        yield RunningSimulator(f"http://{url_host}:{bound_port}", host, bound_port, state, faults)
    finally:
        app.close()
        await runner.cleanup()


@contextmanager
def simulator_in_thread(**options: Any) -> Iterator[RunningSimulator]:
    """running_simulator() in a background thread with its own loop, for synchronous code.

    Talk to it over HTTP (SimControl); its `state` belongs to the other thread.
    """
    started: concurrent.futures.Future[tuple[RunningSimulator, Callable[[], object]]]
    started = concurrent.futures.Future()

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        try:
            async with running_simulator(**options) as sim:
                started.set_result((sim, partial(loop.call_soon_threadsafe, stop.set)))
                await stop.wait()
        except Exception as exc:
            if started.done():
                raise
            started.set_exception(exc)

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    sim, request_stop = started.result(timeout=THREAD_START_TIMEOUT_S)
    try:
        yield sim
    finally:
        request_stop()
        thread.join(timeout=THREAD_START_TIMEOUT_S)
