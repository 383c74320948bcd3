"""The demo's parts: each runbook's parameters read off a running sandbox, and the index page.

``preo-nb demo`` runs every runbook against a fresh sandbox with :func:`demo_parameters`
(``preo-nb run --sandbox`` takes the required ones from there too) and links the results
from ``index.html`` (:func:`write_index`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preo_nb.runbooks import Runbook

DemoParameters = Callable[[Any, Path], dict[str, Any]]


def _edition(sb: Any) -> str:
    return str(sb.store.busiest_edition()["id"])


DEMO: dict[str, DemoParameters] = {
    "orders_report": lambda sb, out: {
        "edition_id": _edition(sb),
        "since": sb.store.recent_since(_edition(sb)),
        "output_dir": str(out / "exports"),
    },
    "cancelled_event_refunds": lambda sb, out: {
        "edition_id": sb.store.edition(org=2)["id"],
        "journal": str(out / "exports" / "cancelled-event-refunds.sqlite"),
    },
    "import_external_orders": lambda sb, out: {"edition_id": _edition(sb)},
    "campaign_report": lambda sb, out: {"edition_id": _edition(sb)},
    "refund_queue_daily": lambda sb, out: {"edition_id": _edition(sb)},
}
"""Demo parameters per runbook, read off the running sandbox; dry runs stay dry."""


def demo_parameters(name: str, sb: Any, out: Path) -> dict[str, Any]:
    """Parameters for running runbook ``name`` against the demo sandbox."""
    make = DEMO.get(name)
    return make(sb, out) if make else {}


@dataclass(frozen=True)
class DemoResult:
    """One runbook of the demo: the executed notebook (with code), its HTML page, what went wrong."""

    runbook: Runbook
    notebook: Path
    page: Path
    error: str | None = None
    kernel_errors: tuple[str, ...] = ()

    @property
    def trouble(self) -> str | None:
        """Why this run did not run cleanly (a failed cell, or an error its kernel logged), else None."""
        if self.error:
            return f"failed: {self.error}"
        return f"its kernel logged an error: {'; '.join(self.kernel_errors)}" if self.kernel_errors else None


_INDEX_HEAD = (
    "<!doctype html><html><head><meta charset='utf-8'><title>preo_nb demo</title>"
    "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.4em .8em;border-bottom:1px solid #ddd;"
    "text-align:left}.failed{color:#b00}.ok{color:#070}</style></head><body>"
    "<h1>preo_nb demo: runbooks run against the sandbox</h1>"
    "<p>Each runbook left two files. The <b>report</b> (HTML) shows the results without any code: it is the "
    "one to forward. The <b>notebook</b> (.ipynb) is the executed runbook with its code, to open in Jupyter. "
    "A runbook that failed left a failure page with its code and the error instead of a report.</p>"
    "<table><tr><th>runbook</th><th>what it does</th><th>report to forward (no code)</th>"
    "<th>notebook with code</th><th>outcome</th></tr>"
)


def write_index(out: Path, results: list[DemoResult]) -> Path:
    """Write ``index.html``: per runbook its report (or failure page), its notebook, and the outcome."""
    rows = []
    for result in results:
        trouble = result.trouble
        if result.error:
            report = f"<a href='{html.escape(result.page.name)}'>failure page (with code)</a>"
        else:
            report = f"<a href='{html.escape(result.page.name)}'>{html.escape(result.page.name)}</a>"
        rows.append(
            f"<tr><td>{html.escape(result.runbook.title)}</td><td>{html.escape(result.runbook.summary)}</td>"
            f"<td>{report}</td><td><a href='{html.escape(result.notebook.name)}'>{html.escape(result.notebook.name)}"
            f"</a></td><td class='{'failed' if trouble else 'ok'}'>{html.escape(trouble or 'ran cleanly')}</td></tr>"
        )
    index = out / "index.html"
    index.write_text(_INDEX_HEAD + "".join(rows) + "</table></body></html>", encoding="utf-8")
    return index
