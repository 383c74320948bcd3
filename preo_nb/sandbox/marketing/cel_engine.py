"""Segment conditions: the CEL variables and functions, evaluated per customer.

The engine is the ``common-expression-language`` package (``import cel``). A
condition is compiled once; one ``cel.Context`` holds the four functions and
is refilled with the variables of each customer, and only with the variables
the condition names, so a condition made of function calls costs about a
microsecond per customer.

What a condition sees (README 4.4), for a segment of organization O and
edition E (or every edition of O when the segment has none):

* ``user``: the customer; absent text (e-mail, phone, locale) is ``""`` so
  ``user.email != ""`` tests for an address; ``user.consents`` are the ids of
  the consents of O the customer granted.
* ``purchases`` / ``orders``: the customer's purchases and orders in scope,
  every status.
* ``has_purchased(id)`` / ``has_product_type(type)``: whether a *bought*
  purchase in scope is for that product / of that type; bought means status
  paid, partially_refunded or refunded (``BOUGHT``).
* ``total_spent()``: the sum of ``price`` (no deposit, no fee, refunds not
  subtracted) of the bought purchases in scope, a double rounded to cents.
* ``days_since(t)``: whole days from timestamp ``t`` to the sandbox clock's
  now (negative for a future ``t``).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import cel

from preo_nb.cel import guarded
from preo_nb.sandbox.commerce.models import Customer, Order, Purchase
from preo_nb.sandbox.core.values import ZERO
from preo_nb.sandbox.marketing.models import Store

BOUGHT = ("paid", "partially_refunded", "refunded")
PURCHASE_STATUSES = ("pending", "paid", "partially_refunded", "refunded", "cancelled")
ROOTS = ("user", "edition_id", "purchases", "orders")
USER_FIELDS = (
    "id",
    "email",
    "phone_number",
    "first_name",
    "last_name",
    "locale",
    "created",
    "consents",
)
Json = dict[str, Any]


class ConditionError(Exception):
    """A condition failed for one customer at run time (the calculation fails)."""


@dataclass
class Subject:
    """One customer as a condition sees it: the CEL variables and what the functions read."""

    user: Json
    purchases: list[Json] = field(default_factory=list)
    orders: list[Json] = field(default_factory=list)

    def variables(self, edition_id: str) -> Json:
        """The CEL variables, by root name."""
        return {
            "user": self.user,
            "edition_id": edition_id,
            "purchases": self.purchases,
            "orders": self.orders,
        }


def user_map(customer: Customer, consents: Iterable[str]) -> Json:
    """The ``user`` variable of a customer."""
    return {
        "id": customer.id,
        "email": customer.email or "",
        "phone_number": customer.phone_number or "",
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "locale": customer.locale or "",
        "created": customer.created,
        "consents": sorted(consents),
    }


def purchase_map(purchase: Purchase, product_type: str) -> Json:
    """One item of the ``purchases`` variable (the sandbox has no product categories)."""
    return {
        "product_id": purchase.product_id,
        "product_type": product_type,
        "category_ids": [],
        "status": purchase.status,
        "price": float(purchase.price),
        "created": purchase.created,
    }


def order_map(order: Order) -> Json:
    """One item of the ``orders`` variable."""
    return {
        "order_number": order.order_number,
        "status": order.status,
        "type": order.type,
        "amount": float(order.amount),
        "created": order.created,
    }


def _argument(name: str, args: tuple[Any, ...], kind: type, label: str) -> Any:
    """Return the one argument of a condition function, or raise the TypeError CEL reports."""
    if len(args) != 1:
        raise TypeError(f"{name}() takes 1 argument, {len(args)} given")
    if not isinstance(args[0], kind):
        raise TypeError(f"{name}() takes a {label}, not {type(args[0]).__name__}")
    return args[0]


def functions(current: Callable[[], Subject], now: datetime) -> dict[str, Callable[..., Any]]:
    """The four condition functions, reading the customer ``current()`` returns."""

    def bought() -> list[Json]:
        return [p for p in current().purchases if p["status"] in BOUGHT]

    def has_purchased(*args: Any) -> bool:
        wanted = _argument("has_purchased", args, str, "string")
        return any(p["product_id"] == wanted for p in bought())

    def has_product_type(*args: Any) -> bool:
        wanted = _argument("has_product_type", args, str, "string")
        return any(p["product_type"] == wanted for p in bought())

    def total_spent(*args: Any) -> float:
        if args:
            raise TypeError(f"total_spent() takes no arguments, {len(args)} given")
        total = sum((Decimal(str(p["price"])) for p in bought()), ZERO)
        return float(round(total, 2))

    def days_since(*args: Any) -> int:
        moment: datetime = _argument("days_since", args, datetime, "timestamp")
        return (now - moment).days

    return {
        "has_purchased": has_purchased,
        "has_product_type": has_product_type,
        "total_spent": total_spent,
        "days_since": days_since,
    }


def brief(exc: BaseException) -> str:
    """The engine's error text without its boilerplate (the cause, first sentence)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    wrapped = re.search(r"Python function call failed: \w+: (.*?)\. Check function", text)
    if wrapped:
        return wrapped[1]
    return text.split(". ")[0].rstrip(".")


