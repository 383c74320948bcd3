"""Ways to find interesting objects through the API alone, so cassettes can replay them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import preo_nb


def first_edition(preo: preo_nb.Client) -> dict[str, Any]:
    """The oldest edition the caller can see."""
    return next(preo.editions.iterate(ordering="created"))


def find_purchase(preo: preo_nb.Client, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first purchase (oldest orders first) that passes ``test`` and has no refund request yet."""
    edition = first_edition(preo)["id"]
    for order in preo.orders.iterate(edition_id=edition, status="completed", ordering="created"):
        for purchase in preo.orders.retrieve(order["id"])["purchases"]:
            if test(purchase) and preo.refunds.list(purchase_id=purchase["api_id"]).empty:
                return purchase
    raise LookupError("no such purchase in the first edition")


def paid(purchase: dict[str, Any]) -> bool:
    return purchase["status"] == "paid"


def paid_with_deposit(purchase: dict[str, Any]) -> bool:
    return paid(purchase) and purchase["deposit"] > 0
