"""Probes of lists: the envelope, next links, page sizes, and whether each filter is honoured."""

from __future__ import annotations

import dataclasses
import math
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from preo_nb import _embedded, _pages, contract
from preo_nb.config import MAX_PAGE_SIZE
from preo_nb.errors import PreoError
from preo_nb.probe import filter_checks
from preo_nb.probe.http_checks import _records
from preo_nb.probe.report import Probe

PAGE = 100
Rows = list[dict[str, Any]]


@dataclasses.dataclass
class Listed:
    """The first page of one list as the probe read it."""

    operation_id: str
    base: dict[str, Any]
    body: Any
    rows: Rows
    count: int | None


def run(probe: Probe) -> None:
    """Read the first page of every list, then check envelopes, links, page sizes and filters."""
    lists = _first_pages(probe)
    _envelope(probe, lists)
    longest = max(
        (x for x in lists if (x.count or len(x.rows)) >= 3), key=lambda x: x.count or len(x.rows), default=None
    )
    _next_links(probe, longest)
    _page_size(probe, longest)
    _carried_purchases(probe, next((x for x in lists if x.operation_id == "orders_list"), None))
    for listed in lists:
        _style(probe, listed)
        path = listed.base.get("_path") or contract.operations()[listed.operation_id].path
        base = {k: v for k, v in listed.base.items() if k != "_path"}
        filter_checks.check(probe, filter_checks.Sample(listed.operation_id, path, base, listed.rows, listed.count))
        _retrieve_first(probe, listed)


def _first_pages(probe: Probe) -> list[Listed]:
    found = []
    plain = [op for op in contract.operations().values() if op.is_paginated and "{" not in op.path]
    scope = _scope(probe)
    for op in plain:
        base = dict(scope) if op.operation_id == "orders_list" else {}
        body = probe.json(op.operation_id, params={**base, "page_size": PAGE})
        count = body.get("count") if isinstance(body, dict) and isinstance(body.get("count"), int) else None
        found.append(Listed(op.operation_id, base, body, _records(body), count))
    webhooks = next((x for x in found if x.operation_id == "webhooks_list" and x.rows), None)
    if webhooks:
        path = contract.operations()["webhooks_list_deliveries"].path.format(id=webhooks.rows[0].get("id"))
        body = probe.json("webhooks_list_deliveries", path, {"page_size": PAGE})
        count = body.get("count") if isinstance(body, dict) and isinstance(body.get("count"), int) else None
        found.append(Listed("webhooks_list_deliveries", {"_path": path}, body, _records(body), count))
    return found


def _scope(probe: Probe) -> dict[str, Any]:
    """An edition with orders (orders need an edition, organization or customer)."""
    for edition in _records(probe.json("editions_list", params={"page_size": 20})):
        body = probe.json("orders_list", params={"edition_id": edition.get("id"), "page_size": 1})
        if isinstance(body, dict) and _records(body):
            return {"edition_id": edition.get("id")}
    return {}


def _envelope(probe: Probe, lists: list[Listed]) -> None:
    source = contract.provenance("editions_list").parameters.get("page", "docs")
    odd = []
    for listed in lists:
        body = listed.body
        if isinstance(body, list):
            odd.append(f"{listed.operation_id}: a bare JSON array")
        elif not isinstance(body, dict):
            odd.append(f"{listed.operation_id}: no list (answered {_status_of(probe, listed.operation_id)})")
        else:
            missing = [k for k in ("count", "next", "previous", "results") if k not in body]
            if missing:
                odd.append(f"{listed.operation_id}: no {', '.join(missing)}")
    if odd:
        probe.add(
            "pagination.envelope",
            "FAIL",
            source,
            "lists are not all {count, next, previous, results}: "
            + "; ".join(odd[:4])
            + (f" (and {len(odd) - 4} more)" if len(odd) > 4 else ""),
        )
    else:
        probe.add(
            "pagination.envelope", "PASS", source, f"{len(lists)} lists answer {{count, next, previous, results}}"
        )


def _next_links(probe: Probe, listed: Listed | None) -> None:
    source = contract.provenance("editions_list").parameters.get("page", "docs")
    if listed is None:
        probe.add("pagination.next_links", "UNKNOWN", source, "no list with 3 or more records to page through")
        return
    path = listed.base.get("_path") or contract.operations()[listed.operation_id].path
    query = {k: v for k, v in listed.base.items() if k != "_path"}
    body = probe.json(listed.operation_id, path, {**query, "page_size": 1})
    link = body.get("next") if isinstance(body, dict) else None
    shape = _link_shape(link, path, {**query, "page_size": 1})
    total = listed.count or len(listed.rows)
    size = min(MAX_PAGE_SIZE, max(1, math.ceil(total / 3)))  # within the contract's bounds
    try:
        pages = _pages.read(probe.http, path, query, page_size=size, progress=False, max_pages=probe.budget.pages)
        got = sum(len(page) for page in pages)
    except PreoError as exc:
        probe.add("pagination.next_links", "FAIL", source, f"{listed.operation_id} read {size} per page: {exc}")
        return
    if shape != "page numbers":
        probe.add(
            "pagination.next_links",
            "FAIL",
            source,
            f"{listed.operation_id}: next links are {shape}, not page numbers; preo_nb follows them one "
            f"page at a time ({got} records read whole)",
        )
    else:
        probe.add(
            "pagination.next_links",
            "PASS",
            source,
            f"{listed.operation_id}: page-number links; {got} records read whole at {size} per page",
        )


