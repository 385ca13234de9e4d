"""Prometheus metrics: counters the handlers feed, and per-credential series made at scrape time.

Per-credential series come from an in-memory index of the statuses this process holds (as
cert-manager does): a scrape never calls Kubernetes or Adobe, and a resource that is gone, or
that this replica stopped handling (kopf peering paused it), leaves no stale series.
"""

from __future__ import annotations

import contextlib
import platform
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from adobe_oauth_operator import __version__
from adobe_oauth_operator.rotation.conditions import ConditionType
from adobe_oauth_operator.rotation.model import Phase, Status, Step, Trigger
from adobe_oauth_operator.rotation.reasons import Reason
from adobe_oauth_operator.rotation.vended_tokens import expiry_timestamp_seconds

PREFIX = "adobe_oauth"
# Rotations take minutes (no drain) to a day (maxWait); steps from a second to hours.
ROTATION_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800)
STEP_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 14400, 43200, 86400)
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
RESULTS = ("Succeeded", "Failed")
# Steps during which Adobe's last-used time of the old secret is watched.
DRAIN_STEPS = (Step.DRAIN, Step.DELETE_OLD)


@dataclass
class CredentialView:
    """What this process knows of one credential: its status and its secrets' creation times."""

    status: Status = field(default_factory=Status)
    # Listed for a status that lacks currentSecretCreatedAt (adopted by an older operator).
    secret_created: dict[str, datetime] = field(default_factory=dict)
    # (rotation id, step, wall-clock start) of a step this process saw begin.
    step_started: tuple[str, Step, float] | None = None
    # The current secret whose creation time was asked for once already (listed or failed).
    age_asked: str | None = None


