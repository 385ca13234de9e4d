"""An Adobe outage costs one credential a handful of calls, made when its status says.

The operator's own reconcile pass (kube layer on the local API server, executor, AdobeClient,
state machine) runs in this process on the simulator's clock; where the daemon would sleep, the
test moves that clock forward by the same amount (kopf_app.sleep_after) instead of waiting, so
half an hour of outage takes seconds. Every Adobe endpoint answers 500 for the outage; the
simulator's request log (GET /__sim/requests) gives each call's simulator time.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.config import OperatorConfig
from adobe_oauth_operator.handlers.kopf_app import sleep_after
from adobe_oauth_operator.handlers.ownership import ClaimEntry, IndexKey, index_entries
from adobe_oauth_operator.handlers.reconcile import Deps, reconcile
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.names import (
    EMERGENCY_ANNOTATION,
    GROUP,
    PLURAL,
    ROTATE_ANNOTATION,
    VERSION,
)
from adobe_oauth_operator.sim import RunningSimulator, SimControl, simulator_in_thread
from adobe_oauth_operator.sim.state import ENDPOINTS
from support.cluster import LocalCluster

ORG, CRED, NAME = "1234567", "7654321", "creds"
OUTAGE = timedelta(minutes=30)
MINUTE_MS = 60_000
# The real time a pass takes is on top of the simulated sleep: the slack allowed for it.
PASS_SLACK_MS = 2_000
RESYNC = OperatorConfig().resync_interval


@dataclass
class Driven:
    """One credential driven pass by pass on the simulator's clock."""

    cluster: LocalCluster
    namespace: str
    control: SimControl
    deps: Deps
    now_ms: Callable[[], int]
    shown_retries_ms: list[int]

    def status(self) -> dict[str, Any]:
        obj = self.cluster.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, NAME
        )
        return dict(obj.get("status") or {})

    async def run_until(
        self, done: Callable[[dict[str, Any]], bool], *, horizon: timedelta, what: str
    ) -> dict[str, Any]:
        """Passes until `done`; fails if the horizon (simulator time) passes first."""
        status = await self._passes(horizon, done)
        if status is None:
            raise AssertionError(f"{what}: not reached within {horizon} of simulator time")
        return status

    async def run_for(self, horizon: timedelta) -> None:
        """Passes until the horizon (simulator time) has passed."""
        await self._passes(horizon, lambda _: False)

    async def _passes(
        self, horizon: timedelta, done: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any] | None:
        """Each pass is followed by the daemon's sleep, in simulator time."""
        deadline = self.now_ms() + horizon.total_seconds() * 1000
        for _ in range(10_000):  # a bound on passes, far above what any horizon here needs
            delay = await reconcile(self.deps, self.namespace, NAME)
            status = self.status()
            shown = (status.get("retry") or {}).get("nextRetryAt")
            if shown and (not self.shown_retries_ms or ms_of(shown) != self.shown_retries_ms[-1]):
                self.shown_retries_ms.append(ms_of(shown))
            if done(status):
                return status
            if self.now_ms() >= deadline:
                return None
            self.control.advance_clock(sleep_after(delay, RESYNC).total_seconds())
        raise AssertionError("more passes than any horizon here needs: a pass loop")


class ListedIndex(Mapping[IndexKey, list[ClaimEntry]]):
    """What kopf's index of all resources holds (no kopf runs here), from a fresh list on each
    read: the claim check before adoption sees the claim as soon as status holds it."""

    def __init__(self, cluster: LocalCluster, namespace: str) -> None:
        self._cluster, self._namespace = cluster, namespace

    def _entries(self) -> dict[IndexKey, list[ClaimEntry]]:
        listed = self._cluster.custom.list_namespaced_custom_object(
            GROUP, VERSION, self._namespace, PLURAL
        )
        index: dict[IndexKey, list[ClaimEntry]] = {}
        for obj in listed["items"]:
            meta = obj["metadata"]
            keys = index_entries(
                meta["namespace"], meta["name"], meta["uid"], obj["spec"], obj.get("status") or {}
            )
            for key, entry in keys.items():
                index.setdefault(key, []).append(entry)
        return index

    def __getitem__(self, key: IndexKey) -> list[ClaimEntry]:
        return self._entries()[key]

    def __iter__(self) -> Iterator[IndexKey]:
        return iter(self._entries())

    def __len__(self) -> int:
        return len(self._entries())


