"""Fixtures for the Adobe client's unit tests: a scripted fake Adobe and a client wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from adobe_fakes import API, IMS, FakeAdobe

from adobe_oauth_operator.adobe import AdobeClient, RetryPolicy


@pytest.fixture
def fake_adobe() -> FakeAdobe:
    return FakeAdobe()


@pytest.fixture
def retry_policy(fake_sleep: Any) -> RetryPolicy:
    """For the tests of retrying itself (what `kubectl aoc check` asks for): five attempts, real
    backoff arithmetic, no real waiting; jitter draws its maximum."""
    return RetryPolicy(
        max_attempts=5,
        max_total_s=60.0,
        base_backoff_s=0.5,
        max_backoff_s=10.0,
        sleep=fake_sleep,
        random=lambda: 1.0,
        monotonic=fake_sleep.monotonic,
    )


@pytest.fixture
async def make_client(
    fake_adobe: FakeAdobe, fake_clock: Any
) -> AsyncIterator[Callable[..., AdobeClient]]:
    """Build AdobeClients on the fake, as the operator does (one attempt per call, unless a test
    passes `retry`); all are closed at the end of the test."""
    made: list[AdobeClient] = []
    http_clients: list[httpx.AsyncClient] = []

    def build(**overrides: Any) -> AdobeClient:
        http_clients.append(httpx.AsyncClient(transport=fake_adobe.transport()))
        options: dict[str, Any] = {
            "ims_url": IMS,
            "api_url": API,
            "http_client": http_clients[-1],
            "clock": fake_clock,
        }
        options.update(overrides)
        client = AdobeClient(**options)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()
    for http in http_clients:
        await http.aclose()
