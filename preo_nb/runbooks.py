"""The runbook library: finding runbooks, their parameters, and the demo's run of all of them.

A runbook is a notebook in ``notebooks/`` whose metadata says
``{"preo_nb": {"runbook": true, "title": ..., "summary": ...}}`` and whose
first code cell is tagged ``parameters`` (papermill's convention).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import preo_nb
from preo_nb.errors import PreoError


class RunbookNotFound(PreoError):
    """No runbook by that name or path."""


@dataclass(frozen=True)
class Runbook:
    """One runbook notebook."""

    name: str
    path: Path
    title: str
    summary: str


def folder(given: Path | None = None) -> Path:
    """The runbooks' folder: the given one, ./notebooks, or the source checkout's."""
    candidates = [given] if given else [Path.cwd() / "notebooks", Path(preo_nb.__file__).parents[1] / "notebooks"]
    for candidate in candidates:
        if candidate and candidate.is_dir() and list(candidate.glob("*.ipynb")):
            return candidate
    raise RunbookNotFound(f"no runbooks in {', '.join(str(c) for c in candidates)}; pass --notebooks DIR")


def discover(where: Path) -> list[Runbook]:
    """Every runbook in ``where``, by name."""
    found = []
    for path in sorted(where.glob("*.ipynb")):
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("preo_nb", {})
        if meta.get("runbook"):
            found.append(Runbook(path.stem, path, meta.get("title", path.stem), meta.get("summary", "")))
    return found


def find(name_or_path: str, where: Path | None = None) -> Path:
    """Resolve a runbook name (``orders_report``) or a notebook path."""
    path = Path(name_or_path)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    for runbook in discover(folder(where)):
        if runbook.name == name_or_path.removesuffix(".ipynb"):
            return runbook.path
    raise RunbookNotFound(f"no runbook called {name_or_path!r}; `preo-nb runbooks` lists them")


def parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters of a notebook: name -> {type, default, help} (papermill's inspection)."""
    import papermill

    found: dict[str, dict[str, Any]] = papermill.inspect_notebook(str(path))
    return {
        name: {"type": spec.get("inferred_type_name", ""), "default": spec.get("default", ""),
               "help": spec.get("help", "")}
        for name, spec in found.items()
    }


DemoParameters = Callable[[Any, Path], dict[str, Any]]


def _edition(sb: Any) -> str:
    return str(sb.store.busiest_edition()["id"])


DEMO: dict[str, DemoParameters] = {
    "orders_report": lambda sb, out: {"edition_id": _edition(sb), "since": sb.store.recent_since(_edition(sb)),
                                      "output_dir": str(out / "exports")},
    "cancelled_event_refunds": lambda sb, out: {"edition_id": sb.store.edition(org=2)["id"],
                                                "journal": str(out / "exports" / "cancelled-event-refunds.sqlite")},
    "import_external_orders": lambda sb, out: {"edition_id": _edition(sb)},
    "campaign_report": lambda sb, out: {"edition_id": _edition(sb)},
    "refund_queue_daily": lambda sb, out: {"edition_id": _edition(sb)},
}
"""Demo parameters per runbook, read off the running sandbox; dry runs stay dry."""


def demo_parameters(name: str, sb: Any, out: Path) -> dict[str, Any]:
    """Parameters for running runbook ``name`` against the demo sandbox."""
    make = DEMO.get(name)
    return make(sb, out) if make else {}


def write_index(out: Path, results: list[tuple[Runbook, Path, str | None]]) -> Path:
    """Write ``index.html`` linking every executed runbook (and its HTML export) with its outcome."""
    rows = []
    for runbook, notebook, error in results:
        page = notebook.with_suffix(".html")
        link = page.name if page.is_file() else notebook.name
        outcome = "ok" if error is None else f"failed: {html.escape(error)}"
        rows.append(
            f"<tr><td><a href='{html.escape(link)}'>{html.escape(runbook.title)}</a></td>"
            f"<td>{html.escape(runbook.summary)}</td><td><a href='{html.escape(notebook.name)}'>.ipynb</a></td>"
            f"<td class='{'ok' if error is None else 'failed'}'>{outcome}</td></tr>"
        )
    index = out / "index.html"
    index.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>preo_nb demo</title>"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:.4em .8em;border-bottom:1px solid #ddd}"
        ".failed{color:#b00}.ok{color:#070}</style></head><body><h1>preo_nb demo: runbooks run against the sandbox"
        "</h1><table><tr><th>runbook</th><th>what it does</th><th>notebook</th><th>outcome</th></tr>"
        + "".join(rows) + "</table></body></html>",
        encoding="utf-8",
    )
    return index
