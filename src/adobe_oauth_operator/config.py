"""Operator-level settings: Adobe endpoints, namespaces, timing. Never taken from a resource."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from adobe_oauth_operator.timings import RESYNC_INTERVAL

DEFAULT_IMS_URL = "https://ims-na1.adobelogin.com"
DEFAULT_API_URL = "https://api.adobe.io"
IMS_URL_NAME = "the IMS URL (--ims-url, ADOBE_IMS_URL)"
API_URL_NAME = "the API URL (--api-url, ADOBE_API_URL)"


def adobe_url_problem(url: str, name: str) -> str | None:
    """Why `url` may not receive client secrets and tokens, or None: https, or plain http to a
    loopback address only (the simulator); a host, no user info, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return f"{name} is not a URL, e.g. https://ims-na1.adobelogin.com"
    shown = f"{parts.scheme}://{host}" if host else repr(parts.scheme or "")
    if parts.scheme not in ("https", "http") or not host:
        return f"{name} must be an https URL with a host, e.g. {DEFAULT_IMS_URL}; got {shown}"
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return f"{name} must not carry user info, a query or a fragment: {shown}"
    if parts.scheme == "http" and not _loopback(host):
        return (
            f"{name} must be https: client secrets and tokens never travel unencrypted (http is"
            f" allowed only on loopback: 127.0.0.0/8, ::1, localhost); got {shown}"
        )
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Settings also taken from the environment: (field, variable, type).
_NUMBERS: tuple[tuple[str, str, type[float] | type[int]], ...] = (
    ("adobe_max_rps", "ADOBE_MAX_RPS", float),
    ("adobe_max_concurrency", "ADOBE_MAX_CONCURRENCY", int),
    ("kube_max_concurrency", "KUBE_MAX_CONCURRENCY", int),
)


@dataclass(frozen=True)
class OperatorConfig:
    """Everything the operator is configured with at start-up."""

    ims_url: str = DEFAULT_IMS_URL
    api_url: str = DEFAULT_API_URL
    namespaces: tuple[str, ...] = field(default=())  # empty: all namespaces
    # How long an idle resource sleeps before it is looked at again even without an event.
    resync_interval: timedelta = RESYNC_INTERVAL
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
    # The shared request budget, one for every Adobe request of this process (all credentials):
    # starts per second, and requests in flight (well below the HTTP pool, so none waits there).
    adobe_max_rps: float = 20.0
    adobe_max_concurrency: int = 16
    # Kubernetes calls run in a pool of this many threads over as many connections.
    kube_max_concurrency: int = 8
    # Fault injection for the crash-safety tests: SIGKILL ourselves right after running the named
    # action (e.g. "AddSecret"), before its outcome is recorded. Never set in production.
    crash_after_action: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides: object) -> OperatorConfig:
        """Defaults, then ADOBE_IMS_URL / ADOBE_API_URL / WATCH_NAMESPACES / ADOBE_MAX_RPS /
        ADOBE_MAX_CONCURRENCY / KUBE_MAX_CONCURRENCY, then explicit values."""
        values: dict[str, object] = {
            "ims_url": env.get("ADOBE_IMS_URL") or DEFAULT_IMS_URL,
            "api_url": env.get("ADOBE_API_URL") or DEFAULT_API_URL,
            "namespaces": tuple(n for n in env.get("WATCH_NAMESPACES", "").split(",") if n),
            "crash_after_action": env.get("AOO_CRASH_AFTER_ACTION") or None,
            "metrics_address": env.get("METRICS_ADDR") or None,
            "log_format": env.get("LOG_FORMAT") or "plain",
            "identity": env.get("POD_ID") or socket.gethostname(),
        }
        for key, name, kind in _NUMBERS:
            if env.get(name):
                values[key] = kind(env[name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        watched = values["namespaces"]
        fallback = watched[0] if isinstance(watched, tuple) and watched else None
        values.setdefault("hmac_namespace", env.get("POD_NAMESPACE") or fallback)
        return cls(**values)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        for url, name in ((self.ims_url, IMS_URL_NAME), (self.api_url, API_URL_NAME)):
            if (problem := adobe_url_problem(url, name)) is not None:
                raise ValueError(problem)
