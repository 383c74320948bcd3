"""The ``preo-nb`` command: the sandbox, the demo, runbooks, bulk refunds."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import preo_nb
from preo_nb.errors import PreoError
from preo_nb.probe import command as check_command

EXTRAS = {
    "sandbox": ("flask", "faker"),
    "notebooks": ("papermill", "ipykernel", "nbconvert", "matplotlib"),
}


class UsageError(PreoError):
    """The command cannot run as asked (a missing extra, a missing notebook)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``preo-nb``; returns the process exit code."""
    args = _parser().parse_args(argv)
    if getattr(args, "no_input", False):
        args.html = True
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except PreoError as exc:
        print(f"preo-nb: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="preo-nb", description=__doc__)
    parser.add_argument("--version", action="version", version=preo_nb.__version__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    sandbox = commands.add_parser("sandbox", help="serve the local Preo API simulator on 127.0.0.1")
    _sandbox_options(sandbox, port=8765)
    sandbox.set_defaults(handler=_sandbox)

    demo = commands.add_parser("demo", help="run every runbook against a fresh sandbox, with an index page")
    _sandbox_options(demo, port=0)
    demo.add_argument("--output", type=Path, default=Path("preo-demo"), help="folder for the results")
    demo.add_argument("--notebooks", type=Path, default=None, help="folder holding the runbooks")
    demo.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    demo.add_argument(
        "--check-contract",
        action="store_true",
        help="fail if any sandbox response breaks the API contract (needs jsonschema)",
    )
    demo.set_defaults(handler=_demo)

    run = commands.add_parser("run", help="run one runbook headless with papermill")
    run.add_argument("notebook", help="a runbook name (see `preo-nb runbooks`) or a notebook path")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter; VALUE may be JSON (numbers, true/false, null, lists, dicts)",
    )
    run.add_argument(
        "--output",
        type=Path,
        default=None,
        help="the executed notebook (default runs/NAME.ipynb, preo-rehearsal/NAME.ipynb with --sandbox)",
    )
    run.add_argument("--html", action="store_true", help="also write an HTML export next to it")
    run.add_argument(
        "--no-input",
        action="store_true",
        help="leave the code out of the HTML export: a report to forward (implies --html)",
    )
    run.add_argument(
        "--sandbox",
        action="store_true",
        help="rehearse against a fresh local sandbox; outputs (journal included) go under preo-rehearsal/",
    )
    _sandbox_options(run, port=0)
    run.add_argument("--notebooks", type=Path, default=None, help="folder holding the runbooks")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    run.add_argument("--kernel", default="python3", help="Jupyter kernel name")
    run.set_defaults(handler=_run)

    listing = commands.add_parser("runbooks", help="list the runbooks and their parameters")
    listing.add_argument("--notebooks", type=Path, default=None, help="folder holding the runbooks")
    listing.set_defaults(handler=_runbooks)

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
    bulk.add_argument("--workers", type=int, default=4)
    bulk.set_defaults(handler=_bulk_refund)
    return parser


def _sandbox_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--scale", default="small", choices=("tiny", "small", "medium", "large"))


def require(*extras: str) -> None:
    """Fail with the pip command to run when an optional part is not installed."""
    missing = [e for e in extras if any(importlib.util.find_spec(m) is None for m in EXTRAS[e])]
    if missing:
        raise UsageError(f"this needs the {', '.join(missing)} extra: pip install 'preo_nb[{','.join(missing)}]'")


def _sandbox(args: argparse.Namespace) -> int:
    require("sandbox")
    from preo_nb import sandbox

    sandbox.serve(port=args.port, seed=args.seed, scale=args.scale)
    return 0


def _demo(args: argparse.Namespace) -> int:
    require("sandbox", "notebooks")
    from preo_nb import runbooks, runner, sandbox

    books = runbooks.discover(runbooks.folder(args.notebooks))
    out = args.output.resolve()
    print(f"Starting the sandbox (seed {args.seed}, scale {args.scale})...")
    results = []
    with sandbox.running(seed=args.seed, scale=args.scale, port=args.port, check_contract=args.check_contract) as sb:
        with runner.environment(_sandbox_env(sb)):
            for book in books:
                results.append((book, *_demo_one(book, runbooks.demo_parameters(book.name, sb, out), out, args)))
        violations = list(sb.violations)
    index = runbooks.write_index(out, results)
    failed = [book.name for book, _, error in results if error]
    print(f"Done: {len(results) - len(failed)} of {len(results)} runbooks ran cleanly.\n  index: {index}")
    if violations:
        print("preo-nb demo: the sandbox broke the contract:", *violations, sep="\n  ", file=sys.stderr)
    return 1 if failed or violations else 0


def _demo_one(book: Any, parameters: dict[str, Any], out: Path, args: argparse.Namespace) -> tuple[Path, str | None]:
    from preo_nb import runner

    target = out / f"{book.name}.ipynb"
    print(f"Running {book.name} with {parameters}...")
    try:
        runner.run_notebook(book.path, target, parameters, timeout=args.timeout)
    except runner.RunbookFailed as exc:
        print(f"preo-nb demo: {exc}\nThe executed notebook is {target}", file=sys.stderr)
        return target, str(exc)
    finally:
        if target.is_file():
            runner.export_html(target)
    return target, None


def _sandbox_env(sb: Any) -> dict[str, str | None]:
    """The kernel's environment for a sandbox: URL and token by environment, never as parameters.

    Progress is off: papermill keeps a kernel's output for the executed notebook, where
    progress lines would only show up as stderr boxes in the report.
    """
    return {"PREO_BASE_URL": sb.url, "PREO_API_TOKEN": sb.token, "PREO_NB_CASSETTE": None, "PREO_NB_PROGRESS": "off"}


REHEARSAL = Path("preo-rehearsal")
"""Where ``preo-nb run --sandbox`` writes (relative to the current folder): never where a real run does."""


def _run(args: argparse.Namespace) -> int:
    require("notebooks", *(["sandbox"] if args.sandbox else []))
    from preo_nb import runbooks

    book = runbooks.find(args.notebook, args.notebooks)
    given = {name: parse_value(value) for name, value in args.parameter}
    known = runbooks.check(book, given)  # before any kernel starts: a bad dry_run never reaches one
    here = Path.cwd()
    base = here / REHEARSAL if args.sandbox else here
    parameters = runbooks.resolve_paths(book, given, known, here=here, outputs=base, confined=args.sandbox)
    target = (args.output or (REHEARSAL if args.sandbox else Path("runs")) / book.path.name).resolve()
    if args.sandbox:
        print(
            f"Rehearsal against a fresh sandbox: everything it writes goes under {base}, never where a real run writes."
        )
    error = _execute(book.path, target, parameters, base, args)
    if error:
        print(f"preo-nb run: {error}\nThe executed notebook is {target}", file=sys.stderr)
        return 1
    print(f"Done: {target}")
    for name, path in [
        ("HTML", target.with_suffix(".html") if args.html else None),
        *((name, Path(parameters[name])) for name in book.outputs if name in parameters),
    ]:
        if path is not None and path.exists():
            print(f"  {name}: {path}")
    return 0


def _execute(source: Path, target: Path, parameters: dict[str, Any], cwd: Path, args: argparse.Namespace) -> str | None:
    """Run one notebook against the sandbox or the configured API; the failure's message, or None."""
    from preo_nb import runner

    try:
        if args.sandbox:
            from preo_nb import sandbox

            with sandbox.running(seed=args.seed, scale=args.scale) as sb, runner.environment(_sandbox_env(sb)):
                runner.run_notebook(source, target, parameters, timeout=args.timeout, kernel=args.kernel, cwd=cwd)
        else:
            with runner.environment(_connection_env()):
                runner.run_notebook(source, target, parameters, timeout=args.timeout, kernel=args.kernel, cwd=cwd)
    except runner.RunbookFailed as exc:
        return str(exc)
    finally:
        if args.html and target.is_file():
            runner.export_html(target, no_input=args.no_input)
    return None


