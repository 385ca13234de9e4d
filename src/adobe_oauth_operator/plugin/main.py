"""`kubectl aoc`: status, rotate, suspend, resume, history and check of AdobeOAuthCredentials.

Installed as the console script `kubectl-aoc`; with it on PATH, `kubectl aoc ...` runs it. Uses
the current kubeconfig context and namespace unless --kubeconfig, --context or -n say otherwise.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from adobe_oauth_operator import __version__
from adobe_oauth_operator.config import DEFAULT_API_URL, DEFAULT_IMS_URL, adobe_url_problem
from adobe_oauth_operator.names import EMERGENCY_ANNOTATION, KIND, ROTATE_ANNOTATION
from adobe_oauth_operator.plugin import report
from adobe_oauth_operator.plugin.kube import Cluster, PluginError


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-n", "--namespace", help="the namespace (default: the context's)")
    common.add_argument("--kubeconfig", help="the kubeconfig file (default: $KUBECONFIG)")
    common.add_argument("--context", help="the kubeconfig context (default: the current one)")
    parser = argparse.ArgumentParser(
        prog="kubectl aoc", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = commands.add_parser("status", parents=[common], help="one resource at a glance")
    status.add_argument("name")
    status.add_argument("-o", "--output", choices=["json", "yaml"], help="for scripts")

    rotate = commands.add_parser(
        "rotate", parents=[common], help="request a rotation (the rotate annotation)"
    )
    which = rotate.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?")
    which.add_argument("--all", action="store_true", help="every resource in the namespace")
    which.add_argument("-l", "--selector", help="resources with these labels, e.g. team=payments")
    rotate.add_argument(
        "--emergency",
        action="store_true",
        help="this request only: delete the old secret right after the rollout, without the"
        " drain wait; asks for confirmation",
    )
    rotate.add_argument(
        "-y", "--yes", action="store_true", help="--emergency without asking (for scripts)"
    )

    for verb, text in (
        ("suspend", "stop starting rotations (spec.suspend: true)"),
        ("resume", "start rotating again (spec.suspend: false)"),
    ):
        cmd = commands.add_parser(verb, parents=[common], help=text)
        cmd.add_argument("name")

    history = commands.add_parser("history", parents=[common], help="the last rotations")
    history.add_argument("name")
    history.add_argument("-o", "--output", choices=["json", "yaml"], help="for scripts")

    check = commands.add_parser(
        "check",
        parents=[common],
        help="read-only preflight: Secret, token, secrets list, secret count",
    )
    check.add_argument("name", nargs="?", help="an applied AdobeOAuthCredential")
    check.add_argument("-f", "--filename", help="a manifest not applied yet")
    for flag, default in (("--ims-url", DEFAULT_IMS_URL), ("--api-url", DEFAULT_API_URL)):
        check.add_argument(
            flag,
            default=default,
            type=_adobe_url(flag),
            help=f"default {default}; https (http only on loopback)",
        )
    return parser


def _adobe_url(flag: str) -> Callable[[str], str]:
    """The same rule as the operator's: the client secret goes there, so https or loopback."""

    def parse(text: str) -> str:
        problem = adobe_url_problem(text, flag)
        if problem is not None:
            raise argparse.ArgumentTypeError(problem)
        return text

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cluster = Cluster.connect(args.kubeconfig, args.context, args.namespace)
        return int(COMMANDS[args.command](cluster, args))
    except PluginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _status(cluster: Cluster, args: argparse.Namespace) -> int:
    obj = cluster.get(args.name)
    now = datetime.now(UTC)
    summary = report.summary(obj, cluster.events(obj), now)
    print(report.dump(summary, args.output) if args.output else report.status_text(summary, now))
    return 0