def ms_of(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture
def sim() -> Iterator[tuple[RunningSimulator, str, str]]:
    client_id, initial = secrets.token_hex(16), f"p8e-{secrets.token_urlsafe(24)}"
    seed = {
        "credentials": [
            {
                "org_id": ORG,
                "credential_id": CRED,
                "client_id": client_id,
                "secrets": [initial],
                "age_s": 7200,
            }
        ]
    }
    with simulator_in_thread(seed=seed) as running:
        yield running, client_id, initial


@pytest.fixture
async def driven(
    cluster: LocalCluster,
    namespace: str,
    crd_installed: None,
    sim: tuple[RunningSimulator, str, str],
) -> AsyncIterator[Driven]:
    running, client_id, initial = sim
    control = SimControl(running.url)
    # The machine, the token cache and the simulator share one clock. Reading the simulator's
    # clock across threads only reads an int; everything else goes through its control API.
    now_ms = running.state.clock.now_ms

    def clock() -> datetime:
        return datetime.fromtimestamp(now_ms() / 1000, UTC)

    cluster.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": "adobe-creds"},
            "stringData": {"ADOBE_CLIENT_ID": client_id, "ADOBE_CLIENT_SECRET": initial},
        },
    )
    cluster.custom.create_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AdobeOAuthCredential",
            "metadata": {"name": NAME},
            "spec": {
                "orgId": ORG,
                "credentialId": CRED,
                "secretName": "adobe-creds",
                # checkInterval 1s: the drain that made 20 list calls in a minute.
                "rotation": {"drainPeriod": "1h", "checkInterval": "1s", "maxWait": "3h"},
                "rollout": {"timeout": "60s"},
            },
        },
    )
    adobe = AdobeClient(ims_url=running.url, api_url=running.url, clock=clock)
    deps = Deps(
        adobe=adobe,
        kube=KubeClients.from_api_client(cluster.api),
        clock=clock,
        holder="retry-timing",
        jitter=lambda: 0.0,  # the shortest delays: the most calls an outage can cost
    )
    deps.claims.bind(ListedIndex(cluster, namespace))
    try:
        yield Driven(cluster, namespace, control, deps, now_ms, [])
    finally:
        await adobe.aclose()
        app_secret = cluster.core.read_namespaced_secret("adobe-creds", namespace)
        value = base64.b64decode(app_secret.data["ADOBE_CLIENT_SECRET"]).decode()
        published = repr(cluster.core.list_namespaced_event(namespace).items) + repr(
            cluster.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)
        )
        assert initial not in published and value not in published


def start_outage(driven: Driven, *endpoints: str) -> int:
    """Every call to `endpoints` (all of Adobe's by default) answers 500 from now on."""
    for endpoint in endpoints or ENDPOINTS:
        driven.control.fault(endpoint, 500, count=100_000)
    driven.shown_retries_ms.clear()
    return driven.control.advance_clock(0)


def adopted(status: dict[str, Any]) -> bool:
    return status.get("phase") == "Ready" and bool(status.get("currentSecretUuid"))


def condition(status: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in status.get("conditions") or [] if c["type"] == type_), {})