def _connection_env() -> dict[str, str | None]:
    """Hand the kernel the connection found here (arguments, environment, .env), checked first; progress off."""
    import os

    from preo_nb import testing
    from preo_nb.config import load_settings

    if os.environ.get(testing.CASSETTE_ENV):
        return {"PREO_NB_PROGRESS": "off"}
    settings = load_settings()
    return {
        "PREO_BASE_URL": settings.base_url,
        "PREO_API_TOKEN": settings.token,
        "PREO_TIMEOUT": str(settings.timeout),
        "PREO_TRAILING_SLASH": "true" if settings.trailing_slash else "false",
        "PREO_AUTH_SCHEME": settings.auth_scheme,
        "PREO_NB_PROGRESS": "off",
    }


def parse_value(text: str) -> Any:
    """A parameter value: JSON (numbers, true/false/null, lists, dicts), Python's True/False/None, else text."""
    python = {"True": True, "False": False, "None": None}
    if text in python:
        return python[text]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _runbooks(args: argparse.Namespace) -> int:
    require("notebooks")
    from preo_nb import runbooks

    for book in runbooks.discover(runbooks.folder(args.notebooks)):
        print(f"{book.name}: {book.title}\n    {book.summary}")
        for name, spec in runbooks.parameters(book.path).items():
            kind = f" ({spec['type']})" if spec["type"] and spec["type"] != "None" else ""
            print(f"    -p {name} {spec['default']}{kind}")
    return 0


def _bulk_refund(args: argparse.Namespace) -> int:
    from preo_nb.bulk_command import bulk_refund

    return bulk_refund(args)


if __name__ == "__main__":
    sys.exit(main())
