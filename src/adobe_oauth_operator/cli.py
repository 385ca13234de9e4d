"""`adobe-oauth-operator run`: start the operator against the cluster the kubeconfig names."""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import socket
from collections.abc import Mapping, Sequence

import kopf
from prometheus_client import disable_created_metrics

from adobe_oauth_operator import __version__
from adobe_oauth_operator.config import OperatorConfig
from adobe_oauth_operator.memory import limit_malloc_arenas
from adobe_oauth_operator.observability import logs
from adobe_oauth_operator.observability.metrics import OperatorMetrics, parse_address, serve

LOG_FORMATS = ("plain", "full", "json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adobe-oauth-operator", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the operator")
    run.add_argument(
        "--namespace",
        "-n",
        action="append",
        dest="namespaces",
        default=None,
        help="watch this namespace (repeatable); default: all namespaces, "
        "or WATCH_NAMESPACES (comma-separated)",
    )
    run.add_argument("--ims-url", help="Adobe IMS base URL (env ADOBE_IMS_URL)")
    run.add_argument("--api-url", help="Adobe I/O Management API base URL (env ADOBE_API_URL)")
    run.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=None,
        help="plain (default), full, or json: one JSON object per line with the resource's "
        "namespace, name, rotation id, step and reason (env LOG_FORMAT)",
    )
    run.add_argument(
        "--metrics",
        metavar="HOST:PORT",
        type=_address,
        dest="metrics_address",
        help="serve Prometheus metrics on http://HOST:PORT/metrics, e.g. 0.0.0.0:9090 "
        "(env METRICS_ADDR); off when unset",
    )
    run.add_argument("--verbose", action="store_true", help="log at debug level")
    run.add_argument(
        "--liveness",
        metavar="URL",
        dest="liveness_endpoint",
        help="serve kopf's liveness probe, e.g. http://0.0.0.0:8080/healthz",
    )
    run.add_argument("--peering", help="kopf peering name: run several replicas, one active")
    priority = run.add_mutually_exclusive_group()
    priority.add_argument(
        "--priority", type=int, default=None, help="this replica's peering priority (default 0)"
    )
    priority.add_argument(
        "--priority-from-identity",
        action="store_true",
        help="derive this replica's peering priority from its peer identity (env POD_ID, "
        "else the host name), so replicas of one Deployment get distinct priorities",
    )
    run.add_argument(
        "--peering-lifetime",
        type=_positive_int,
        default=None,
        metavar="SECONDS",
        help="how long a silent peer counts as alive (kopf's default: 60); a replica that "
        "was SIGKILLed is taken over after this long",
    )
    run.add_argument(
        "--resync-seconds",
        type=float,
        default=None,
        help="look at idle resources at least this often (default 7200: each look reads the "
        "application and pending Secrets, so shorter means more API requests per credential)",
    )
    run.add_argument(
        "--adobe-max-rps",
        type=_positive_float,
        default=None,
        metavar="N",
        help="at most N requests per second to Adobe, all credentials together (default 20; "
        "env ADOBE_MAX_RPS); the rest wait their turn in arrival order",
    )
    run.add_argument(
        "--adobe-max-concurrency",
        type=_positive_int,
        default=None,
        metavar="N",
        help="at most N Adobe requests in flight at once (default 16; env ADOBE_MAX_CONCURRENCY)",
    )
    run.add_argument(
        "--kube-max-concurrency",
        type=_positive_int,
        default=None,
        metavar="N",
        help="Kubernetes API calls in flight at once: threads and pooled connections "
        "(default 8; env KUBE_MAX_CONCURRENCY)",
    )
    return parser


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _address(text: str) -> str:
    try:
        parse_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def peer_identity(env: Mapping[str, str] = os.environ) -> str:
    """kopf's peer identity source in a pod: POD_ID (the chart sets the pod name), else the host."""
    return env.get("POD_ID") or socket.gethostname()


def identity_priority(identity: str) -> int:
    """A stable priority in [1, 2**31 - 1] from the identity: SHA-256, first 31 bits.

    kopf peering is not leader election: replicas of equal priority all pause. Distinct pod names
    give distinct priorities (a collision among a few replicas has odds of about 1 in 10**9),
    the highest one acts and the others stand by; a restarted container keeps its priority.
    """
    digest = hashlib.sha256(identity.encode()).digest()
    return max(1, int.from_bytes(digest[:4], "big") >> 1)


def _config(args: argparse.Namespace, priority: int | None) -> OperatorConfig:
    from datetime import timedelta

    return OperatorConfig.from_env(
        ims_url=args.ims_url,
        api_url=args.api_url,
        namespaces=tuple(args.namespaces) if args.namespaces else None,
        log_format=args.log_format,
        metrics_address=args.metrics_address,
        liveness_endpoint=args.liveness_endpoint,
        peering=args.peering,
        priority=priority,
        resync_interval=timedelta(seconds=args.resync_seconds) if args.resync_seconds else None,
        adobe_max_rps=args.adobe_max_rps,
        adobe_max_concurrency=args.adobe_max_concurrency,
        kube_max_concurrency=args.kube_max_concurrency,
    )


def main(argv: Sequence[str] | None = None) -> None:
    limit_malloc_arenas()
    args = build_parser().parse_args(argv)
    priority: int | None = args.priority
    if args.priority_from_identity:
        priority = identity_priority(peer_identity())
    try:
        config = _config(args, priority)
    except ValueError as exc:  # a refused Adobe URL, a malformed number: say so, exit 2
        build_parser().error(str(exc))
    if config.log_format not in LOG_FORMATS:
        build_parser().error(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    # Counters start at zero with the process; their _created series would only add noise.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    kopf.configure(
        verbose=args.verbose,
        log_format={
            "plain": kopf.LogFormat.PLAIN,
            "full": kopf.LogFormat.FULL,
            "json": kopf.LogFormat.JSON,
        }.get(config.log_format, kopf.LogFormat.PLAIN),
    )
    logs.install(json_format=config.log_format == "json")
    # Request lines carry no value but are noise at debug level.
    for name in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if not args.verbose:
        # kopf reports every watch event's handler at INFO; the operator logs its own steps.
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    # Registers the handlers on import.
    from adobe_oauth_operator.handlers import kopf_app  # noqa: F401

    # The startup handler configures these settings further; peering lifetime is ours to set.
    settings = kopf.OperatorSettings()
    if args.peering_lifetime is not None:
        settings.peering.lifetime = args.peering_lifetime
    if config.peering is not None:
        logging.getLogger(__name__).info(
            "peering %r with priority %d", config.peering, config.priority
        )
    metrics = OperatorMetrics()
    if config.metrics_address is not None:
        host, port = serve(metrics, config.metrics_address)
        logging.getLogger(__name__).info("serving metrics on http://%s:%d/metrics", host, port)
    kopf.run(
        settings=settings,
        clusterwide=not config.namespaces,
        namespaces=list(config.namespaces),
        standalone=config.peering is None,
        peering_name=config.peering,
        priority=config.priority,
        liveness_endpoint=config.liveness_endpoint,
        memo=kopf.Memo(config=config, metrics=metrics),
    )
