"""Answers are read up to 1 MiB: a larger one is an UnexpectedResponseError, never read whole."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from adobe_oauth_operator.adobe import UnexpectedResponseError
from adobe_oauth_operator.adobe.transport import MAX_BODY_BYTES, send

CHUNK = 64 * 1024


class Source:
    """A body of `total` bytes sent in chunks; counts how much of it was pulled."""

    def __init__(self, total: int) -> None:
        self.total, self.pulled = total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            size = min(CHUNK, self.total - self.pulled)
            self.pulled += size
            yield b" " * size


async def answer(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        request = http.build_request("GET", "https://api.test/x")
        return await send(http, request, operation="list", idempotent=True)


async def test_an_answer_up_to_the_cap_is_read_whole() -> None:
    body = json.dumps({"pad": "x" * (MAX_BODY_BYTES - 20)}).encode()
    assert len(body) <= MAX_BODY_BYTES
    response = await answer(lambda _: httpx.Response(200, content=body))
    assert response.json()["pad"] == "x" * (MAX_BODY_BYTES - 20)


async def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    source = Source(8 * MAX_BODY_BYTES)
    headers = {"content-length": str(source.total)}
    with pytest.raises(UnexpectedResponseError, match="larger than 1024 KiB") as caught:
        await answer(lambda _: httpx.Response(200, headers=headers, content=source))
    assert (caught.value.operation, caught.value.status) == ("list", 200)
    assert source.pulled <= CHUNK


async def test_a_streamed_answer_is_cut_off_once_it_passes_the_cap() -> None:
    source = Source(64 * MAX_BODY_BYTES)
    with pytest.raises(UnexpectedResponseError):
        await answer(lambda _: httpx.Response(500, content=source))
    assert MAX_BODY_BYTES < source.pulled <= MAX_BODY_BYTES + CHUNK


async def test_the_cap_applies_to_the_decoded_body() -> None:
    """A small gzip body that inflates past the cap is refused too."""
    bomb = gzip.compress(b"0" * (4 * MAX_BODY_BYTES))
    assert len(bomb) < MAX_BODY_BYTES // 100
    headers = {"content-encoding": "gzip"}
    with pytest.raises(UnexpectedResponseError):
        await answer(lambda _: httpx.Response(200, headers=headers, content=bomb))


async def test_a_compressed_answer_is_decoded_once_with_its_other_headers_kept() -> None:
    body = gzip.compress(b'{"access_token": "t"}')
    headers = {"content-encoding": "gzip", "retry-after": "7"}
    response = await answer(lambda _: httpx.Response(200, headers=headers, content=body))
    assert response.json() == {"access_token": "t"}
    assert response.headers["retry-after"] == "7"
    assert "content-encoding" not in response.headers
