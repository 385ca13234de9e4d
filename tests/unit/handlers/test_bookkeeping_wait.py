"""A new resource's first pass waits for kopf's finalizer and spec record, boundedly."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import kopf
import pytest

from adobe_oauth_operator.handlers import kopf_app
from adobe_oauth_operator.names import FINALIZER


class NotStopped:
    def __bool__(self) -> bool:
        return False


def body(**meta: Any) -> kopf.Body:
    return kopf.Body(cast(Any, {"metadata": {"name": "c", **meta}}))


async def wait(b: kopf.Body) -> None:
    await asyncio.wait_for(
        kopf_app._kopf_bookkeeping_done(b, cast(kopf.DaemonStopped, NotStopped())), timeout=5
    )


async def test_a_resource_kopf_has_finished_with_goes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kopf_app, "BOOKKEEPING_WAIT", timedelta(hours=1))
    done = body(finalizers=[FINALIZER], annotations={kopf_app.DIFFBASE_ANNOTATION: "{}"})
    await wait(done)
    await wait(body(deletionTimestamp="2026-11-29T00:00:00Z"))


async def test_a_resource_kopf_never_finishes_with_goes_after_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kopf_app, "BOOKKEEPING_WAIT", timedelta(milliseconds=300))
    await wait(body(finalizers=[FINALIZER]))
