"""Metrics: per-credential series made from the index at scrape time, counters fed by status
writes, and the /metrics endpoint."""

from __future__ import annotations

import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from adobe_oauth_operator.observability.metrics import OperatorMetrics, parse_address, serve
from adobe_oauth_operator.rotation.conditions import Condition, ConditionType
from adobe_oauth_operator.rotation.model import (
    AccessTokenStatus,
    HistoryEntry,
    Phase,
    Rotation,
    Status,
    Step,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NS, NAME = "team-a", "app"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def samples(metrics: OperatorMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(metrics: OperatorMetrics, metric: str, /, **labels: str) -> float | None:
    return samples(metrics).get((metric, frozenset(labels.items())))


def names(metrics: OperatorMetrics) -> set[str]:
    return {name for name, _ in samples(metrics)}


def rotating(step: Step, **changes: object) -> Status:
    rotation = Rotation(
        id="r1", step=step, trigger=Trigger.ON_DEMAND, started_at=T0, old_secret_uuid="old"
    )
    return Status(
        phase=Phase.ROTATING,
        current_secret_uuid="old",
        rotation=replace(rotation, **changes),  # type: ignore[arg-type]
    )


def test_phase_and_ready_series_for_a_tracked_credential() -> None:
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    ready = Condition(ConditionType.READY, True, Reason.ROTATED, "ok", T0)
    metrics.index.set_status(NS, NAME, Status(phase=Phase.READY, conditions=(ready,)))
    labels = {"namespace": NS, "name": NAME}
    for phase in Phase:
        expected = 1.0 if phase is Phase.READY else 0.0
        assert value(metrics, "adobe_oauth_credential_phase", **labels, phase=phase.value) == (
            expected
        )
    assert value(metrics, "adobe_oauth_credential_ready", **labels, status="True") == 1
    assert value(metrics, "adobe_oauth_credential_ready", **labels, status="False") == 0
    assert value(metrics, "adobe_oauth_credential_ready", **labels, status="Unknown") == 0
    assert (
        value(metrics, "adobe_oauth_credential_condition", **labels, type="Ready", reason="Rotated")
        == 1
    )


def test_a_credential_without_conditions_is_ready_unknown_and_has_no_timestamps() -> None:
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    labels = {"namespace": NS, "name": NAME}
    assert value(metrics, "adobe_oauth_credential_ready", **labels, status="Unknown") == 1
    assert value(metrics, "adobe_oauth_credential_phase", **labels, phase="Pending") == 1
    for what in ("secret_created", "last_rotation", "next_rotation", "old_secret_last_used"):
        assert f"adobe_oauth_credential_{what}_timestamp_seconds" not in names(metrics)


def test_timestamps_come_from_status() -> None:
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    created = T0 - timedelta(days=40)
    status = Status(
        phase=Phase.READY,
        current_secret_uuid="cur",
        current_secret_created_at=created,
        last_rotation_time=T0,
        next_rotation_time=T0 + timedelta(days=30),
    )
    metrics.index.set_status(NS, NAME, status)
    labels = {"namespace": NS, "name": NAME}
    assert value(metrics, "adobe_oauth_credential_secret_created_timestamp_seconds", **labels) == (
        created.timestamp()
    )
    assert value(metrics, "adobe_oauth_credential_last_rotation_timestamp_seconds", **labels) == (
        T0.timestamp()
    )
    assert value(metrics, "adobe_oauth_credential_next_rotation_timestamp_seconds", **labels) == (
        (T0 + timedelta(days=30)).timestamp()
    )


@pytest.mark.parametrize(
    ("in_status", "listed", "shown"),
    [
        (None, {}, None),
        (None, {"other": T0}, None),
        (None, {"cur": T0 - timedelta(minutes=5), "other": T0}, T0 - timedelta(minutes=5)),
        (T0 - timedelta(days=1), {}, T0 - timedelta(days=1)),
        (T0 - timedelta(days=1), {"cur": T0 - timedelta(minutes=5)}, T0 - timedelta(days=1)),
    ],
    ids=["unknown", "only-another-listed", "listed-legacy", "in-status", "status-wins"],
)
def test_the_secrets_creation_time_from_status_else_from_a_list(
    in_status: datetime | None, listed: dict[str, datetime], shown: datetime | None
) -> None:
    """A status written by an older operator lacks the time: the one list after a restart."""
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    status = Status(current_secret_uuid="cur", current_secret_created_at=in_status)
    metrics.index.set_status(NS, NAME, status)
    metrics.index.add_secret_times(NS, NAME, listed)
    got = value(
        metrics,
        "adobe_oauth_credential_secret_created_timestamp_seconds",
        namespace=NS,
        name=NAME,
    )
    assert got == (shown.timestamp() if shown else None)


@pytest.mark.parametrize(("step", "shown"), [(Step.ROLLOUT, False), (Step.DRAIN, True)])
def test_the_old_secrets_last_use_is_shown_while_draining(step: Step, shown: bool) -> None:
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    metrics.index.set_status(NS, NAME, rotating(step, old_last_used_at=T0))
    got = value(
        metrics,
        "adobe_oauth_credential_old_secret_last_used_timestamp_seconds",
        namespace=NS,
        name=NAME,
    )
    assert got == (T0.timestamp() if shown else None)


def test_the_vended_tokens_expiry_is_shown_when_a_token_was_vended() -> None:
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    name = "adobe_oauth_access_token_expiry_timestamp_seconds"
    metrics.index.set_status(NS, NAME, Status(phase=Phase.READY))
    assert value(metrics, name, namespace=NS, name=NAME) is None
    token = AccessTokenStatus("adobe-token", "ADOBE_ACCESS_TOKEN", expires_at=T0)
    metrics.index.set_status(NS, NAME, Status(phase=Phase.READY, access_token=token))
    assert value(metrics, name, namespace=NS, name=NAME) == T0.timestamp()


def test_untracked_and_forgotten_credentials_leave_no_series() -> None:
    metrics = OperatorMetrics()
    metrics.index.set_status(NS, NAME, Status(phase=Phase.READY))  # not tracked: ignored
    assert "adobe_oauth_credential_phase" not in names(metrics)
    metrics.index.track(NS, NAME)
    metrics.status_written(NS, NAME, Status(), _finished(Status(), succeeded=True))
    assert "adobe_oauth_credential_phase" in names(metrics)
    assert "adobe_oauth_rotations_total" in names(metrics)
    metrics.forget(NS, NAME)
    assert not any(NAME in dict(labels).values() for _, labels in samples(metrics))


def _finished(old: Status, succeeded: bool, trigger: Trigger = Trigger.SCHEDULED) -> Status:
    entry = HistoryEntry(
        id=f"r{len(old.history) + 1}",
        trigger=trigger,
        started_at=T0,
        finished_at=T0 + timedelta(minutes=20),
        succeeded=succeeded,
        old_secret_uuid="old",
        new_secret_uuid="new",
        message="",
    )
    return replace(old, history=(entry, *old.history))


def test_rotations_are_counted_once_with_their_trigger_and_result() -> None:
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    first = _finished(Status(), succeeded=True)
    metrics.status_written(NS, NAME, Status(), first)
    metrics.status_written(NS, NAME, first, first)  # the same history again: not counted twice
    second = _finished(first, succeeded=False, trigger=Trigger.EMERGENCY)
    metrics.status_written(NS, NAME, first, second)
    labels = {"namespace": NS, "name": NAME}
    rotations = "adobe_oauth_rotations_total"
    assert value(metrics, rotations, **labels, trigger="Scheduled", result="Succeeded") == 1
    assert value(metrics, rotations, **labels, trigger="Emergency", result="Failed") == 1
    # Only a finished rotation has a duration: start to the old secret's deletion.
    duration = "adobe_oauth_rotation_duration_seconds"
    assert value(metrics, f"{duration}_sum", trigger="Scheduled") == 1200
    assert value(metrics, f"{duration}_count", trigger="Emergency") is None


def test_a_step_is_timed_from_when_this_process_entered_it() -> None:
    clock = Clock()
    metrics = OperatorMetrics(clock=clock)
    metrics.index.track(NS, NAME)
    prepare, add = rotating(Step.PREPARE), rotating(Step.ADD)
    metrics.status_written(NS, NAME, Status(), prepare)
    clock.now += 3
    metrics.status_written(NS, NAME, prepare, add)
    clock.now += 7
    done = replace(add, rotation=None, phase=Phase.READY)
    metrics.status_written(NS, NAME, add, done)
    steps = "adobe_oauth_rotation_step_duration_seconds"
    assert value(metrics, f"{steps}_sum", step="Prepare") == 3
    assert value(metrics, f"{steps}_sum", step="Add") == 7
    # A step found already running (e.g. after a restart) has no known start: not timed.
    metrics.index.set_status(NS, NAME, rotating(Step.VERIFY))
    metrics.status_written(NS, NAME, rotating(Step.VERIFY), rotating(Step.UPDATE_SECRET))
    assert value(metrics, f"{steps}_count", step="Verify") is None


def test_requests_errors_restarts_and_build_info() -> None:
    metrics = OperatorMetrics()
    metrics.observe_request("token", "200", 0.2)
    metrics.observe_request("add", "error", 1.5)
    metrics.reconcile_error(Reason.UNEXPECTED_ERROR)
    metrics.reconcile_error("Throttled")
    metrics.workloads_restarted(NS, ["Deployment", "Deployment", "StatefulSet"])
    assert value(metrics, "adobe_oauth_adobe_requests_total", operation="add", code="error") == 1
    assert value(metrics, "adobe_oauth_adobe_request_duration_seconds_sum", operation="add") == 1.5
    assert value(metrics, "adobe_oauth_reconcile_errors_total", reason="Unexpected") == 1
    assert value(metrics, "adobe_oauth_reconcile_errors_total", reason="Throttled") == 1
    assert (
        value(metrics, "adobe_oauth_workload_restarts_total", namespace=NS, kind="Deployment") == 2
    )
    [(_, labels)] = [k for k in samples(metrics) if k[0] == "adobe_oauth_build_info"]
    assert {"version", "python_version", "kopf_version"} == dict(labels).keys()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0.0:9090", ("0.0.0.0", 9090)),  # noqa: S104
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        (":9090", ("0.0.0.0", 9090)),  # noqa: S104
        ("[::1]:9090", ("::1", 9090)),
    ],
)
def test_parse_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["9090", "host:", "host:http", "host:70000"])
def test_parse_address_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_address(text)


def test_serve_answers_scrapes_in_the_text_format() -> None:
    metrics = OperatorMetrics()
    metrics.index.track(NS, NAME)
    host, port = serve(metrics, "127.0.0.1:0")
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
        content_type = answer.headers["Content-Type"]
    assert content_type.startswith("text/plain")
    assert (
        f'adobe_oauth_credential_phase{{name="{NAME}",namespace="{NS}",phase="Pending"}} 1.0'
        in (text)
    )
