"""`adobe-oauth-operator run`: start the operator against the cluster the kubeconfig names."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import kopf

from adobe_oauth_operator.config import OperatorConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adobe-oauth-operator", description=__doc__)
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
    run.add_argument("--log-format", choices=["plain", "full", "json"], default="plain")
    run.add_argument("--verbose", action="store_true", help="log at debug level")
    run.add_argument(
        "--liveness",
        metavar="URL",
        dest="liveness_endpoint",
        help="serve kopf's liveness probe, e.g. http://0.0.0.0:8080/healthz",
    )
    run.add_argument("--peering", help="kopf peering name: run several replicas, one active")
    run.add_argument("--priority", type=int, default=0, help="this replica's peering priority")
    run.add_argument(
        "--resync-seconds",
        type=float,
        default=None,
        help="look at idle resources at least this often (default 300)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    from datetime import timedelta

    config = OperatorConfig.from_env(
        ims_url=args.ims_url,
        api_url=args.api_url,
        namespaces=tuple(args.namespaces) if args.namespaces else None,
        log_format=args.log_format,
        liveness_endpoint=args.liveness_endpoint,
        peering=args.peering,
        priority=args.priority,
        resync_interval=timedelta(seconds=args.resync_seconds) if args.resync_seconds else None,
    )
    kopf.configure(
        verbose=args.verbose,
        log_format={
            "plain": kopf.LogFormat.PLAIN,
            "full": kopf.LogFormat.FULL,
            "json": kopf.LogFormat.JSON,
        }[args.log_format],
    )
    # Request lines carry no value but are noise at debug level.
    for name in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if not args.verbose:
        # kopf reports every watch event's handler at INFO; the operator logs its own steps.
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    # Registers the handlers on import.
    from adobe_oauth_operator.handlers import kopf_app  # noqa: F401

    kopf.run(
        clusterwide=not config.namespaces,
        namespaces=list(config.namespaces),
        standalone=config.peering is None,
        peering_name=config.peering,
        priority=config.priority,
        liveness_endpoint=config.liveness_endpoint,
        memo=kopf.Memo(config=config),
    )
