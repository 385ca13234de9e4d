"""Fault requests and their queue."""

from typing import Any

import pytest

from adobe_oauth_operator.sim import Fault, FaultQueue
from adobe_oauth_operator.sim.faults import FaultError, parse_fault


def test_a_full_fault_request_is_parsed() -> None:
    body = {"endpoint": "add", "status": "drop", "count": 2, "delay_s": 0.5, "after_commit": True}
    assert parse_fault(body) == ("add", Fault("drop", None, 0.5, True), 2)


def test_defaults_are_one_call_no_delay_before_commit() -> None:
    assert parse_fault({"endpoint": "token", "status": 429, "retry_after": 3}) == (
        "token",
        Fault(429, 3.0, 0.0, False),
        1,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "refresh", "status": 500},
        {"endpoint": "list"},
        {"endpoint": "list", "status": 200},
        {"endpoint": "list", "status": "boom"},
        {"endpoint": "list", "status": 500, "count": 0},
        {"endpoint": "list", "status": 500, "count": True},
        {"endpoint": "list", "status": 500, "delay_s": -1},
        {"endpoint": "list", "status": 500, "delay_s": 601},
        {"endpoint": "list", "status": 429, "retry_after": "soon"},
        {"endpoint": "add", "status": "drop", "after_commit": "yes"},
    ],
)
def test_nonsense_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(FaultError):
        parse_fault(body)


def test_faults_are_consumed_in_order_per_endpoint() -> None:
    queue = FaultQueue()
    queue.add("list", Fault(500), count=2)
    queue.add("list", Fault(429))
    queue.add("add", Fault("drop"))
    assert queue.pending() == {"token": 0, "list": 3, "add": 1, "delete": 0}
    assert [queue.take("list") for _ in range(4)] == [Fault(500), Fault(500), Fault(429), None]
    queue.clear()
    assert queue.take("add") is None


def test_a_fault_for_one_credential_passes_the_others_calls_by() -> None:
    queue = FaultQueue()
    queue.add("add", Fault(503, credential_id="7000001"), count=2)
    queue.add("add", Fault(500))
    assert queue.take("add", "7000002") == Fault(500)
    assert queue.take("add", "7000002") is None
    assert queue.take("add", None) is None  # a call whose credential is unknown
    assert queue.take("add", "7000001") == Fault(503, credential_id="7000001")
    queue.add("list", Fault(503, credential_id="7000002"))
    queue.clear("7000001")
    assert queue.pending() == {"token": 0, "list": 1, "add": 0, "delete": 0}


def test_a_credential_fault_request_is_parsed() -> None:
    body = {"endpoint": "token", "status": 503, "count": 5, "credential_id": "7000001"}
    assert parse_fault(body) == ("token", Fault(503, credential_id="7000001"), 5)
    with pytest.raises(FaultError):
        parse_fault({"endpoint": "token", "status": 503, "credential_id": "abc"})
