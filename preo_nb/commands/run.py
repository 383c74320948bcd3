"""``preo-nb run``: one runbook headless with papermill, against the configured API or a sandbox."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from preo_nb.commands._options import failure_message, notebook_options, parse_value, sandbox_env, sandbox_options

REHEARSAL = Path("preo-rehearsal")
"""Where ``preo-nb run --sandbox`` writes (relative to the current folder): never where a real run does."""


def add_parser(commands: Any) -> None:
    """Add ``run`` to the ``preo-nb`` subcommands."""
    parser = commands.add_parser("run", help="run one runbook headless with papermill")
    parser.add_argument("notebook", help="a runbook name (see `preo-nb runbooks`) or a notebook path")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter; VALUE may be JSON (numbers, true/false, null, lists, dicts)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="the executed notebook (default runs/NAME.ipynb, preo-rehearsal/NAME.ipynb with --sandbox)",
    )
    parser.add_argument("--html", action="store_true", help="also write an HTML export next to it")
    parser.add_argument(
        "--no-input",
        action="store_true",
        help="leave the code out of the HTML export: a report to forward (implies --html)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="rehearse against a fresh local sandbox; outputs (journal included) go under preo-rehearsal/",
    )
    sandbox_options(parser, port=0)
    notebook_options(parser)
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name")
    parser.set_defaults(handler=run, extras=lambda args: ("notebooks", *(["sandbox"] if args.sandbox else [])))


def run(args: argparse.Namespace) -> int:
    """Check the parameters, run the runbook, say where everything went; 1 when a cell failed."""
    from preo_nb import runbooks

    args.html = args.html or args.no_input
    book = runbooks.find(args.notebook, args.notebooks)
    given = {name: parse_value(value) for name, value in args.parameter}
    known = runbooks.check(book, given, sandbox=args.sandbox)  # before any kernel starts
    here = Path.cwd()
    base = here / REHEARSAL if args.sandbox else here
    parameters = runbooks.resolve_paths(book, given, known, here=here, outputs=base, confined=args.sandbox)
    target = (args.output or (REHEARSAL if args.sandbox else Path("runs")) / book.path.name).resolve()
    if args.sandbox:
        print(
            f"Rehearsal against a fresh sandbox: everything it writes goes under {base}, never where a real run writes."
        )
    if not _execute(book, target, parameters, base, args):
        return 1
    print(f"Done: {target}")
    for name, path in [
        ("HTML", target.with_suffix(".html") if args.html else None),
        *((name, Path(parameters[name])) for name in book.outputs if name in parameters),
    ]:
        if path is not None and path.exists():
            print(f"  {name}: {path}")
    return 0


def _execute(book: Any, target: Path, parameters: dict[str, Any], cwd: Path, args: argparse.Namespace) -> bool:
    """Run the runbook against a sandbox or the configured API; say what went wrong; whether it ran."""
    from preo_nb import runner

    def execute(given: dict[str, Any]) -> Any:
        return runner.run_notebook(book.path, target, given, timeout=args.timeout, kernel=args.kernel, cwd=cwd)

    try:
        if args.sandbox:
            from preo_nb import demo, runbooks, sandbox

            with sandbox.running(seed=args.seed, scale=args.scale) as sb, runner.environment(sandbox_env(sb)):
                own = demo.demo_parameters(book.name, sb, cwd)
                required = runbooks.required_names(runbooks.parameters(book.path))
                executed = execute({**{k: v for k, v in own.items() if k in required}, **parameters})
        else:
            with runner.environment(_connection_env()):
                executed = execute(parameters)
    except runner.RunbookFailed as exc:
        _say_failed(exc, target, args.html)
        return False
    for message in executed.kernel_errors:
        print(f"preo-nb run: the kernel logged an error: {message}", file=sys.stderr)
    if args.html:
        runner.export_html(target, no_input=args.no_input)
    return True


def _say_failed(exc: Any, target: Path, html: bool) -> None:
    """Name the failing cell, where the failed run is, and where the last good report is (untouched)."""
    from preo_nb import runner

    page = runner.export_html(exc.notebook) if html else exc.notebook
    report = target.with_suffix(".html") if html else target
    print(f"preo-nb run: {failure_message(exc, page, report)}", file=sys.stderr)


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
