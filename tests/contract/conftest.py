"""The simulator in this event loop, and Adobe clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from contract_seed import SEED

from adobe_oauth_operator.adobe import AdobeClient, RetryPolicy
from adobe_oauth_operator.sim import RunningSimulator, running_simulator


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with running_simulator(seed=SEED) as running:
        yield running


@pytest.fixture
async def api(sim: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the simulator, for checking the wire format itself."""
    async with httpx.AsyncClient(base_url=sim.url, timeout=10.0) as http:
        yield http


@pytest.fixture
def issued_tokens() -> list[str]:
    """Every access token the simulator handed to a client built by make_client."""
    return []


def sim_clock(sim: RunningSimulator) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(sim.state.clock.now_ms() / 1000, UTC)


@pytest.fixture
async def make_client(
    sim: RunningSimulator, fake_sleep: Any, issued_tokens: list[str]
) -> AsyncIterator[Callable[..., AdobeClient]]:
    """AdobeClients on a simulator; retries wait in simulator time, not real time."""
    made: list[tuple[AdobeClient, httpx.AsyncClient]] = []

    async def capture(response: httpx.Response) -> None:
        if response.url.path == "/ims/token/v3" and response.status_code == 200:
            await response.aread()
            issued_tokens.append(response.json()["access_token"])

    def build(
        target: RunningSimulator | None = None, timeout: float = 10.0, **overrides: Any
    ) -> AdobeClient:
        target = target or sim
        if target.state.clock.advance not in fake_sleep.on_sleep:
            fake_sleep.on_sleep.append(target.state.clock.advance)
        http = httpx.AsyncClient(timeout=timeout, event_hooks={"response": [capture]})
        options: dict[str, Any] = {
            "ims_url": target.url,
            "api_url": target.url,
            "http_client": http,
            "clock": sim_clock(target),
            "retry": RetryPolicy(
                max_attempts=5,
                max_total_s=120.0,
                sleep=fake_sleep,
                random=lambda: 1.0,
                monotonic=fake_sleep.monotonic,
            ),
        }
        options.update(overrides)
        client = AdobeClient(**options)
        made.append((client, http))
        return client

    yield build
    for client, http in made:
        await client.aclose()
        await http.aclose()


@pytest.fixture
def client(make_client: Callable[..., AdobeClient]) -> AdobeClient:
    return make_client()