def _style(probe: Probe, listed: Listed) -> None:
    """Name how one list pages: page/page_size (the contract), limit/offset, cursor links, or one page."""
    name = f"pagination.style.{listed.operation_id}"
    source = contract.provenance(listed.operation_id).parameters.get("page", "docs")
    path = listed.base.get("_path") or contract.operations()[listed.operation_id].path
    query = {k: v for k, v in listed.base.items() if k != "_path"}
    if (listed.count or len(listed.rows)) < 2:
        probe.add(name, "UNKNOWN", source, "fewer than two records: no next page to see")
        return
    body = probe.json(listed.operation_id, path, {**query, "page_size": 1})
    link = body.get("next") if isinstance(body, dict) else None
    if not link and len(_records(body)) > 1:  # page_size was not heard: perhaps limit is
        body = probe.json(listed.operation_id, path, {**query, "limit": 1})
        link = body.get("next") if isinstance(body, dict) and len(_records(body)) == 1 else None
    found = dict(parse_qsl(urlsplit(link).query)) if isinstance(link, str) else {}
    if "page" in found:
        probe.add(name, "PASS", source, "page/page_size: next links carry page numbers")
    elif "offset" in found or "limit" in found:
        shown = urlsplit(link or "").query[:80]
        probe.add(name, "FAIL", source, f"limit/offset paging (next: ?{shown}); page and page_size are not used")
    elif link:
        probe.add(name, "FAIL", source, f"cursor links (next: ?{urlsplit(link).query[:60]}), not page numbers")
    else:
        rows = len(_records(body))
        probe.add(name, "FAIL", source, f"page_size=1 (and limit=1) gave {rows} record(s) and no next link")


def _link_shape(link: Any, path: str, query: dict[str, Any]) -> str:
    if not isinstance(link, str) or not link:
        return "missing"
    parts = urlsplit(link)
    found = dict(parse_qsl(parts.query))
    number = found.pop("page", None)
    if number == "2" and found == {k: str(v) for k, v in query.items()} and parts.path.rstrip("/") == path:
        return "page numbers"
    return f"another kind ({parts.path}?{parts.query[:60]})"


def _page_size(probe: Probe, listed: Listed | None) -> None:
    params = contract.provenance("editions_list").parameters
    source = "inferred" if params.get("page_size") else "docs"  # the maximum is an inferred keyword
    if listed is None:
        probe.add("pagination.page_size", "UNKNOWN", source, "no list with 3 or more records")
        return
    path = listed.base.get("_path") or contract.operations()[listed.operation_id].path
    query = {k: v for k, v in listed.base.items() if k != "_path"}
    two = _records(probe.json(listed.operation_id, path, {**query, "page_size": 2}))
    big = probe.json(listed.operation_id, path, {**query, "page_size": MAX_PAGE_SIZE})
    total = big.get("count") if isinstance(big, dict) and isinstance(big.get("count"), int) else None
    got, name = len(_records(big)), listed.operation_id
    if len(two) != 2:
        probe.add("pagination.page_size", "FAIL", source, f"{name}: page_size=2 gave {len(two)} records")
    elif total is not None and got < min(total, MAX_PAGE_SIZE):
        probe.add(
            "pagination.page_size",
            "FAIL",
            source,
            f"{name}: page_size={MAX_PAGE_SIZE} gave {got} of {total} records: the server caps pages at "
            f"{got}, not {MAX_PAGE_SIZE} (preo_nb follows the links, so lists stay whole)",
        )
    elif total is not None and total > MAX_PAGE_SIZE:
        probe.add("pagination.page_size", "PASS", source, f"{name}: pages of {MAX_PAGE_SIZE} of {total} records")
    else:
        probe.add(
            "pagination.page_size",
            "UNKNOWN",
            source,
            f"{name}: page_size 2 and {MAX_PAGE_SIZE} honoured, but no list is longer than "
            f"{MAX_PAGE_SIZE} here, so the maximum cannot be measured",
        )


def _carried_purchases(probe: Probe, orders: Listed | None) -> None:
    """Say whether orders list items carry their complete purchases (then ``orders.purchases`` skips details)."""
    name, source = "lists.orders_carry_purchases", contract.schema("OrderDetail").get("x-source", "inferred")
    if orders is None or not orders.rows:
        probe.add(name, "UNKNOWN", source, "no orders to look at: cannot tell whether list items carry purchases")
    elif _embedded.purchases_in(orders.rows) is not None:
        probe.add(
            name,
            "PASS",
            source,
            f"all {len(orders.rows)} orders listed carry complete purchases: "
            "orders.purchases reads them from the list, no detail per order",
        )
    else:
        probe.add(
            name,
            "PASS",
            source,
            "orders list items do not all carry complete purchases (the contract "
            "declares none): orders.purchases reads one order detail per order",
        )


def _retrieve_first(probe: Probe, listed: Listed) -> None:
    """GET the first record by its id, so its full body is checked too."""
    group = listed.operation_id.rsplit("_", 1)[0]
    operation = contract.operations().get(f"{group}_retrieve")
    if operation is None or not listed.rows or listed.operation_id.endswith("deliveries"):
        return
    key = listed.rows[0].get("id", listed.rows[0].get("api_id"))
    detail = probe.json(operation.operation_id, operation.path.format(id=key))
    purchases = detail.get("purchases") if isinstance(detail, dict) else None
    if operation.operation_id == "orders_retrieve" and purchases:
        path = contract.operations()["purchases_retrieve"].path.format(id=purchases[0].get("api_id"))
        probe.json("purchases_retrieve", path)


def _status_of(probe: Probe, operation_id: str) -> str:
    statuses = [str(reply.status) for op, reply in probe.seen if op == operation_id]
    return statuses[-1] if statuses else "nothing"
