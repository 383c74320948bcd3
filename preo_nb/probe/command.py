"""``preo-nb check-contract``: run the probe, print the table, write the JSON report."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

import preo_nb
from preo_nb import probe
from preo_nb.errors import PreoValidationError


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``check-contract`` and its options on the ``preo-nb`` command."""
    check = commands.add_parser("check-contract", help="probe an API: does it do what the bundled contract assumes?")
    check.add_argument("--base-url", help="the API to probe (default: PREO_BASE_URL from the environment or .env)")
    check.add_argument(
        "--writes",
        action="store_true",
        help="also file and reject one refund request (only against a sandbox on this machine)",
    )
    check.add_argument("--report", type=Path, help="write the findings as JSON to this file")
    check.add_argument("--record", type=Path, help="record every request and answer into this cassette")
    check.add_argument("--sandbox", action="store_true", help="probe a fresh local sandbox instead")
    check.add_argument("--port", type=int, default=0, help="0 picks a free port")
    check.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    check.add_argument("--scale", default="small", choices=("tiny", "small", "medium", "large"))
    check.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    if args.sandbox:
        from preo_nb.cli import require

        require("sandbox")
    return check_contract(
        base_url=args.base_url,
        writes=args.writes,
        report=args.report,
        record=args.record,
        sandbox=args.sandbox,
        seed=args.seed,
        scale=args.scale,
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
) -> int:
    """Probe the API (or a fresh sandbox), print the findings; 1 when any assumption fails.

    The token comes from the usual places (``PREO_API_TOKEN`` in the environment or
    ``.env``), never from the command line.
    """
    with _target(base_url, sandbox, seed, scale) as (url, token):
        preo = preo_nb.connect(base_url=url, token=token)
        found = probe.run_recorded(preo, record, writes=writes) if record else probe.run(preo, writes=writes)
    print(found.table())
    if report is not None:
        print(f"report: {found.write(report)}")
    if record is not None:
        print(f"cassette: {record}")
    return 1 if found.failed() else 0


@contextlib.contextmanager
def _target(base_url: str | None, sandbox: bool, seed: int, scale: str) -> Iterator[tuple[str | None, str | None]]:
    if not sandbox:
        yield base_url, None
        return
    if base_url:
        raise PreoValidationError("--sandbox", "give --base-url or --sandbox, not both")
    from preo_nb.sandbox import running

    with running(seed=seed, scale=scale) as sb:
        yield sb.url, sb.token
