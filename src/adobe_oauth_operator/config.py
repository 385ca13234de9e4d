"""Operator-level settings: Adobe endpoints, namespaces, timing. Never taken from a resource."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

DEFAULT_IMS_URL = "https://ims-na1.adobelogin.com"
DEFAULT_API_URL = "https://api.adobe.io"


@dataclass(frozen=True)
class OperatorConfig:
    """Everything the operator is configured with at start-up."""

    ims_url: str = DEFAULT_IMS_URL
    api_url: str = DEFAULT_API_URL
    namespaces: tuple[str, ...] = field(default=())  # empty: all namespaces
    # How long an idle resource sleeps before it is looked at again even without an event.
    resync_interval: timedelta = timedelta(minutes=5)
    log_format: str = "plain"
    # HOST:PORT to serve Prometheus metrics on (env METRICS_ADDR); None: not served.
    metrics_address: str | None = None
    liveness_endpoint: str | None = None
    peering: str | None = None  # None: standalone (a single replica)
    priority: int = 0
    # Recorded with every action this process runs (env POD_ID in a pod, else the host name): a
    # restarted container resumes its own recorded action at once, another process waits for it.
    identity: str = ""
    # Where the HMAC key lives (namespace of the operator; env POD_NAMESPACE in a pod, else the
    # first watched namespace). None: no key, drift is not detected (logged at start-up).
    hmac_namespace: str | None = None
    # Fault injection for the crash-safety tests: SIGKILL ourselves right after running the named
    # action (e.g. "AddSecret"), before its outcome is recorded. Never set in production.
    crash_after_action: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides: object) -> OperatorConfig:
        """Defaults, then ADOBE_IMS_URL / ADOBE_API_URL / WATCH_NAMESPACES, then explicit values."""
        values: dict[str, object] = {
            "ims_url": env.get("ADOBE_IMS_URL") or DEFAULT_IMS_URL,
            "api_url": env.get("ADOBE_API_URL") or DEFAULT_API_URL,
            "namespaces": tuple(n for n in env.get("WATCH_NAMESPACES", "").split(",") if n),
            "crash_after_action": env.get("AOO_CRASH_AFTER_ACTION") or None,
            "metrics_address": env.get("METRICS_ADDR") or None,
            "log_format": env.get("LOG_FORMAT") or "plain",
            "identity": env.get("POD_ID") or socket.gethostname(),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        watched = values["namespaces"]
        fallback = watched[0] if isinstance(watched, tuple) and watched else None
        values.setdefault("hmac_namespace", env.get("POD_NAMESPACE") or fallback)
        return cls(**values)  # type: ignore[arg-type]
