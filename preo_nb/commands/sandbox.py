"""``preo-nb sandbox``: serve the local Preo API simulator on 127.0.0.1."""

from __future__ import annotations

import argparse
from typing import Any

from preo_nb.commands._options import sandbox_options


def add_parser(commands: Any) -> None:
    """Add ``sandbox`` to the ``preo-nb`` subcommands."""
    parser = commands.add_parser("sandbox", help="serve the local Preo API simulator on 127.0.0.1")
    sandbox_options(parser, port=8765)
    parser.add_argument(
        "--throttle", type=float, default=0, metavar="RATE", help="allow each token RATE requests/s (429 beyond)"
    )
    parser.set_defaults(handler=serve, extras=lambda args: ("sandbox",))


def serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; prints the base URL and a token per role."""
    from preo_nb import sandbox

    sandbox.serve(port=args.port, seed=args.seed, scale=args.scale, throttle=args.throttle)
    return 0
