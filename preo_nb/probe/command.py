"""``preo-nb check-contract``: run the probe, print the table, write the JSON report."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import preo_nb
from preo_nb import probe
from preo_nb.errors import PreoError, PreoValidationError

DESCRIPTION = """\
Probe an API for every assumption preo_nb makes about it (the bundled contract), with GET
requests only unless --writes is given, and print one line per assumption:

  PASS     the server does what the contract assumes
  FAIL     it does something else; the detail says what, and the end of the output says
           which setting or action makes preo_nb work with it
  UNKNOWN  the data there could not show it; the detail says why

SOURCE says where the contract has each assumption from: seed (a recorded real answer),
docs (the public docs) or inferred (a guess). Every filter of every list gets a line.

The token comes from PREO_API_TOKEN in the environment or a .env file (never the command
line); PREO_BASE_URL, PREO_AUTH_SCHEME and PREO_TRAILING_SLASH are read there too."""

EPILOG = """\
exit status: 0 no FAIL (UNKNOWNs allowed), 1 any FAIL, 2 could not check (the server was
unreachable, no auth scheme accepted the token, or the settings are unusable).
--port, --seed and --scale apply only with --sandbox; --writes only to a loopback address."""


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``check-contract`` and its options on the ``preo-nb`` command."""
    check = commands.add_parser(
        "check-contract",
        help="probe an API: does it do what the bundled contract assumes?",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--base-url", help="the API to probe (default: PREO_BASE_URL from the environment or .env)")
    check.add_argument(
        "--writes",
        action="store_true",
        help="also file and reject one refund request (only against a sandbox on this machine)",
    )
    check.add_argument("--report", type=Path, help="write the findings as JSON to this file")
    check.add_argument("--record", type=Path, help="record every request and answer into this cassette")
    check.add_argument("--sandbox", action="store_true", help="probe a fresh local sandbox instead of --base-url")
    check.add_argument("--port", type=int, default=0, help="only with --sandbox: its port (0 picks a free one)")
    check.add_argument("--seed", type=int, default=1, help="only with --sandbox: seed of the generated data")
    check.add_argument(
        "--scale", default="small", choices=("tiny", "small", "medium", "large"), help="only with --sandbox: its size"
    )
    check.set_defaults(handler=_handle, extras=lambda args: ("sandbox",) if args.sandbox else ())


def _handle(args: argparse.Namespace) -> int:
    try:
        return _check(args)
    except PreoError as exc:  # no check ran: "could not check", not "a check failed"
        print(f"preo-nb check-contract: {exc}", file=sys.stderr)
        return 2


def _check(args: argparse.Namespace) -> int:
    return check_contract(
        base_url=args.base_url,
        writes=args.writes,
        report=args.report,
        record=args.record,
        sandbox=args.sandbox,
        seed=args.seed,
        scale=args.scale,
        port=args.port,
    )


def check_contract(
    *,
    base_url: str | None,
    writes: bool,
    report: Path | None,
    record: Path | None,
    sandbox: bool = False,
    seed: int = 1,
    scale: str = "small",
    port: int = 0,
) -> int:
    """Probe the API (or a fresh sandbox), print the findings; the exit status (``Report.exit_code``).

    The token comes from the usual places (``PREO_API_TOKEN`` in the environment or
    ``.env``), never from the command line.
    """
    with _target(base_url, sandbox, seed, scale, port) as (url, token):
        preo = preo_nb.connect(base_url=url, token=token)
        found = probe.run_recorded(preo, record, writes=writes) if record else probe.run(preo, writes=writes)
    if report is not None:
        print(f"report: {found.write(report)}")
    if record is not None:
        print(f"cassette: {record}")
    print(found.table())  # last: the output ends with the legend
    return found.exit_code()


@contextlib.contextmanager
def _target(
    base_url: str | None, sandbox: bool, seed: int, scale: str, port: int
) -> Iterator[tuple[str | None, str | None]]:
    if not sandbox:
        if port:
            raise PreoValidationError("--port", "--port, --seed and --scale apply only with --sandbox")
        yield base_url, None
        return
    if base_url:
        raise PreoValidationError("--sandbox", "give --base-url or --sandbox, not both")
    from preo_nb.sandbox import running

    with running(seed=seed, scale=scale, port=port) as sb:
        yield sb.url, sb.token