def _rotate(cluster: Cluster, args: argparse.Namespace) -> int:
    if args.selector is not None and not any(p.strip() for p in args.selector.split(",")):
        # An empty selector matches every resource: say --all when that is meant.
        print("error: an empty label selector selects every resource; use --all", file=sys.stderr)
        return 1
    if args.name:
        names = [cluster.get(args.name)["metadata"]["name"]]
    else:
        names = [o["metadata"]["name"] for o in cluster.items(args.selector)]
        if not names:
            print(f"no {KIND} in {cluster.namespace} matches", file=sys.stderr)
            return 1
    if args.emergency and not _emergency_confirmed(cluster.namespace, names, args.yes):
        return 1
    for name in names:
        request = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        # The emergency names the request it belongs to: spent with it, and a plain request
        # clears any emergency left behind, so it cannot turn this one into an emergency.
        annotations = {
            ROTATE_ANNOTATION: request,
            EMERGENCY_ANNOTATION: request if args.emergency else None,
        }
        cluster.patch(name, {"metadata": {"annotations": annotations}})
        kind = "emergency rotation" if args.emergency else "rotation"
        print(f"{kind} requested for {cluster.namespace}/{name} (request {request})")
    return 0


def _emergency_confirmed(namespace: str, names: list[str], yes: bool) -> bool:
    """List what an emergency acts on, then ask on a terminal; `--yes` answers for scripts."""
    print(
        f"emergency rotation of {len(names)} {KIND}(s) in {namespace}: each old client secret is"
        " deleted as soon as the rollout completes, without the drain wait; whatever still uses"
        " it fails from then on"
    )
    for name in names:
        print(f"  {namespace}/{name}")
    if yes:
        return True
    if not sys.stdin.isatty():
        print(
            "error: an emergency rotation needs confirmation: run it on a terminal, or add --yes",
            file=sys.stderr,
        )
        return False
    print("Proceed? [y/N] ", end="", flush=True)
    if sys.stdin.readline().strip().lower() in ("y", "yes"):
        return True
    print("nothing requested", file=sys.stderr)
    return False


def _suspend(cluster: Cluster, args: argparse.Namespace) -> int:
    suspend = args.command == "suspend"
    cluster.patch(args.name, {"spec": {"suspend": suspend}})
    what = "suspended: no rotation starts" if suspend else "resumed"
    print(f"{cluster.namespace}/{args.name} {what}")
    return 0


def _history(cluster: Cluster, args: argparse.Namespace) -> int:
    history = report.history(cluster.get(args.name).get("status"))
    now = datetime.now(UTC)
    print(report.dump(history, args.output) if args.output else report.history_text(history, now))
    return 0


def _check(cluster: Cluster, args: argparse.Namespace) -> int:
    # Imported here: the Adobe client (httpx) costs every other command half a second to load.
    from adobe_oauth_operator.plugin.check import Preflight

    name, spec, status = _check_target(cluster, args)
    preflight = Preflight(cluster, args.ims_url, args.api_url, out=print)
    results = preflight.run(name, spec, status)
    failed = [r for r in results if r.ok is False]
    print(f"{len(failed)} check(s) failed" if failed else "all checks passed")
    return 1 if failed else 0


def _check_target(
    cluster: Cluster, args: argparse.Namespace
) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """The resource's name, spec and status (None: a manifest not applied yet)."""
    if args.filename:
        try:
            doc = yaml.safe_load(Path(args.filename).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise PluginError(f"cannot read {args.filename}: {exc}") from None
        if not isinstance(doc, dict) or doc.get("kind") != KIND:
            raise PluginError(f"{args.filename} is not an {KIND} manifest")
        meta = doc.get("metadata") or {}
        if meta.get("namespace") and not args.namespace:
            cluster.namespace = meta["namespace"]
        return str(meta.get("name") or ""), dict(doc.get("spec") or {}), None
    if not args.name:
        raise PluginError("name an applied resource or give -f FILE")
    obj = cluster.get(args.name)
    return args.name, dict(obj.get("spec") or {}), dict(obj.get("status") or {})


COMMANDS = {
    "status": _status,
    "rotate": _rotate,
    "suspend": _suspend,
    "resume": _suspend,
    "history": _history,
    "check": _check,
}


def main_exit() -> None:
    """The console script: exit with main's status."""
    sys.exit(main())
