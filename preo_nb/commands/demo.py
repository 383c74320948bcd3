"""``preo-nb demo``: every runbook against a fresh sandbox, with an index page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from preo_nb.commands._options import notebook_options, sandbox_env, sandbox_options


def add_parser(commands: Any) -> None:
    """Add ``demo`` to the ``preo-nb`` subcommands."""
    parser = commands.add_parser("demo", help="run every runbook against a fresh sandbox, with an index page")
    sandbox_options(parser, port=0)
    parser.add_argument("--output", type=Path, default=Path("preo-demo"), help="folder for the results")
    notebook_options(parser)
    parser.add_argument(
        "--check-contract",
        action="store_true",
        help="fail if any sandbox response breaks the API contract (needs jsonschema)",
    )
    parser.set_defaults(handler=demo, extras=lambda args: ("sandbox", "notebooks"))


def demo(args: argparse.Namespace) -> int:
    """Run every runbook, write the index; 1 when any failed or the sandbox broke the contract."""
    from preo_nb import runbooks, runner, sandbox

    books = runbooks.discover(runbooks.folder(args.notebooks))
    out = args.output.resolve()
    print(f"Starting the sandbox (seed {args.seed}, scale {args.scale})...")
    results = []
    with sandbox.running(seed=args.seed, scale=args.scale, port=args.port, check_contract=args.check_contract) as sb:
        with runner.environment(sandbox_env(sb)):
            for book in books:
                results.append((book, *_run_one(book, runbooks.demo_parameters(book.name, sb, out), out, args)))
        violations = list(sb.violations)
    index = runbooks.write_index(out, results)
    failed = [book.name for book, _, error in results if error]
    print(f"Done: {len(results) - len(failed)} of {len(results)} runbooks ran cleanly.\n  index: {index}")
    if violations:
        print("preo-nb demo: the sandbox broke the contract:", *violations, sep="\n  ", file=sys.stderr)
    return 1 if failed or violations else 0


def _run_one(book: Any, parameters: dict[str, Any], out: Path, args: argparse.Namespace) -> tuple[Path, str | None]:
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
