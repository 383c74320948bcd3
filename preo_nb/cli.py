"""The ``preo-nb`` command: run the sandbox, run the demo runbook against it."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

import preo_nb
from preo_nb.errors import PreoError

DEMO_RUNBOOK = "orders_report.ipynb"
EXTRAS = {
    "sandbox": ("flask", "faker"),
    "notebooks": ("papermill", "ipykernel", "nbconvert", "matplotlib"),
}


class UsageError(PreoError):
    """The command cannot run as asked (a missing extra, a missing notebook)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``preo-nb``; returns the process exit code."""
    args = _parser().parse_args(argv)
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

    demo = commands.add_parser("demo", help="run the orders report runbook against a fresh sandbox")
    _sandbox_options(demo, port=0)
    demo.add_argument("--output", type=Path, default=Path("preo-demo"), help="folder for the results")
    demo.add_argument("--notebooks", type=Path, default=None, help="folder holding the runbooks")
    demo.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    demo.add_argument("--check-contract", action="store_true",
                      help="fail if any sandbox response breaks the API contract (needs jsonschema)")
    demo.set_defaults(handler=_demo)

    bulk = commands.add_parser("bulk-refund", help="refund many purchases exactly once, resumable")
    bulk.add_argument("--purchases", type=Path, required=True,
                      help="a CSV with a purchase_id column, or a text file with one id per line")
    bulk.add_argument("--reason", required=True)
    bulk.add_argument("--scope")
    bulk.add_argument("--amount", type=float)
    bulk.add_argument("--comment", default="")
    bulk.add_argument("--journal", type=Path, required=True, help="SQLite journal; run again with it to resume")
    bulk.add_argument("--workers", type=int, default=4)
    bulk.set_defaults(handler=_bulk_refund)
    return parser


def _sandbox_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--scale", default="small", choices=("tiny", "small", "medium"))


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


def notebooks_dir(given: Path | None) -> Path:
    """Find the runbooks: the given folder, ./notebooks, or the source checkout's."""
    candidates = [given] if given else [Path.cwd() / "notebooks", Path(preo_nb.__file__).parents[1] / "notebooks"]
    for folder in candidates:
        if folder and (folder / DEMO_RUNBOOK).is_file():
            return folder
    raise UsageError(f"no {DEMO_RUNBOOK} in {', '.join(str(c) for c in candidates)}; pass --notebooks DIR")


def _demo(args: argparse.Namespace) -> int:
    require("sandbox", "notebooks")
    from preo_nb import runner, sandbox

    source = notebooks_dir(args.notebooks) / DEMO_RUNBOOK
    target = args.output.resolve() / DEMO_RUNBOOK
    print(f"Starting the sandbox (seed {args.seed}, scale {args.scale})...")
    with sandbox.running(seed=args.seed, scale=args.scale, port=args.port, check_contract=args.check_contract) as sb:
        parameters = demo_parameters(sb)
        print(f"Running {source.name} against {sb.url} with {parameters}...")
        env = {"PREO_BASE_URL": sb.url, "PREO_API_TOKEN": sb.token, "PREO_NB_CASSETTE": None,
               "PREO_NB_PROGRESS": "text"}
        try:
            with runner.environment(env):
                runner.run_notebook(source, target, parameters, timeout=args.timeout)
        except runner.RunbookFailed as exc:
            print(f"preo-nb demo: {exc}\nThe executed notebook is {target}", file=sys.stderr)
            return 1
        if sb.violations:
            print("preo-nb demo: the sandbox broke the contract:", *sb.violations, sep="\n  ", file=sys.stderr)
            return 1
    html = runner.export_html(target)
    print(f"Done.\n  notebook: {target}\n  HTML:     {html}")
    return 0


def _bulk_refund(args: argparse.Namespace) -> int:
    from preo_nb import bulk

    ids = read_ids(args.purchases)
    preo = preo_nb.connect()
    print(f"Refunding {len(ids)} purchases ({args.reason}); journal {args.journal}")
    journal = bulk.refund_purchases(
        preo, ids, reason=args.reason, scope=args.scope, amount=args.amount, comment=args.comment,
        journal=args.journal, workers=args.workers,
    )
    counts = journal["state"].value_counts()
    print(", ".join(f"{state}: {count}" for state, count in counts.items() if count))
    return 0 if counts.get("sent", 0) == 0 and counts.get("pending", 0) == 0 else 2


def read_ids(path: Path) -> list[str]:
    """Read purchase ids from a CSV with a ``purchase_id`` column or a plain list."""
    if not path.is_file():
        raise UsageError(f"no file at {path}")
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if lines and "purchase_id" in lines[0].split(","):
        import pandas as pd

        return [str(v) for v in pd.read_csv(path, dtype=str)["purchase_id"].dropna()]
    return lines


def demo_parameters(sb: Any) -> dict[str, Any]:
    """Parameters of the demo runbook for a running sandbox: its busiest edition."""
    edition = sb.store.busiest_edition()
    return {"edition_id": edition["id"], "since": sb.store.recent_since(edition["id"])}


if __name__ == "__main__":
    sys.exit(main())
