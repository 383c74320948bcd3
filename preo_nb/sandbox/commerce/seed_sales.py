"""Deterministic seed data: catalogs, and orders with purchases and payments.

Money follows README 3: Decimal arithmetic, half-up to cents. A transaction's
amount is the sum of its purchases' price + deposit + fee; purchase statuses
follow the order status (refunds change them later, in ``seed_refunds``).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

from preo_nb.sandbox.commerce.models import (
    Edition,
    Order,
    PickupPoint,
    Product,
    Purchase,
    Store,
    Transaction,
)
from preo_nb.sandbox.core.values import ZERO, money

CATALOG = (  # (type, name, price, deposit)
    ("ticket", "Day ticket", "89", "0"),
    ("ticket", "Weekend pass", "229", "0"),
    ("ticket", "VIP upgrade", "120", "0"),
    ("food", "Burger", "12.5", "0"),
    ("food", "Falafel wrap", "9.5", "0"),
    ("food", "Pizza slice", "6", "0"),
    ("food", "Fries", "5", "0"),
    ("drink", "Draft beer", "7.5", "1"),
    ("drink", "Cider", "7", "1"),
    ("drink", "Soda", "4", "1"),
    ("drink", "Coffee", "3.5", "0"),
    ("deposit", "Reusable cup", "0", "2"),
    ("rental", "Locker", "15", "10"),
    ("rental", "Power bank", "6", "20"),
)
PICKUP_POINTS = {
    "drink": "Main bar",
    "food": "Food court",
    "deposit": "Cup return",
    "rental": "Rental booth",
}
VARIANTS = {
    "Day ticket": ("Adult", "Adult", "Student"),
    "Weekend pass": ("Adult", "Student"),
    "Draft beer": ("0.4 l", "0.5 l"),
    "Cider": ("0.4 l", "0.5 l"),
}
TYPE_WEIGHTS = {
    "online": {"ticket": 85, "rental": 10, "food": 5},
    "in-person": {"drink": 45, "food": 30, "deposit": 10, "rental": 15},
}
STATUS_WEIGHTS = {
    "online": {"completed": 82, "confirmed": 8, "pending": 5, "cancelled": 5},
    "in-person": {"completed": 97, "cancelled": 3},
}
PURCHASE_STATUS = {
    "completed": "paid",
    "confirmed": "paid",
    "pending": "pending",
    "cancelled": "cancelled",
}
PAYMENT_STATUS = {
    "completed": "completed",
    "confirmed": "completed",
    "pending": "pending",
    "cancelled": "cancelled",
}
BASKETS = ((1, 2, 3, 4), (50, 30, 15, 5))
RUSH_BASKETS = ((1, 2, 3, 4, 5), (25, 30, 20, 15, 10))
"""Items per rush order: rounds at the bar during the festival (2.55 on average)."""
SERVICES = {
    "online": (("stripe", "adyen"), (60, 40)),
    "in-person": (("card_terminal", "cash"), (80, 20)),
}


@dataclass(frozen=True)
class SalesWindow:
    """When and how one seeded edition sold."""

    edition: Edition
    code: str
    share: float
    online_only: bool
    online_from: datetime
    in_person_from: datetime
    until: datetime


def add_catalog(store: Store, edition: Edition, price_factor: str) -> None:
    """Add an edition's pickup points and products (prices scaled, to half euros)."""
    for name in (*dict.fromkeys(PICKUP_POINTS.values()), "Info desk"):
        point = PickupPoint(store.new_id("pup_"), edition.id, name)
        store.data.pickup_points[point.id] = point
    factor = Decimal(price_factor)
    for kind, name, price, deposit in CATALOG:
        halves = (Decimal(price) * factor * 2).to_integral_value(rounding=ROUND_HALF_UP)
        product_id = store.new_id("prd_")
        store.data.products[product_id] = Product(
            id=product_id,
            edition_id=edition.id,
            type=kind,
            name=name,
            price=money(halves / 2),
            deposit=money(deposit),
            image=f"https://media.sandbox.preo.dev/products/{product_id}.jpg",
        )


@dataclass
class _Plan:
    """One order to seed: where, when and how; the rest is filled in as it is built."""

    window: SalesWindow
    created: datetime
    kind: str
    basket: tuple[tuple[int, ...], tuple[int, ...]] = BASKETS
    buyer: str = ""
    number: str = ""
    status: str = ""
    order_id: str = ""
    payment_id: str = ""


def add_orders(
    store: Store,
    rng: random.Random,
    windows: list[SalesWindow],
    count: int,
    *,
    rush: tuple[SalesWindow, int] | None = None,
) -> None:
    """Add ``count`` orders, numbered per edition in the order they were placed.

    Args:
        rush: An edition's window and a number of extra in-person orders placed
            during that edition, with bigger baskets (``RUSH_BASKETS``).
    """
    drawn = [_plan(rng, windows) for _ in range(count)]
    if rush is not None and rush[1]:
        drawn += [_rush_plan(rng, rush[0]) for _ in range(rush[1])]
    plans = sorted(drawn, key=attrgetter("created"))
    _assign_buyers(store, rng, plans)
    catalog = _catalog_by_type(store)
    numbers: Counter[str] = Counter()
    for plan in plans:
        code = plan.window.code
        numbers[code] += 1
        plan.number = f"{code}-{numbers[code]:06d}"
        _add_order(store, rng, catalog[plan.window.edition.id], plan)


