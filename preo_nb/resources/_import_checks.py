"""Checks of the orders pushed to ``preo.data_imports.import_external_orders``.

What the contract fixes is checked before sending (required keys, at least
one item, whole quantities of at least 1, prices of 0 or more), each problem
named by its place, e.g. ``orders[2].items[0].quantity``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from preo_nb.checks import timestamp
from preo_nb.errors import PreoValidationError

ORDER_KEYS = (
    "order_id",
    "customer_email",
    "customer_phone",
    "customer_first_name",
    "customer_last_name",
    "created",
    "items",
)
ITEM_KEYS = ("product_code", "quantity", "unit_price", "item_id", "product_name")


def _fail(where: str, message: str) -> PreoValidationError:
    return PreoValidationError("orders", f"{where} {message}")


def _text(value: Any, where: str, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"must be a non-empty string, not {value!r}")


def check_orders(orders: Any) -> list[dict[str, Any]]:
    """Return the orders as JSON-ready dicts (``created`` as UTC ISO 8601), or raise naming the place."""
    if isinstance(orders, str | bytes) or not isinstance(orders, Sequence) or not orders:
        raise PreoValidationError("orders", "must be a non-empty list of order dicts")
    return [_order(order, f"orders[{n}]") for n, order in enumerate(orders)]


def _order(order: Any, where: str) -> dict[str, Any]:
    if not isinstance(order, Mapping):
        raise _fail(where, f"must be a dict, not {type(order).__name__}")
    unknown = sorted(set(order) - set(ORDER_KEYS))
    if unknown:
        raise _fail(where, f"has unknown keys {unknown}; use {', '.join(ORDER_KEYS)}")
    _text(order.get("order_id"), f"{where}.order_id", required=True)
    _text(order.get("customer_email"), f"{where}.customer_email", required=True)
    if "@" not in order["customer_email"]:
        raise _fail(f"{where}.customer_email", f"{order['customer_email']!r} is not an e-mail address")
    items = order.get("items")
    if isinstance(items, str | bytes) or not isinstance(items, Sequence) or not items:
        raise _fail(f"{where}.items", "must be a non-empty list of item dicts")
    body = {key: value for key, value in order.items() if value is not None}
    body["items"] = [_item(item, f"{where}.items[{n}]") for n, item in enumerate(items)]
    if "created" in body:
        body["created"] = timestamp(body["created"], "orders")
    return body


def _item(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise _fail(where, f"must be a dict, not {type(item).__name__}")
    unknown = sorted(set(item) - set(ITEM_KEYS))
    if unknown:
        raise _fail(where, f"has unknown keys {unknown}; use {', '.join(ITEM_KEYS)}")
    _text(item.get("product_code"), f"{where}.product_code", required=True)
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise _fail(f"{where}.quantity", f"must be a whole number of at least 1, not {quantity!r}")
    price = item.get("unit_price")
    if price is not None and (
        isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price) or price < 0
    ):
        raise _fail(f"{where}.unit_price", f"must be an amount of 0 or more, not {price!r}")
    return {key: value for key, value in item.items() if value is not None}