class CredentialIndex:
    """The credentials this replica handles now; written by handlers, read by scrapes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # scrapes run on the HTTP server's thread
        self._views: dict[tuple[str, str], CredentialView] = {}

    def track(self, namespace: str, name: str) -> None:
        with self._lock:
            self._views.setdefault((namespace, name), CredentialView())

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            self._views.pop((namespace, name), None)

    def view(self, namespace: str, name: str) -> CredentialView | None:
        with self._lock:
            return self._views.get((namespace, name))

    def set_status(self, namespace: str, name: str, status: Status) -> None:
        with self._lock:
            view = self._views.get((namespace, name))
            if view is not None:
                view.status = status

    def add_secret_times(self, namespace: str, name: str, created: dict[str, datetime]) -> None:
        with self._lock:
            view = self._views.get((namespace, name))
            if view is not None:
                view.secret_created.update(created)

    def snapshot(self) -> list[tuple[str, str, Status, datetime | None]]:
        """(namespace, name, status, creation time of the current secret) per credential."""
        with self._lock:
            return [
                (ns, name, v.status, _secret_created(v))
                for (ns, name), v in sorted(self._views.items())
            ]


def _secret_created(view: CredentialView) -> datetime | None:
    """From status; else from a list this process made (a status written by an older operator)."""
    status = view.status
    if status.current_secret_created_at is not None:
        return status.current_secret_created_at
    return view.secret_created.get(status.current_secret_uuid or "")


class CredentialCollector(Collector):
    """Per-credential gauges computed from the index at scrape time."""

    def __init__(self, index: CredentialIndex) -> None:
        self._index = index

    def collect(self) -> Iterator[Metric]:
        rows = self._index.snapshot()
        labels = ["namespace", "name"]
        phase = GaugeMetricFamily(
            f"{PREFIX}_credential_phase",
            "1 for the credential's current phase, 0 for the others",
            labels=[*labels, "phase"],
        )
        ready = GaugeMetricFamily(
            f"{PREFIX}_credential_ready",
            "1 for the status of the credential's Ready condition (True, False, Unknown)",
            labels=[*labels, "status"],
        )
        condition = GaugeMetricFamily(
            f"{PREFIX}_credential_condition",
            "1 while the credential's condition is True, 0 while False; its reason as a label "
            "(alerts take the reason from here)",
            labels=[*labels, "type", "reason"],
        )
        created = _timestamp_family(
            "secret_created", "When Adobe created the client secret the Secret holds now"
        )
        last = _timestamp_family("last_rotation", "When the last rotation finished")
        upcoming = _timestamp_family("next_rotation", "When the next scheduled rotation is due")
        old_used = _timestamp_family(
            "old_secret_last_used", "When Adobe last saw the old client secret used, while draining"
        )
        token_expiry = GaugeMetricFamily(
            f"{PREFIX}_access_token_expiry_timestamp_seconds",
            "When the access token vended into spec.accessToken.secretName expires (Unix seconds)",
            labels=labels,
        )
        for namespace, name, status, secret_created in rows:
            ids = [namespace, name]
            for candidate in Phase:
                phase.add_metric([*ids, candidate.value], float(status.phase is candidate))
            current = _ready_status(status)
            for value in ("True", "False", "Unknown"):
                ready.add_metric([*ids, value], float(value == current))
            for cond in status.conditions:
                condition.add_metric([*ids, cond.type.value, cond.reason.value], float(cond.status))
            _add_time(created, ids, secret_created)
            _add_time(last, ids, status.last_rotation_time)
            _add_time(upcoming, ids, status.next_rotation_time)
            rotation = status.rotation
            if rotation is not None and rotation.step in DRAIN_STEPS:
                _add_time(old_used, ids, rotation.old_last_used_at)
            expiry = expiry_timestamp_seconds(status)
            if expiry is not None:
                token_expiry.add_metric(ids, expiry)
        yield from (phase, ready, condition, created, last, upcoming, old_used, token_expiry)


def _timestamp_family(what: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_credential_{what}_timestamp_seconds",
        f"{documentation} (Unix seconds)",
        labels=["namespace", "name"],
    )


def _add_time(family: GaugeMetricFamily, labels: list[str], when: datetime | None) -> None:
    if when is not None:
        family.add_metric(labels, when.timestamp())


def _ready_status(status: Status) -> str:
    for condition in status.conditions:
        if condition.type is ConditionType.READY:
            return "True" if condition.status else "False"
    return "Unknown"


def _kopf_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kopf")
    except PackageNotFoundError:
        return "unknown"


class OperatorMetrics:
    """The operator's metrics in their own registry; one instance per process, kept in the memo."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.registry = CollectorRegistry()
        self.index = CredentialIndex()
        self.registry.register(CredentialCollector(self.index))
        registry = self.registry
        self.rotations = Counter(
            f"{PREFIX}_rotations",
            "Rotations finished, by trigger and result (Succeeded, Failed)",
            ["namespace", "name", "trigger", "result"],
            registry=registry,
        )
        self.rotation_duration = Histogram(
            f"{PREFIX}_rotation_duration_seconds",
            "Time from a rotation's start to the old client secret's deletion",
            ["trigger"],
            buckets=ROTATION_BUCKETS,
            registry=registry,
        )
        self.step_duration = Histogram(
            f"{PREFIX}_rotation_step_duration_seconds",
            "Time a rotation spent in one step",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=registry,
        )
        self.adobe_requests = Counter(
            f"{PREFIX}_adobe_requests",
            "Requests to Adobe IMS and the I/O Management API, by operation and HTTP status "
            "(error: no answer came)",
            ["operation", "code"],
            registry=registry,
        )
        self.adobe_request_duration = Histogram(
            f"{PREFIX}_adobe_request_duration_seconds",
            "Time one request to Adobe took",
            ["operation"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.workload_restarts = Counter(
            f"{PREFIX}_workload_restarts",
            "Workloads restarted after their Secret changed",
            ["namespace", "kind"],
            registry=registry,
        )
        self.reconcile_errors = Counter(
            f"{PREFIX}_reconcile_errors",
            "Failed actions and passes, by reason (Unexpected: a bug, see the operator log)",
            ["reason"],
            registry=registry,
        )
        build = Gauge(
            f"{PREFIX}_build_info",
            "The operator's version; always 1",
            ["version", "python_version", "kopf_version"],
            registry=registry,
        )
        build.labels(__version__, platform.python_version(), _kopf_version()).set(1)

    # -- feeding ----------------------------------------------------------------------------
    def observe_request(self, operation: str, code: str, seconds: float) -> None:
        """The Adobe client's request observer."""
        self.adobe_requests.labels(operation, code).inc()
        self.adobe_request_duration.labels(operation).observe(seconds)

    def reconcile_error(self, reason: Reason | str) -> None:
        self.reconcile_errors.labels(str(reason)).inc()

    def workloads_restarted(self, namespace: str, kinds: Iterable[str]) -> None:
        for kind in kinds:
            self.workload_restarts.labels(namespace, kind).inc()

    def status_written(self, namespace: str, name: str, old: Status, new: Status) -> None:
        """Count what a status write this process made finished: rotations and steps."""
        now = self.clock()
        view = self.index.view(namespace, name)
        self._count_rotations(namespace, name, old, new)
        if view is not None:
            self._time_steps(view, old, new, now)
        self.index.set_status(namespace, name, new)

    def forget(self, namespace: str, name: str) -> None:
        """The resource is gone: drop its series, counters included."""
        self.index.forget(namespace, name)
        for trigger in Trigger:
            for result in RESULTS:
                with contextlib.suppress(KeyError):
                    self.rotations.remove(namespace, name, trigger.value, result)

    def _count_rotations(self, namespace: str, name: str, old: Status, new: Status) -> None:
        known = {entry.id for entry in old.history}
        for entry in new.history:
            if entry.id in known:
                continue
            result = RESULTS[0] if entry.succeeded else RESULTS[1]
            self.rotations.labels(namespace, name, entry.trigger.value, result).inc()
            if entry.succeeded:
                seconds = (entry.finished_at - entry.started_at).total_seconds()
                self.rotation_duration.labels(entry.trigger.value).observe(max(0.0, seconds))

    def _time_steps(self, view: CredentialView, old: Status, new: Status, now: float) -> None:
        before = (old.rotation.id, old.rotation.step) if old.rotation else None
        after = (new.rotation.id, new.rotation.step) if new.rotation else None
        if before == after:
            return
        started = view.step_started
        if before is not None and started is not None and started[:2] == before:
            self.step_duration.labels(before[1].value).observe(max(0.0, now - started[2]))
        view.step_started = (*after, now) if after is not None else None


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets; port 0: any free one) as (host, port), or ValueError."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, e.g. 0.0.0.0:9090, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 (an empty host means all)


def serve(metrics: OperatorMetrics, address: str) -> tuple[str, int]:
    """Serve /metrics on a background thread; returns the bound (host, port)."""
    host, port = parse_address(address)
    server, _ = start_http_server(port, addr=host, registry=metrics.registry)
    bound_host, bound_port = server.server_address[:2]
    return str(bound_host), int(bound_port)
