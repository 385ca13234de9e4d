"""Log fields of the resource in hand, and one JSON object per line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from adobe_oauth_operator.observability import logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A JSON handler on a private logger, as `install(json_format=True)` sets up the root's."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.ResourceFieldsFilter())
    handler.setFormatter(logs.JsonLogFormatter())
    logger = logging.getLogger("aoo-test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield out
    logger.removeHandler(handler)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_lines_inside_a_resource_carry_its_fields(stream: io.StringIO) -> None:
    log = logging.getLogger("aoo-test")
    log.info("before")
    with logs.resource_fields("team-a", "app"):
        logs.bind(rotation_id="r1", step="Add")
        log.info("adding")
        log.warning("refused", extra={"reason": "Throttled"})
        logs.bind(rotation_id=None, step=None)
        log.info("done")
    log.info("after")
    before, adding, refused, done, after = lines(stream)
    assert before.keys() == {"severity", "logger", "message", "timestamp"}
    assert before["logger"] == "aoo-test" and before["severity"] == "INFO"
    assert adding | {"timestamp": ""} == {
        "severity": "INFO",
        "logger": "aoo-test",
        "message": "adding",
        "timestamp": "",
        "namespace": "team-a",
        "name": "app",
        "rotation_id": "r1",
        "step": "Add",
    }
    assert refused["reason"] == "Throttled" and refused["severity"] == "WARNING"
    assert (done["namespace"], done["name"]) == ("team-a", "app")
    assert "rotation_id" not in done and "step" not in done
    assert "namespace" not in after and "name" not in after


def test_a_traceback_stays_inside_its_one_line(stream: io.StringIO) -> None:
    log = logging.getLogger("aoo-test")
    with logs.resource_fields("team-a", "app"):
        try:
            raise RuntimeError("a bug")
        except RuntimeError:
            log.exception("pass failed", extra={"reason": "Unexpected"})
    [record] = lines(stream)
    assert "Traceback" in record["exc_info"] and "RuntimeError: a bug" in record["exc_info"]
    assert (record["name"], record["reason"]) == ("app", "Unexpected")


def test_kopfs_per_object_lines_get_the_objects_namespace_and_name(stream: io.StringIO) -> None:
    ref = {"namespace": "team-b", "name": "web", "kind": "AdobeOAuthCredential"}
    logging.getLogger("aoo-test").info("handler succeeded", extra={"k8s_ref": ref})
    [record] = lines(stream)
    assert (record["namespace"], record["name"]) == ("team-b", "web")
    assert "k8s_ref" not in record


async def test_each_task_keeps_its_own_resource() -> None:
    seen: list[tuple[str, str]] = []

    async def work(name: str) -> None:
        with logs.resource_fields("ns", name):
            await asyncio.sleep(0)
            fields = logs.bound_fields()
            seen.append((name, fields["name"]))

    await asyncio.gather(work("a"), work("b"))
    assert sorted(seen) == [("a", "a"), ("b", "b")]
    assert logs.bound_fields() == {}
