"""What several commands share: sandbox options, the kernel's environment, parameter values."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def sandbox_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    """The options that choose a sandbox: its port, seed and scale."""
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--scale", default="small", choices=("tiny", "small", "medium", "large"))


def notebook_options(parser: argparse.ArgumentParser) -> None:
    """Where the runbooks are, and how long a cell may take."""
    parser.add_argument("--notebooks", type=Path, default=None, help="folder holding the runbooks")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")


def sandbox_env(sb: Any) -> dict[str, str | None]:
    """The kernel's environment for a sandbox: URL and token by environment, never as parameters.

    Progress is off: papermill keeps a kernel's output for the executed notebook, where
    progress lines would only show up as stderr boxes in the report.
    """
    return {"PREO_BASE_URL": sb.url, "PREO_API_TOKEN": sb.token, "PREO_NB_CASSETTE": None, "PREO_NB_PROGRESS": "off"}


def parse_value(text: str) -> Any:
    """A parameter value: JSON (numbers, true/false/null, lists, dicts), Python's True/False/None, else text."""
    python = {"True": True, "False": False, "None": None}
    if text in python:
        return python[text]
    try:
        return json.loads(text)
    except ValueError:
        return text


def failure_message(error: Exception, page: Path, report: Path) -> str:
    """A failed run in the command's words: what failed, where the failed run is, where the last good report is."""
    if report.exists():
        kept = f"The last good report, {report}, is untouched."
    else:
        kept = f"There is no earlier good report at {report}."
    return f"{error}\nThe failed run is {page}. {kept}"
