"""The commerce domain as the sandbox registers it: its tables, its seeding, its views.

Commerce is the ground the other domains stand on: organizations, staff,
editions, customers, sales and refund requests. ``SCALES`` says how much of it
each scale seeds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from preo_nb.sandbox.commerce import seed_editions, seed_people, seed_refunds, seed_sales
from preo_nb.sandbox.commerce.models import Store, Tables
from preo_nb.sandbox.core.domain import Domain


@dataclass(frozen=True)
class Scale:
    """How much to seed: customers, orders, a multiplier of the refund mix, festival rush orders.

    ``rush`` orders are added to the current festival edition (NF26) on top of
    ``orders``: bar and food orders during its first days, with bigger baskets
    (see ``seed_sales.RUSH_BASKETS``); ``large`` uses them for a 100k-order edition.
    """

    users: int
    orders: int
    refunds: int
    rush: int = 0


SCALES = {
    "tiny": Scale(users=60, orders=200, refunds=1),
    "small": Scale(users=500, orders=2_000, refunds=4),
    "medium": Scale(users=5_000, orders=20_000, refunds=40),
    "large": Scale(users=10_000, orders=2_000, refunds=4, rush=100_000),
}


def seed(store: Store, seed: int, scale: str) -> None:
    """Add organizations, staff, editions, customers, orders and refund requests, in that order."""
    size = SCALES[scale]
    rng = random.Random(seed)
    seed_editions.add_organizations(store)
    seed_people.add_staff(store, seed)
    windows = seed_editions.add_editions(store)
    seed_people.add_customers(store, rng, seed, size.users)
    rush = (windows[seed_editions.RUSH_EDITION], size.rush)
    seed_sales.add_orders(store, rng, windows, size.orders, rush=rush)
    seed_people.date_customers(store, rng)
    seed_refunds.add_refunds(store, rng, size.refunds)


DOMAIN = Domain(
    tables=Tables,
    seed=seed,
    views=("views_orders", "views_editions", "views_refunds"),
)
