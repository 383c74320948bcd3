"""The ``preo-nb`` command: a thin dispatcher over one module per command (``preo_nb.commands``)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import preo_nb
from preo_nb.commands import demo, run, runbooks, sandbox
from preo_nb.commands._options import parse_value
from preo_nb.config import MAX_PAGE_WORKERS
from preo_nb.errors import ConfigurationError, MissingExtra, PreoError, UsageError
from preo_nb.probe import command as check_command

__all__ = ["UsageError", "main", "parse_value", "require"]

EXTRAS = {
    "sandbox": ("flask", "faker"),
    "notebooks": ("papermill", "ipykernel", "nbconvert", "matplotlib"),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``preo-nb``; returns the process exit code."""
    args = _parser().parse_args(argv)
    needs: Callable[[argparse.Namespace], tuple[str, ...]] = getattr(args, "extras", lambda args: ())
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            require(*needs(args))
            return int(args.handler(args) or 0)
        except KeyboardInterrupt:
            return 130
        except PreoError as exc:
            print(f"preo-nb: {_in_cli_terms(exc)}", file=sys.stderr)
            return 1


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """A warning as the command's own line: no Python file, line number or source line, no Python argument names."""
    print(f"preo-nb: warning: {str(message).replace('the base_url= argument', '--base-url')}", file=sys.stderr)


def _in_cli_terms(error: PreoError) -> str:
    """The error's text, with the missing-token advice given for the command line (no ``token=`` here)."""
    if isinstance(error, ConfigurationError) and error.field == "token" and error.message.startswith("no API token"):
        return (
            "no API token: set PREO_API_TOKEN in the environment, or put a line PREO_API_TOKEN=... in a .env file "
            "in this folder (or a parent folder); never on the command line"
        )
    return str(error)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="preo-nb", description=__doc__)
    parser.add_argument("--version", action="version", version=preo_nb.__version__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for command in (sandbox, demo, run, runbooks):
        command.add_parser(commands)

    check_command.add_parser(commands)

    bulk = commands.add_parser("bulk-refund", help="refund many purchases exactly once, resumable")
    bulk.add_argument(
        "--purchases",
        type=Path,
        required=True,
        help="a CSV whose header names the id column (api_id, purchase_id or id), or one id per line",
    )
    bulk.add_argument("--reason", required=True)
    bulk.add_argument("--scope")
    bulk.add_argument("--amount", type=float)
    bulk.add_argument("--comment", default="")
    bulk.add_argument("--edition-id", help="the purchases' edition, when known (the journal refuses another)")
    bulk.add_argument("--organization-id", help="their organization, when known (the journal refuses another)")
    bulk.add_argument("--journal", type=Path, required=True, help="SQLite journal; run again with it to resume")
    bulk.add_argument(
        "--settle",
        nargs=2,
        action="append",
        default=[],
        metavar=("PURCHASE_ID", "REFUND_ID"),
        help="settle an 'outcome unknown' row by hand first: the refund request that is this job's, "
        "or 'none' to send it again",
    )
    bulk.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help=f"requests in flight, 1 to {2 * MAX_PAGE_WORKERS} (default: adapts to the server)",
    )
    bulk.set_defaults(handler=_bulk_refund)
    return parser


def _workers(text: str) -> int:
    """``--workers``: a whole number the client's connections can carry (twice the most page_workers)."""
    if not text.isdigit() or not 1 <= int(text) <= 2 * MAX_PAGE_WORKERS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {2 * MAX_PAGE_WORKERS}, not {text!r}")
    return int(text)


def require(*extras: str) -> None:
    """Fail with the pip command to run when an optional part is not installed."""
    for extra in extras:
        if absent := [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]:
            raise MissingExtra("this command", extra, ", ".join(absent))


def _bulk_refund(args: argparse.Namespace) -> int:
    from preo_nb.bulk_command import bulk_refund

    return bulk_refund(args)


if __name__ == "__main__":
    sys.exit(main())
