"""The simulator in this event loop, in each dialect, and Adobe clients pointed at it.

Every answer of the secrets endpoints that a test's HTTP clients receive is validated with
openapi-core against Adobe's published description (`support.adobe_description`): as published for
the `spec` dialect, with exactly the guide's documented differences for `guide`. Every request the
operator's AdobeClient sends to the API (anything but IMS) is validated against it too: a
described path and method, the required headers, no body where none is described.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from contract_seed import SEED

from adobe_oauth_operator.adobe import AdobeClient
from adobe_oauth_operator.sim import DIALECTS, RunningSimulator, running_simulator
from support.adobe_description import SecretsValidator, description_file, description_for


@pytest.fixture(scope="session")
def adobe_description() -> None:
    """Adobe's description fetched (npm pack, cached per machine) before any test needs it."""
    description_file()


@pytest.fixture(params=sorted(DIALECTS))
def dialect(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def sim(dialect: str) -> AsyncIterator[RunningSimulator]:
    async with running_simulator(seed=SEED, dialect=dialect) as running:
        yield running


class AnswerValidation:
    """httpx hooks validating the secrets answers of watched simulators, and the requests sent to
    them, against the description of their dialect; a test fails on the first that breaks it."""

    def __init__(self) -> None:
        self.validators: dict[str, SecretsValidator] = {}
        self.broken: list[str] = []

    def watch(self, target: RunningSimulator) -> None:
        if target.url not in self.validators:
            description = description_for(target.state.dialect.name)
            self.validators[target.url] = SecretsValidator(description, target.url)

    async def __call__(self, response: httpx.Response) -> None:
        base = f"{response.url.scheme}://{response.url.netloc.decode()}"
        validator = self.validators.get(base)
        if validator is None or not validator.covers(response):
            return
        await response.aread()
        try:
            validator.validate(response)
        except Exception as exc:
            self.broken.append(f"{response.request.method} {response.url.path}: {exc!r}")
            raise AssertionError(f"answer breaks Adobe's description: {exc!r}") from exc

    async def check_request(self, request: httpx.Request) -> None:
        """Every request to the API but IMS's token endpoint and the simulator's control API."""
        base = f"{request.url.scheme}://{request.url.netloc.decode()}"
        validator = self.validators.get(base)
        if validator is None or request.url.path.startswith(UNDESCRIBED_PATHS):
            return
        try:
            validator.validate_request(request)
        except Exception as exc:
            self.broken.append(f"{request.method} {request.url.path}: {exc!r}")
            raise AssertionError(f"request breaks Adobe's description: {exc!r}") from exc


# IMS is not part of the I/O Management API's description; /__sim/ is the simulator's own.
UNDESCRIBED_PATHS = ("/ims/", "/__sim/")


@pytest.fixture
def validate_answers(adobe_description: None) -> Iterator[AnswerValidation]:
    validation = AnswerValidation()
    yield validation
    assert validation.broken == []


@pytest.fixture
async def api(
    sim: RunningSimulator, validate_answers: AnswerValidation
) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the simulator, for checking the wire format itself."""
    validate_answers.watch(sim)
    hooks = {"response": [validate_answers]}
    async with httpx.AsyncClient(base_url=sim.url, timeout=10.0, event_hooks=hooks) as http:
        yield http


@pytest.fixture
def issued_tokens() -> list[str]:
    """Every access token the simulator handed to a client built by make_client."""
    return []


def sim_clock(sim: RunningSimulator) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(sim.state.clock.now_ms() / 1000, UTC)


@pytest.fixture
async def make_client(
    sim: RunningSimulator,
    fake_sleep: Any,
    issued_tokens: list[str],
    validate_answers: AnswerValidation,
) -> AsyncIterator[Callable[..., AdobeClient]]:
    """AdobeClients on a simulator, as the operator builds them (one attempt per call); a test
    passing a `retry` policy with `fake_sleep` waits in simulator time, not real time."""
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
        validate_answers.watch(target)
        hooks = {
            "request": [validate_answers.check_request],
            "response": [capture, validate_answers],
        }
        http = httpx.AsyncClient(timeout=timeout, event_hooks=hooks)
        options: dict[str, Any] = {
            "ims_url": target.url,
            "api_url": target.url,
            "http_client": http,
            "clock": sim_clock(target),
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
