"""Orders: search across the caller's editions, and one order in detail."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from preo_nb.sandbox import listing, render
from preo_nb.sandbox.access import READ
from preo_nb.sandbox.errors import invalid
from preo_nb.sandbox.models import Customer, Order
from preo_nb.sandbox.web import Group, caller, get_or_404, store

group = Group("Orders")

ORDERING = {
    key: attrgetter(key)
    for key in ("created", "modified", "order_number", "status", "type", "amount")
}
SCOPING_FILTERS = ("edition_id", "organization_id", "customer_id")
Json = dict[str, Any]


@group.view
def orders_list() -> Json:
    """List orders; one of edition_id, organization_id or customer_id is required."""
    values = listing.filters("orders_list")
    if not any(name in values for name in SCOPING_FILTERS):
        raise invalid(
            {
                "non_field_errors": [
                    "One of edition_id, organization_id or customer_id is required."
                ]
            }
        )
    orgs = listing.scoped_orgs(caller(), values)
    tables = store().data

    def matching() -> list[Order]:
        tests = _tests(values)
        found = [
            order
            for order in tables.orders.values()
            if order.organization_id in orgs
            and all(test(order, tables.customers[order.customer_id]) for test in tests)
        ]
        return listing.ordered("orders_list", found, ORDERING)

    ordered = listing.remembered("orders_list", caller(), matching)
    return listing.paginate(ordered, lambda order: render.order(store(), order))


Test = Callable[[Order, Customer], bool]


def _tests(values: Json) -> list[Test]:
    """Return one test per filter given (built once per list, then run on every order)."""
    tests: dict[str, Callable[[Any], Test]] = {
        "edition_id": lambda v: lambda order, buyer: order.edition_id == v,
        "customer_id": lambda v: lambda order, buyer: order.customer_id == v,
        "transaction_id": lambda v: lambda order, buyer: order.transaction_id == v,
        "status": lambda v: lambda order, buyer: order.status == v,
        "type": lambda v: lambda order, buyer: order.type == v,
        "created_after": lambda v: lambda order, buyer: order.created >= v,
        "created_before": lambda v: lambda order, buyer: order.created < v,
        "customer_email": lambda v: lambda order, buyer: listing.contains(buyer.email, v),
        "customer_phone": lambda v: lambda order, buyer: listing.contains(buyer.phone_number, v),
        "order_number": lambda v: lambda order, buyer: listing.contains(order.order_number, v),
        "search": lambda v: lambda order, buyer: any(
            listing.contains(text, v)
            for text in (
                order.order_number,
                order.id,
                buyer.email,
                buyer.phone_number,
                order.transaction_id,
            )
        ),
    }
    return [tests[name](value) for name, value in values.items() if name in tests]


@group.view
def orders_retrieve(order_id: str) -> Json:
    """Return one order with its purchases (full Purchase shape) and transaction."""
    order = get_or_404(store().data.orders, order_id)
    caller().require(order.organization_id, READ)
    return render.order_detail(store(), order)
