"""Orders pushed from another sales system (``import-external-orders``, README 4.5).

The body has passed the contract's schema already; this checks what the
schema cannot: order ids repeated within the body and product codes that
name no product of the edition (both 400 on ``orders``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from preo_nb.sandbox import import_rules
from preo_nb.sandbox.errors import invalid
from preo_nb.sandbox.models import money
from preo_nb.sandbox.models_files import ImportItem, ImportOrder
from preo_nb.sandbox.web import parse_datetime

if TYPE_CHECKING:
    from preo_nb.sandbox.store import Store

Json = dict[str, Any]


def parse(store: Store, edition_id: str, body: Json) -> tuple[list[ImportOrder], dict[str, str | None]]:
    """Return the body's orders and the product each code maps to.

    Raises:
        ApiError: 400 on ``orders`` for repeated order ids or unknown product codes.
    """
    country = body.get("default_country_code") or store.data.editions[edition_id].default_country_code
    orders = [_order(raw, country) for raw in body["orders"]]
    repeated = [key for key, times in Counter(o.order_id for o in orders).items() if times > 1]
    errors = [f"order_id {key!r} appears more than once." for key in repeated]
    product_map: dict[str, str | None] = {}
    for order in orders:
        for item in order.items:
            product = import_rules.find_product(store, edition_id, item.product_code)
            if item.unit_price is not None and item.unit_price < 0:
                errors.append(f"Order {order.order_id}: unit_price must not be negative.")
            if product is None:
                errors.append(f"Order {order.order_id}: no product of this edition has code {item.product_code!r}.")
            else:
                product_map[item.product_code] = product.id
    if errors:
        raise invalid({"orders": errors})
    return orders, product_map


def _order(raw: Json, country: str | None) -> ImportOrder:
    return ImportOrder(
        order_id=raw["order_id"],
        customer_email=raw["customer_email"].lower(),
        items=[_item(item) for item in raw["items"]],
        customer_phone=import_rules.normalise_phone(raw.get("customer_phone"), country),
        first_name=raw.get("customer_first_name"),
        last_name=raw.get("customer_last_name"),
        created=parse_datetime(raw.get("created")),
        rows=len(raw["items"]),
    )


def _item(raw: Json) -> ImportItem:
    price = raw.get("unit_price")
    return ImportItem(
        product_code=raw["product_code"],
        quantity=raw["quantity"],
        unit_price=None if price is None else money(price),
        product_name=raw.get("product_name"),
        item_id=raw.get("item_id"),
    )


def names(orders: list[ImportOrder]) -> dict[str, str | None]:
    """Return the first product name given for each product code."""
    found: dict[str, str | None] = {}
    for order in orders:
        for item in order.items:
            if found.get(item.product_code) is None:
                found[item.product_code] = item.product_name
    return found
