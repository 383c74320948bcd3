"""Small HTML builders shared by the forms' models (no ipywidgets here).

Everything that comes from the server or the user is escaped on the way in.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

SYMBOLS = {"eur": "€", "usd": "$", "gbp": "£"}
COLORS = {
    "ok": "var(--jp-success-color1, #2e7d32)",
    "error": "var(--jp-error-color1, #c62828)",
    "warning": "var(--jp-warn-color1, #ef6c00)",
    "info": "var(--jp-ui-font-color1, #333)",
}
MARKS = {"ok": "✓", "error": "✗", "warning": "!", "info": "…"}


def esc(value: Any) -> str:
    """Escape any value for HTML text or a double-quoted attribute (``None`` is empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def money(amount: Decimal | float | None, currency: str = "eur") -> str:
    """Format an amount: ``€25.50``; other currencies as ``25.50 DKK``."""
    if amount is None:
        return "-"
    value = f"{Decimal(str(amount)):,.2f}"
    symbol = SYMBOLS.get(currency.lower())
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def status(kind: str, text: str) -> str:
    """A one-line status message (``kind``: ok, error, warning, info); ``text`` is escaped."""
    color = COLORS.get(kind, COLORS["info"])
    mark = MARKS.get(kind, "")
    return (
        f'<div class="preo-status preo-status-{esc(kind)}" style="color:{color};white-space:pre-wrap">'
        f"{mark} {esc(text)}</div>"
    )


def facts(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of labels and values (both escaped)."""
    body = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in rows
    )
    return f'<table class="preo-facts">{body}</table>'


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], css: str = "preo-table") -> str:
    """A plain HTML table; every cell is escaped."""
    head = "".join(f'<th style="text-align:left;padding:2px 8px">{esc(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td style="padding:2px 8px">{esc(v)}</td>' for v in row) + "</tr>" for row in rows
    )
    return f'<table class="{esc(css)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def problems(found: Mapping[str, str]) -> str:
    """A list of what is still wrong, field by field (empty when nothing is)."""
    if not found:
        return ""
    items = "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in found.items())
    return f'<ul class="preo-problems" style="color:{COLORS["error"]};margin:0">{items}</ul>'


def code(text: str, css: str = "preo-code") -> str:
    """Preformatted text, escaped."""
    return f'<pre class="{esc(css)}" style="margin:0;white-space:pre-wrap">{esc(text)}</pre>'


def json_block(value: Any, css: str = "preo-json") -> str:
    """A JSON value, pretty-printed and escaped."""
    return code(json.dumps(value, indent=2, ensure_ascii=False), css)
