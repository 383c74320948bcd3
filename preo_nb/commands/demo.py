"""``preo-nb demo``: every runbook against a fresh sandbox, with an index page.

Each runbook leaves a report to forward (``NAME.html``: no code) and, beside it, the
executed notebook with its code (``NAME.ipynb``); ``index.html`` links both and says which
is which. A runbook whose cell failed leaves ``NAME.failed.ipynb`` and ``NAME.failed.html``
(with the code and the traceback) instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from preo_nb.commands._options import failure_message, notebook_options, sandbox_env, sandbox_options


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
    from preo_nb import demo as parts
    from preo_nb import runbooks, runner, sandbox

    books = runbooks.discover(runbooks.folder(args.notebooks))
    out = args.output.resolve()
    print(f"Starting the sandbox (seed {args.seed}, scale {args.scale})...")
    results = []
    with sandbox.running(seed=args.seed, scale=args.scale, port=args.port, check_contract=args.check_contract) as sb:
        with runner.environment(sandbox_env(sb)):
            for book in books:
                results.append(_run_one(book, parts.demo_parameters(book.name, sb, out), out, args.timeout))
        violations = list(sb.violations)
    index = parts.write_index(out, results)
    troubled = [result for result in results if result.trouble]
    print(f"Done: {len(results) - len(troubled)} of {len(results)} runbooks ran cleanly.\n  index: {index}")
    if violations:
        print("preo-nb demo: the sandbox broke the contract:", *violations, sep="\n  ", file=sys.stderr)
    return 1 if troubled or violations else 0


def _run_one(book: Any, parameters: dict[str, Any], out: Path, timeout: int) -> Any:
    """Run one runbook; its report without code, or its failure page with code."""
    from preo_nb import demo as parts
    from preo_nb import runner

    target = out / f"{book.name}.ipynb"
    print(f"Running {book.name} with {parameters}...")
    try:
        executed = runner.run_notebook(book.path, target, parameters, timeout=timeout)
    except runner.RunbookFailed as exc:
        page = runner.export_html(exc.notebook)
        print(f"preo-nb demo: {failure_message(exc, page, target.with_suffix('.html'))}", file=sys.stderr)
        return parts.DemoResult(book, exc.notebook, page, error=str(exc))
    for message in executed.kernel_errors:
        print(f"preo-nb demo: the kernel of {book.name} logged an error: {message}", file=sys.stderr)
    page = runner.export_html(target, no_input=True)
    return parts.DemoResult(book, target, page, kernel_errors=tuple(executed.kernel_errors))
