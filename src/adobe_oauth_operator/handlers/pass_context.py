"""What a reconcile pass is given (dependencies, the watched body), and its small helpers."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.handlers.ownership import ClaimsView
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.observability import logs
from adobe_oauth_operator.observability.metrics import OperatorMetrics
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import Status
from adobe_oauth_operator.rotation.shared_request_budget import waiting_for_request_budget
from adobe_oauth_operator.sensitive import Sensitive
from adobe_oauth_operator.timings import WAIT_WORTH_SAYING


@dataclass(frozen=True)
class Deps:
    """What a pass needs; kept in kopf's memo."""

    adobe: AdobeClient
    kube: KubeClients
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    crash_after_action: str | None = None
    holder: str = ""  # this operator's identity, recorded with every action it runs
    hmac_key: Sensitive | None = None  # None: drift of the Secret is not detected
    jitter: Callable[[], float] = random.random
    metrics: OperatorMetrics = field(default_factory=OperatorMetrics)
    # Served metrics include each secret's age: list the secrets once when status lacks it.
    learn_secret_age: bool = False
    # Who holds which Secret and credential: kopf's index, bound by the first daemon.
    claims: ClaimsView = field(default_factory=ClaimsView)


@dataclass
class Watched:
    """The resource as the watch last delivered it (kopf's live body), and the newest version
    this process read or wrote.

    A pass starts from the watched body instead of reading the resource again, unless the body
    is not that version (the watch lags behind our write, or delivered someone else's change
    since): then it reads. A stale body could only cost a Conflict, never an action: every step
    is fenced by its status write on the version the decision was made on.
    """

    body: Mapping[str, Any]
    last_known: str | None = None

    def current(self) -> dict[str, Any] | None:
        version = (self.body.get("metadata") or {}).get("resourceVersion")
        if version is None or (self.last_known is not None and version != self.last_known):
            return None
        return {key: self.body[key] for key in self.body}


def waiting_for_budget(deps: Deps, namespace: str, status: Status) -> Status:
    """`status`, saying it waits when the next Adobe request would wait long in the limiter:
    queued behind other steps, or paused because Adobe asked (Retry-After)."""
    limiter = deps.adobe.limiter
    if limiter is None:
        return status
    paused = limiter.paused_for()
    if limiter.admits_now() and paused < WAIT_WORTH_SAYING.total_seconds():
        return status
    is_urgent = urgent(status)
    wait = limiter.expected_action_wait(namespace, is_urgent) + paused
    if wait < WAIT_WORTH_SAYING.total_seconds():
        return status
    ahead = limiter.actions_ahead(namespace, is_urgent)
    return waiting_for_request_budget(status, wait, ahead, deps.clock(), paused_s=paused)


def urgent(status: Status) -> bool:
    """An emergency rotation goes before every other tenant's steps."""
    return status.rotation is not None and status.rotation.emergency


def observe_restarts(deps: Deps, namespace: str, msg: m.Message) -> None:
    """Feed the metrics what an action did: restarted workloads."""
    if isinstance(msg, m.TargetsRestarted):
        deps.metrics.workloads_restarted(
            namespace,
            (target.kind for target, result in msg.results if result is m.RestartResult.RESTARTED),
        )


def bind_rotation(status: Status) -> None:
    """The log fields of the rotation in flight; cleared when none is."""
    rotation = status.rotation
    logs.bind(
        rotation_id=rotation.id if rotation else None,
        step=rotation.step.value if rotation else None,
    )