def cel_type(value: Any) -> str:
    """The CEL name of a result's type (``double`` rather than float)."""
    names = {bool: "bool", int: "int", float: "double", str: "string", list: "list", dict: "map", bytes: "bytes"}
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, timedelta):
        return "duration"
    return names.get(type(value), type(value).__name__)


class Runner:
    """Evaluates one compiled condition for subject after subject."""

    def __init__(self, program: cel.Program, *, edition_id: str | None, now: datetime) -> None:
        self.program = program
        self.edition_id = edition_id or ""
        self._subject = Subject(user={})
        self._needed = set(program.references()["variables"]) & set(ROOTS)
        self.context = cel.Context(functions=functions(lambda: self._subject, now))

    def run(self, subject: Subject) -> Any:
        """Return the condition's value for ``subject`` (exceptions of the engine pass through)."""
        self._subject = subject
        if self._needed:
            variables = subject.variables(self.edition_id)
            self.context.update({name: variables[name] for name in self._needed})
        # The engine prints a line to stderr when a Python function raises; the
        # error is reported through the API instead.
        with contextlib.redirect_stderr(io.StringIO()), guarded():
            return self.program.execute(self.context)

    def test(self, subject: Subject) -> bool:
        """Whether ``subject`` meets the condition.

        Raises:
            ConditionError: The condition failed or did not give a bool.
        """
        try:
            value = self.run(subject)
        except Exception as exc:  # the engine raises many kinds; each one fails the run
            raise ConditionError(f"The condition failed for user {subject.user['id']}: {brief(exc)}") from None
        if not isinstance(value, bool):
            kind = cel_type(value)
            raise ConditionError(f"The condition gave a {kind}, not a bool, for user {subject.user['id']}.")
        return value


@dataclass
class Scope:
    """The customers and data a condition sees: an organization, maybe one edition."""

    store: Store
    organization_id: str
    edition_id: str | None = None

    def subjects(self) -> list[tuple[Customer, Subject]]:
        """Every customer with an order in the organization, with its data in scope, in customer order."""
        tables = self.store.data
        buyers = {o.customer_id for o in tables.orders.values() if o.organization_id == self.organization_id}
        orders: dict[str, list[Json]] = defaultdict(list)
        purchases: dict[str, list[Json]] = defaultdict(list)
        for order in tables.orders.values():
            if order.organization_id == self.organization_id and self._sees(order.edition_id):
                orders[order.customer_id].append(order_map(order))
                for purchase_id in order.purchase_ids:
                    purchase = tables.purchases[purchase_id]
                    kind = tables.products[purchase.product_id].type
                    purchases[order.customer_id].append(purchase_map(purchase, kind))
        granted = self.granted()
        return [
            (c, Subject(user_map(c, granted.get(c.id, ())), purchases[c.id], orders[c.id]))
            for c in tables.customers.values()
            if c.id in buyers
        ]

    def _sees(self, edition_id: str) -> bool:
        return self.edition_id is None or edition_id == self.edition_id

    def granted(self) -> dict[str, set[str]]:
        """Customer id -> the consents of the organization it granted."""
        tables = self.store.data
        mine = {c.id for c in tables.consents.values() if c.organization_id == self.organization_id}
        return {customer: ids & mine for customer, ids in tables.consent_grants.items()}