# Where the first failing call of a rotation step goes; the full outage starts right after it.
FIRST_FAILING = {"prepare": "list", "add": "add", "verify": "token", "delete-old": "delete"}
# The step's call that keeps failing (after a failed add, the step lists first).
FAILING_ACTION = {
    "adopt": "Adopt",
    "prepare": "ListSecrets",
    "add": "InspectPending",
    "verify": "VerifyNewSecret",
    "drain": "ListSecrets",
    "delete-old": "DeleteSecret",
}


async def reach(driven: Driven, stage: str) -> int:
    """Bring the credential to `stage` and start the outage there; its start in ms."""
    if stage == "adopt":
        return start_outage(driven)
    await driven.run_until(adopted, horizon=timedelta(minutes=1), what="adoption")
    if stage == "drain":
        request_rotation(driven)
        await driven.run_until(
            lambda s: (s.get("rotation") or {}).get("step") == "Drain",
            horizon=timedelta(minutes=2),
            what="the drain",
        )
        return start_outage(driven)
    # The step's own first call fails first (the ones before it pass), then everything does.
    started = start_outage(driven, FIRST_FAILING[stage])
    request_rotation(driven, emergency=stage == "delete-old")  # no drain before DeleteOld
    await driven.run_until(
        lambda s: bool(s.get("retry")), horizon=timedelta(minutes=2), what="the first failure"
    )
    start_outage(driven)
    return started


def request_rotation(driven: Driven, emergency: bool = False) -> None:
    annotations = {ROTATE_ANNOTATION: secrets.token_hex(4)}
    if emergency:
        annotations[EMERGENCY_ANNOTATION] = "true"
    driven.cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, driven.namespace, PLURAL, NAME, {"metadata": {"annotations": annotations}}
    )


@pytest.mark.parametrize("stage", ["adopt", "prepare", "add", "verify", "drain", "delete-old"])
async def test_an_outage_costs_few_calls_each_when_status_said(driven: Driven, stage: str) -> None:
    started_ms = await reach(driven, stage)
    await driven.run_for(OUTAGE)
    logged = driven.control.request_log(since_ms=started_ms)
    # The calls of the step before its first failure passed; from that failure on, all fail.
    failing = list(itertools.dropwhile(lambda c: c["status"] != "500", logged))
    assert failing and {c["status"] for c in failing} == {"500"}, logged
    times = [c["at_ms"] for c in failing]
    first = times[0]
    first_minute = [t for t in times if t < first + MINUTE_MS]
    gaps_s = [(b - a) / 1000 for a, b in itertools.pairwise(times)]
    print(  # the figures for the record (pytest -s shows them)
        f"\n{stage}: {len(first_minute)} calls in the first minute, {len(times)} in "
        f"{OUTAGE}; gaps (s): {[round(g, 1) for g in gaps_s]}"
    )
    assert 3 <= len(first_minute) <= 6
    # Every call after the first happened when status said, not earlier, and not much later.
    assert len(driven.shown_retries_ms) >= len(times) - 1
    for at_ms, shown_ms in zip(times[1:], driven.shown_retries_ms, strict=False):
        assert shown_ms <= at_ms <= shown_ms + PASS_SLACK_MS, (at_ms, shown_ms)
    # At the cap: one call per 4-5 minutes (4 with the shortest jitter this test draws).
    assert all(240 <= gap <= 240 + PASS_SLACK_MS / 1000 for gap in gaps_s[-2:]), gaps_s
    status = driven.status()
    retry = status["retry"]
    assert retry["attempts"] == len(times) and retry["message"]
    assert retry["action"] == FAILING_ACTION[stage]
    assert ms_of(retry["since"]) >= first
    assert condition(status, "Degraded")["status"] == "True"
    assert "next attempt at" in condition(status, "Degraded")["message"]

    driven.control.clear_faults()
    recovered = await driven.run_until(
        lambda s: not s.get("retry") and condition(s, "Degraded").get("status") == "False",
        horizon=timedelta(minutes=6),
        what="recovery",
    )
    assert recovered["phase"] in ("Ready", "Rotating")
