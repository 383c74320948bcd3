"""What a list's items already carry, so a job can skip the detail reads (issue 19).

The contract's orders list declares no ``purchases`` on its items, but a server may
send them anyway. A page's embedded purchases are used only when every order on it
carries a non-empty list of complete ``Purchase`` objects that name that order: an
empty or partial list may be a summary, and trusting it would lose purchases silently.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from preo_nb import _values, contract

Page = Sequence[dict[str, Any]]
Records = list[dict[str, Any]]


@functools.cache
def _required(schema_name: str) -> frozenset[str]:
    """The fields a component schema requires, ``allOf`` parts included."""
    found: set[str] = set()
    parts = [contract.schema(schema_name)]
    while parts:
        node = contract.resolve(parts.pop())
        found.update(node.get("required", ()))
        parts.extend(node.get("allOf", ()))
    return frozenset(found)


def _complete(order: dict[str, Any]) -> bool:
    purchases = order.get("purchases")
    if not isinstance(purchases, list) or not purchases:
        return False
    needed, key = _required("Purchase"), _values.key_of(order)
    return all(isinstance(p, dict) and needed <= p.keys() and p.get("order_id") == key for p in purchases)


def purchases_in(orders: Page) -> Records | None:
    """The purchases every order of a page carries, each with its order id; None unless all are complete."""
    if not orders or not all(_complete(order) for order in orders):
        return None
    return [{**p, "order_id": _values.key_of(order)} for order in orders for p in order["purchases"]]
