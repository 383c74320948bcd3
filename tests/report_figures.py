"""Read a runbook report back as its reader sees it: the summary's figures and the tables under it.

``assert_figures_add_up(notebook)`` recomputes every figure of the summary from the report's
own tables (from the text shown), so a summary that counts something its tables do not
(cancelled orders, unpaid items) fails, however the report was run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat
from bs4 import BeautifulSoup

from preo_nb import reports

STATED = {"Mode", "Products", "Rules"}  # settings the summary repeats, not figures to recompute
_FACT = re.compile(r"^- (.+?): \*\*(.*)\*\*$")


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, str]]

    def total(self, column, where=lambda row: True) -> float:
        return round(sum(number(row[column]) for row in self.rows if where(row)), 2)


def _outputs(notebook):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def figures(notebook) -> dict[str, str]:
    """The summary's figures, name -> the text shown (Markdown escapes removed)."""
    text = next(o["data"]["text/markdown"] for o in _outputs(notebook) if "text/markdown" in o.get("data", {}))
    found = (_FACT.match(line.replace("\\", "")) for line in text.splitlines())
    return {match[1]: match[2] for match in found if match}


def tables(notebook) -> list[Table]:
    """Every HTML table of the report, with the text each cell shows."""
    found = []
    for output in _outputs(notebook):
        page = output.get("data", {}).get("text/html", "")
        for table in BeautifulSoup(page, "html.parser").find_all("table"):
            rows = [[cell.get_text(strip=True) for cell in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
            found.append(Table(rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]))
    return found


def number(text: str) -> float:
    """A figure as shown (``EUR 1,234.50``, ``1,234``, ``12.5%``) as a number; empty is 0."""
    cleaned = text.removeprefix("EUR ").replace(",", "")
    if cleaned.endswith("%"):
        return float(cleaned[:-1]) / 100
    return float(cleaned) if cleaned else 0.0


def table(found: list[Table], first: str, *having: str, without: str = "") -> Table:
    """The one table whose first column starts with ``first`` and that has the other columns named."""
    matching = [
        t
        for t in found
        if t.columns[0].startswith(first) and set(having) <= set(t.columns) and without not in t.columns
    ]
    assert len(matching) == 1, f"{len(matching)} tables start with {first!r} and have {having} (one expected)"
    return matching[0]


def _orders_report(found):
    by_status, by_day = table(found, "status", "orders"), table(found, "day (")
    by_type, by_pickup = table(found, "product_type"), table(found, "pickup_point")
    refunds = table(found, "status", "requests")
    sold = lambda row: row["status"] in ("completed", "confirmed")  # noqa: E731
    assert (by_day.total("orders"), by_day.total("revenue")) == (
        by_status.total("orders", sold),
        by_status.total("amount", sold),
    )
    assert (by_type.total("items"), by_type.total("price")) == (by_pickup.total("items"), by_pickup.total("price"))
    return {
        "Orders placed (any status)": reports.count(by_status.total("orders")),
        "Orders completed or confirmed": reports.count(by_day.total("orders")),
        "Revenue of those orders (with deposits and fees)": reports.money(by_day.total("revenue")),
        "Items paid (paid, partially refunded or refunded)": reports.count(by_type.total("items")),
        "Sales value of those items (price)": reports.money(by_type.total("price")),
        "Refund requests (all time)": reports.count(refunds.total("requests")),
        "Refunded (processed requests)": reports.money(refunds.total("amount", lambda r: r["status"] == "processed")),
    }


def _cancelled_event_refunds(found):
    by_product = table(found, "product.name", "purchases")
    return {
        "Purchases to refund (paid, no open refund request)": reports.count(by_product.total("purchases")),
        "Money to give back (price, deposit and fee, less what was refunded)": reports.money(
            by_product.total("to_refund")
        ),
    }


def _refund_queue_daily(found):
    matching, left = table(found, "id", "reason", without="comment"), table(found, "id", "reason", "comment")
    return {
        "Requested": reports.count(len(matching.rows) + len(left.rows)),
        "Matching the rules": f"{len(matching.rows):,} ({reports.money(matching.total('amount'))})",
        "Left for a person": f"{len(left.rows):,} ({reports.money(left.total('amount'))})",
    }


def _campaign_report(found):
    campaigns, stats = table(found, "name", "channel"), table(found, "campaign", "sent")
    sent, delivered = stats.total("sent"), stats.total("delivered")
    statuses = ", ".join(row["status"] for row in campaigns.rows) or "none"
    return {
        "Campaigns": f"{len(campaigns.rows):,} ({statuses})",
        "Messages sent": reports.count(sent),
        "Delivered (of sent)": reports.percent(delivered / sent if sent else 0),
        "Opened (of delivered)": reports.percent(stats.total("opened") / delivered if delivered else 0),
        "Clicked (of delivered)": reports.percent(stats.total("clicked") / delivered if delivered else 0),
    }


def _webhook_health(found):
    endpoints = table(found, "id", "is_active", "deliveries")
    deliveries, failed = endpoints.total("deliveries"), endpoints.total("failed")
    active = lambda row: row["is_active"] == "True"  # noqa: E731
    return {
        "Endpoints": f"{len(endpoints.rows):,} ({sum(map(active, endpoints.rows)):,} active)",
        "Deliveries": reports.count(deliveries),
        "Failed": f"{int(failed):,} ({reports.percent(failed / deliveries if deliveries else 0)})",
        "To retry (failed, on active endpoints)": reports.count(endpoints.total("failed", active)),
    }


RECOMPUTE = {
    "orders_report": _orders_report,
    "cancelled_event_refunds": _cancelled_event_refunds,
    "refund_queue_daily": _refund_queue_daily,
    "campaign_report": _campaign_report,
    "webhook_health": _webhook_health,
}
"""Per runbook with a summary: its figures, recomputed from its tables."""


def assert_figures_add_up(notebook, name: str) -> None:
    """Every figure of runbook ``name``'s summary equals the same figure recomputed from its tables."""
    if isinstance(notebook, (str, bytes)) or hasattr(notebook, "read_text"):
        notebook = nbformat.read(notebook, as_version=4)
    shown = {key: value for key, value in figures(notebook).items() if key not in STATED}
    assert shown == RECOMPUTE[name](tables(notebook)), f"{name}: the summary disagrees with its tables"