def _plan(rng: random.Random, windows: list[SalesWindow]) -> _Plan:
    window = rng.choices(windows, [w.share for w in windows])[0]
    online = window.online_only or rng.random() < 0.4
    start = window.online_from if online else window.in_person_from
    span = int((window.until - start).total_seconds())
    created = start + timedelta(seconds=rng.randrange(span))
    return _Plan(window, created, "online" if online else "in-person")


def _rush_plan(rng: random.Random, window: SalesWindow) -> _Plan:
    span = int((window.until - window.in_person_from).total_seconds())
    created = window.in_person_from + timedelta(seconds=rng.randrange(span))
    return _Plan(window, created, "in-person", RUSH_BASKETS)


def _assign_buyers(store: Store, rng: random.Random, plans: list[_Plan]) -> None:
    """Pick buyers: most customers buy from one organization, a few from both.

    Within an organization every customer gets an order while orders last.
    """
    orgs = list(store.data.organizations)
    pools: dict[str, list[str]] = {org: [] for org in orgs}
    for customer in store.data.customers:
        roll = rng.random()
        homes = orgs[:1] if roll < 0.75 else orgs[1:] if roll < 0.92 else orgs
        for org in homes:
            pools[org].append(customer)
    for org in orgs:
        mine = [p for p in plans if p.window.edition.organization_id == org]
        pool = pools[org] or list(store.data.customers)
        extra = max(0, len(mine) - len(pool))
        buyers = pool + [rng.choice(pool) for _ in range(extra)]
        rng.shuffle(buyers)
        for plan, buyer in zip(mine, buyers, strict=False):
            plan.buyer = buyer


def _catalog_by_type(store: Store) -> dict[str, dict[str, list[Product]]]:
    found: dict[str, dict[str, list[Product]]] = defaultdict(lambda: defaultdict(list))
    for product in store.data.products.values():
        found[product.edition_id][product.type].append(product)
    return found


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _add_order(store: Store, rng: random.Random, catalog: dict[str, list[Product]], plan: _Plan) -> None:
    plan.status = _weighted(rng, STATUS_WEIGHTS[plan.kind])
    plan.order_id, plan.payment_id = store.new_id("ord_"), store.new_id("trx_")
    bought = []
    for _ in range(rng.choices(*plan.basket)[0]):
        product = rng.choice(catalog[_weighted(rng, TYPE_WEIGHTS[plan.kind])])
        bought.append(_add_purchase(store, rng, plan, product))
    payment = _add_payment(store, rng, plan, bought)
    edition = plan.window.edition
    store.data.orders[plan.order_id] = Order(
        id=plan.order_id,
        order_number=plan.number,
        status=plan.status,
        type=plan.kind,
        amount=payment.amount,
        edition_id=edition.id,
        organization_id=edition.organization_id,
        customer_id=plan.buyer,
        transaction_id=payment.id,
        created=plan.created,
        modified=plan.created,
        purchase_ids=[p.id for p in bought],
    )


def _add_purchase(store: Store, rng: random.Random, plan: _Plan, product: Product) -> Purchase:
    purchase = Purchase(
        id=store.new_id("pur_"),
        order_id=plan.order_id,
        edition_id=product.edition_id,
        product_id=product.id,
        customer_id=plan.buyer,
        transaction_id=plan.payment_id,
        vendor_code=f"{rng.getrandbits(32):08X}",
        status=PURCHASE_STATUS[plan.status],
        price=product.price,
        deposit=product.deposit,
        fee=_fee(product, plan.kind),
        created=plan.created,
        modified=plan.created,
        variant=_variant(rng, product),
        metadata={
            "product_type": product.type,
            "pickup_point": _pickup_name(product, plan.kind),
        },
    )
    store.data.purchases[purchase.id] = purchase
    return purchase


def _fee(product: Product, kind: str) -> Decimal:
    """Online sales carry a 4% service fee (at least 0.50); free items none."""
    if kind != "online" or product.price <= 0:
        return ZERO
    return max(Decimal("0.50"), money(product.price * Decimal("0.04")))


def _variant(rng: random.Random, product: Product) -> str | None:
    choices = VARIANTS.get(product.name)
    return rng.choice(choices) if choices else None


def _pickup_name(product: Product, kind: str) -> str | None:
    if product.type == "ticket" or (kind == "online" and product.type != "rental"):
        return None
    return PICKUP_POINTS[product.type]


def _add_payment(store: Store, rng: random.Random, plan: _Plan, bought: list[Purchase]) -> Transaction:
    fees = sum((p.fee for p in bought), ZERO)
    service_fee = money(fees * Decimal("0.75"))
    names, weights = SERVICES[plan.kind]
    payment = Transaction(
        id=plan.payment_id,
        order_id=plan.order_id,
        type=plan.kind,
        status=PAYMENT_STATUS[plan.status],
        service=rng.choices(names, weights)[0],
        amount=sum((p.total for p in bought), ZERO),
        service_fee=service_fee,
        handling_fee=fees - service_fee,
        created=plan.created,
    )
    store.data.transactions[payment.id] = payment
    return payment
