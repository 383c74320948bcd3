"""``preo-nb runbooks``: list the runbooks and their parameters."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    """Add ``runbooks`` to the ``preo-nb`` subcommands."""
    parser = commands.add_parser("runbooks", help="list the runbooks and their parameters")
    parser.add_argument("--notebooks", type=Path, default=None, help="folder holding the runbooks")
    parser.set_defaults(handler=list_runbooks, extras=lambda args: ("notebooks",))


def list_runbooks(args: argparse.Namespace) -> int:
    """Print each runbook, what it does, and a ``-p`` line per parameter."""
    from preo_nb import runbooks

    for book in runbooks.discover(runbooks.folder(args.notebooks)):
        print(f"{book.name}: {book.title}\n    {book.summary}")
        found = runbooks.parameters(book.path)
        required = runbooks.required_names(found)
        for name, spec in found.items():
            if name in required:  # no default to show: a sandbox's id would only be a 404 on the real API
                print(f"    -p {name} ID ({spec['help']})")
                continue
            kind = f" ({spec['type']})" if spec["type"] and spec["type"] != "None" else ""
            print(f"    -p {name} {spec['default']}{kind}")
    return 0
