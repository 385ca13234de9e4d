"""`adobe-oauth-sim`: serve the simulator until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from adobe_oauth_operator.sim.dialect import DEFAULT_DIALECT, DIALECTS
from adobe_oauth_operator.sim.model import DEFAULT_TOKEN_TTL_S
from adobe_oauth_operator.sim.seed import SeedError
from adobe_oauth_operator.sim.server import running_simulator


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="adobe-oauth-sim",
        description="Simulate Adobe IMS and the I/O Management API client-secrets endpoints.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument(
        "--seed", type=Path, metavar="FILE", help="YAML file with the initial credentials"
    )
    parser.add_argument(
        "--state", type=Path, metavar="FILE", help="JSON file that keeps the state across restarts"
    )
    parser.add_argument(
        "--token-ttl",
        type=_positive_int,
        default=DEFAULT_TOKEN_TTL_S,
        metavar="SECONDS",
        help=f"lifetime of issued access tokens (default: {DEFAULT_TOKEN_TTL_S})",
    )
    parser.add_argument(
        "--token-rate",
        type=_positive_int,
        default=None,
        metavar="N",
        help="answer 429 to more than N token grants per minute for one client (default: off)",
    )
    parser.add_argument(
        "--dialect",
        choices=sorted(DIALECTS),
        default=DEFAULT_DIALECT,
        help="spec: Adobe's OpenAPI description (aio-lib-console 5.8.0); guide: the "
        f"implementation guide's samples (default: {DEFAULT_DIALECT})",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


async def serve(args: argparse.Namespace) -> None:
    """Print the listening line first, then serve until a stop signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running_simulator(
        seed=args.seed,
        state_file=args.state,
        host=args.host,
        port=args.port,
        token_ttl_s=args.token_ttl,
        token_rate=args.token_rate,
        access_log=args.verbose,
        dialect=args.dialect,
    ) as sim:
        print(f"listening on {sim.url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        asyncio.run(serve(args))
    except (SeedError, ValueError, OSError) as exc:
        print(f"adobe-oauth-sim: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
