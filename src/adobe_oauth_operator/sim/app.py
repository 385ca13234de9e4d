"""The HTTP layer: Adobe's endpoints and the /__sim/ control endpoints on one aiohttp app."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from adobe_oauth_operator.sim.faults import DROP, Fault, FaultError, FaultQueue, parse_fault
from adobe_oauth_operator.sim.model import SimCredential
from adobe_oauth_operator.sim.seed import SeedError, parse_credential
from adobe_oauth_operator.sim.state import ENDPOINTS, SimError, SimState
from adobe_oauth_operator.sim.wire import error_json

SECRETS_PATH = "/console/organizations/{org}/credentials/{cred}/secrets"
# Not Adobe's: stands in for the other Adobe APIs an application calls with a vended token.
APPLICATION_PATH = "/__sim/api"
# On every answer a test injected (not Adobe's behaviour): lets checkers tell them apart.
INJECTED_HEADER = "X-Sim-Injected"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Answer:
    """What an endpoint would answer, before faults have their say."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class SimApp:
    """Routes requests to a SimState, applying injected faults and counting answers."""

    def __init__(self, state: SimState, faults: FaultQueue) -> None:
        self.state = state
        self.faults = faults
        self._closing = asyncio.Event()
        self.web_app = web.Application()
        self._add_routes(self.web_app.router)

    def close(self) -> None:
        """Cut injected delays short so the server can stop at once."""
        self._closing.set()

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/ims/token/v3", self.token)
        router.add_get(SECRETS_PATH, self.list_secrets)
        router.add_post(SECRETS_PATH, self.add_secret)
        router.add_delete(SECRETS_PATH + "/{uuid}", self.delete_secret)
        router.add_get(APPLICATION_PATH, self.application_call)
        router.add_get("/__sim/state", self.get_state)
        router.add_get("/__sim/requests", self.get_requests)
        router.add_get("/__sim/faults", self.get_faults)
        router.add_post("/__sim/faults", self.post_fault)
        router.add_delete("/__sim/faults", self.delete_faults)
        router.add_post("/__sim/use", self.post_use)
        router.add_get("/__sim/clock", self.get_clock)
        router.add_post("/__sim/clock", self.post_clock)
        router.add_post("/__sim/reset", self.post_reset)
        router.add_post("/__sim/credentials", self.post_credential)

    # -- Adobe's endpoints -----------------------------------------------------------------
    async def token(self, request: web.Request) -> web.StreamResponse:
        params = await _token_params(request)
        return await self._serve(
            "token",
            request,
            lambda: Answer(200, self.state.grant_token(params)),
            self.state.credential_id_of(params.get("client_id", "")),
        )

    async def list_secrets(self, request: web.Request) -> web.StreamResponse:
        def call() -> Answer:
            return Answer(200, self.state.list_secrets(self._authorize(request)))

        return await self._serve("list", request, call)

    async def add_secret(self, request: web.Request) -> web.StreamResponse:
        def call() -> Answer:
            credential = self._authorize(request)
            return Answer(self.state.dialect.add_status, self.state.add_secret(credential))

        return await self._serve("add", request, call)

    async def delete_secret(self, request: web.Request) -> web.StreamResponse:
        def call() -> Answer:
            credential = self._authorize(request)
            self.state.delete_secret(credential, request.match_info["uuid"])
            return Answer(self.state.dialect.delete_status)

        return await self._serve("delete", request, call)

    def _authorize(self, request: web.Request) -> SimCredential:
        return self.state.authorize(
            request.headers.get("Authorization"),
            request.headers.get("x-api-key"),
            request.match_info["org"],
            request.match_info["cred"],
        )

    async def _serve(
        self,
        endpoint: str,
        request: web.Request,
        call: Callable[[], Answer],
        credential_id: str | None = None,
    ) -> web.StreamResponse:
        """Answer, unless a fault fails or delays the call before or after it takes effect."""
        if credential_id is None:
            credential_id = request.match_info.get("cred")
        fault = self.faults.take(endpoint, credential_id) or Fault(delay_s=0.0)
        answer = None
        if fault.after_commit:
            answer = _run(call)
        await self._delay(fault.delay_s)
        if fault.status is not None:
            return self._fail(endpoint, request, fault.status, fault.retry_after)
        return self._respond(endpoint, answer if answer is not None else _run(call))

    def _respond(self, endpoint: str, answer: Answer) -> web.Response:
        self.state.count(endpoint, str(answer.status))
        if answer.body is None:
            return web.Response(status=answer.status, headers=answer.headers)
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    def _fail(
        self,
        endpoint: str,
        request: web.Request,
        status: int | Literal["drop"],
        retry_after: float | None,
    ) -> web.Response:
        if isinstance(status, int):
            return self._respond(endpoint, _fault_answer(status, retry_after))
        self.state.count(endpoint, DROP)
        if request.transport is not None:
            request.transport.close()  # the client sees the connection close, no answer
        return web.Response(status=500)  # never sent: the transport is closed

    async def _delay(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    # -- control endpoints -----------------------------------------------------------------
    async def application_call(self, request: web.Request) -> web.Response:
        try:
            answer = self.state.application_call(
                request.headers.get("Authorization"), request.headers.get("x-api-key")
            )
        except SimError as exc:
            return _error_response(exc)
        return web.json_response(answer)

    async def get_state(self, _: web.Request) -> web.Response:
        return web.json_response(self.state.snapshot())

    async def get_requests(self, request: web.Request) -> web.Response:
        endpoint = request.query.get("endpoint")
        if endpoint is not None and endpoint not in ENDPOINTS:
            return _bad_request(f"endpoint must be one of {', '.join(ENDPOINTS)}")
        try:
            since, until = (_ms_param(request, name) for name in ("since_ms", "until_ms"))
        except ValueError as exc:
            return _bad_request(str(exc))
        logged = self.state.logged_requests(endpoint, since, until)
        return web.json_response({"count": len(logged), "requests": logged})

    async def get_faults(self, _: web.Request) -> web.Response:
        return web.json_response({"pending": self.faults.pending()})

    async def post_fault(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            endpoint, fault, count = parse_fault(body)
        except FaultError as exc:
            return _bad_request(str(exc))
        self.faults.add(endpoint, fault, count)
        return web.json_response({"pending": self.faults.pending()})

    async def delete_faults(self, request: web.Request) -> web.Response:
        self.faults.clear(request.query.get("credential_id"))
        return web.Response(status=204)

    async def post_use(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        client_id, client_secret = body.get("client_id"), body.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return _bad_request("client_id and client_secret (strings) are required")
        try:
            uuid = self.state.record_use(client_id, client_secret)
        except SimError as exc:
            return _error_response(exc)
        return web.json_response({"uuid": uuid})

    async def get_clock(self, _: web.Request) -> web.Response:
        return web.json_response({"now_ms": self.state.clock.now_ms()})

    async def post_clock(self, request: web.Request) -> web.Response:
        seconds = (await _json_body(request)).get("advance_s")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return _bad_request("advance_s must be a number of seconds, not negative")
        return web.json_response({"now_ms": self.state.advance_clock(seconds)})

    async def post_reset(self, _: web.Request) -> web.Response:
        self.faults.clear()
        self.state.reset()
        return web.Response(status=204)

    async def post_credential(self, request: web.Request) -> web.Response:
        try:
            credential = self.state.add_credential(parse_credential(0, await _json_body(request)))
        except SeedError as exc:
            return _bad_request(str(exc))
        except SimError as exc:
            return _error_response(exc)
        entry = next(
            c
            for c in self.state.snapshot()["credentials"]
            if c["client_id"] == credential.client_id
        )
        return web.json_response(entry, status=201)


def _run(call: Callable[[], Answer]) -> Answer:
    try:
        return call()
    except SimError as exc:
        headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
        return Answer(exc.status, error_json(exc.error, exc.description), headers)


def _fault_answer(status: int, retry_after: float | None) -> Answer:
    headers = {INJECTED_HEADER: "1"}
    if retry_after is not None:
        headers["Retry-After"] = str(math.ceil(retry_after))
    if status == 429:
        return Answer(status, error_json("too_many_requests", "injected throttling"), headers)
    if status >= 500:
        return Answer(status, error_json("server_error", "injected failure"), headers)
    return Answer(status, error_json("injected", "injected failure"), headers)


async def _token_params(request: web.Request) -> dict[str, str]:
    """Query parameters, overridden by the form body (both are accepted, as documented)."""
    params = dict(request.query)
    if request.content_type in _FORM_TYPES:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"error": "bad_request", "error_description": "the body is not JSON"}',
            content_type="application/json",
        ) from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"error": "bad_request", "error_description": "the body is not an object"}',
            content_type="application/json",
        )
    return body


def _ms_param(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"{name} must be milliseconds since the epoch")
    return int(value)


def _bad_request(description: str) -> web.Response:
    return web.json_response(error_json("bad_request", description), status=400)


def _error_response(exc: SimError) -> web.Response:
    return web.json_response(error_json(exc.error, exc.description), status=exc.status)
