"""Finding interesting seeded objects, for tests and notebooks.

``build()`` returns a ``SeededStore``: the core ``Store`` plus these helpers.
They return the objects as the API shows them to the admin token (plain dicts,
``purchase["api_id"]``), so what a test finds here can be compared with what the
client gets. "First" means first in seeded order: with the same seed, a lookup
names the same object every run. Every helper holds the store lock, so it is
safe while requests are served. Nothing in the sandbox itself uses them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from preo_nb.sandbox.commerce import render, rules_refunds
from preo_nb.sandbox.commerce.models import Purchase, Store, org_of_edition
from preo_nb.sandbox.core.values import iso
from preo_nb.sandbox.domains import LISTENERS, Tables

Json = dict[str, Any]


class SeededStore(Store):
    """A store of every domain's tables, with helpers that find seeded objects.

    For example ``store.find_purchase(has_deposit=True)``.
    """

    def __init__(self, seed: int = 1, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(Tables, seed, clock, listeners=LISTENERS)

    def org_of_edition(self, edition_id: str) -> str:
        """Return the organization id owning an edition."""
        return org_of_edition(self, edition_id)

    def org(self, n: int = 1) -> Json:
        """Return the ``n``-th seeded organization (1-based) as ``{id, name}``."""
        org = self.data.organizations[self.org_id(n)]
        return {"id": org.id, "name": org.name}

    def staff(self, role: str) -> Json:
        """Return the token holder of a role (admin, manager, staff, guest)."""
        return render.staff_user(self.data.staff[self.data.role_staff[role]])

    def edition(self, org: int = 1, n: int = 1) -> Json:
        """Return the ``n``-th edition (1-based, seeded order) of organization ``org``."""
        org_id = self.org_id(org)
        with self.lock:
            mine = [e for e in self.data.editions.values() if e.organization_id == org_id]
            return render.edition(self, mine[n - 1])

    def first_edition(self, org: int = 1) -> Json:
        """Return the first seeded edition of organization ``org`` (its past one)."""
        return self.edition(org, 1)

    def busiest_edition(self) -> Json:
        """Return the edition with the most orders."""
        with self.lock:
            counts = Counter(o.edition_id for o in self.data.orders.values())
            busiest = max(self.data.editions, key=lambda e: counts[e])
            return render.edition(self, self.data.editions[busiest])

    def recent_since(self, edition_id: str, *, days: int = 7) -> str:
        """Return the time ``days`` before an edition's newest order (ISO, UTC)."""
        with self.lock:
            newest = max(o.created for o in self.data.orders.values() if o.edition_id == edition_id)
        return str(iso(newest - timedelta(days=days)))

    def orders(self, *, edition_id: str | None = None, status: str | None = None) -> list[Json]:
        """Return orders (Order rows), optionally of one edition and status."""
        with self.lock:
            return [
                render.order(self, o)
                for o in self.data.orders.values()
                if edition_id in (None, o.edition_id) and status in (None, o.status)
            ]

    def purchases(self, *, org: int | None = None, **criteria: Any) -> list[Json]:
        """Return purchases (full Purchase shape) matching every criterion.

        Args:
            org: Only purchases of this organization (1-based seeded number).
            **criteria: Any of ``edition_id``, ``status``, ``product_type``
                (ticket, food, drink, deposit, rental), ``has_deposit`` (bool),
                ``refundable`` (bool: paid or partially refunded, money left,
                no open refund request), ``order_type``, ``order_status``,
                ``multi_item`` (bool: its order has several purchases).
        """
        org_id = self.org_id(org) if org is not None else None
        with self.lock:
            tests = [_test(self, name, value) for name, value in criteria.items()]
            return [
                render.purchase(self, p)
                for p in self.data.purchases.values()
                if org_id in (None, org_of_edition(self, p.edition_id)) and all(test(p) for test in tests)
            ]

    def find_purchase(self, *, org: int | None = None, **criteria: Any) -> Json:
        """Return the first purchase matching ``purchases(...)`` criteria."""
        return _first(self.purchases(org=org, **criteria), criteria)

    def refunds(self, *, org: int | None = None, status: str | None = None) -> list[Json]:
        """Return refund requests, optionally of one organization and status."""
        org_id = self.org_id(org) if org is not None else None
        with self.lock:
            return [
                render.refund(self, r, can_decide=True)
                for r in self.data.refunds.values()
                if org_id in (None, r.organization_id) and status in (None, r.status)
            ]

    def find_refund(self, *, org: int | None = None, status: str | None = None) -> Json:
        """Return the first refund request with that organization and status."""
        return _first(self.refunds(org=org, status=status), {"org": org, "status": status})

    def product_type(self, purchase: Purchase) -> str:
        """Return the type of the product a purchase is for."""
        return rules_refunds.product_type(self, purchase)

    def has_open_refund(self, purchase_id: str) -> bool:
        """Whether a refund request for the purchase is still open."""
        return rules_refunds.has_open_refund(self, purchase_id)

    def is_refundable(self, purchase_id: str) -> bool:
        """Whether a new refund request could take money from this purchase."""
        return rules_refunds.is_refundable(self, purchase_id)


def _test(store: Store, name: str, value: Any) -> Callable[[Purchase], bool]:
    tests: dict[str, Callable[[Purchase], bool]] = {
        "edition_id": lambda p: p.edition_id == value,
        "status": lambda p: p.status == value,
        "product_type": lambda p: rules_refunds.product_type(store, p) == value,
        "has_deposit": lambda p: (p.deposit > 0) == value,
        "refundable": lambda p: rules_refunds.is_refundable(store, p.id) == value,
        "order_type": lambda p: store.data.orders[p.order_id].type == value,
        "order_status": lambda p: store.data.orders[p.order_id].status == value,
        "multi_item": lambda p: (len(store.data.orders[p.order_id].purchase_ids) > 1) == value,
    }
    if name not in tests:
        raise TypeError(f"unknown purchase criterion {name!r}; use one of {sorted(tests)}")
    return tests[name]


def _first(found: list[Json], criteria: Any) -> Json:
    if not found:
        raise LookupError(f"nothing matches {criteria}")
    return found[0]
