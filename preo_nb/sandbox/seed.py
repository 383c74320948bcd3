"""Seeding a whole sandbox: ``build(seed, scale)`` runs each domain's seeders in order.

Everything derives from ``(seed, scale)``: Faker instances seeded with
``seed_instance``, seeded ``random.Random`` instances for every choice, and
times counted from the fixed ``ANCHOR``, never the wall clock. The same seed
gives the same data and the same ids, so the order below is part of the data:
a seeder added later draws its ids after everything seeded before it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from preo_nb.sandbox.commerce import seed_editions, seed_people, seed_refunds, seed_sales
from preo_nb.sandbox.emails import seed as seed_email
from preo_nb.sandbox.files import seed as seed_files
from preo_nb.sandbox.finders import SeededStore
from preo_nb.sandbox.marketing import seed as seed_marketing
from preo_nb.sandbox.webhooks import seed as seed_webhooks


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


def build(seed: int = 1, scale: str = "small", *, clock: Callable[[], datetime] | None = None) -> SeededStore:
    """Return a store seeded from ``(seed, scale)`` with its snapshot taken.

    Args:
        seed: Any integer; the same seed gives identical data and ids.
        scale: ``tiny``, ``small``, ``medium`` or ``large`` (see ``SCALES``).
        clock: Optional clock for the store (default: starts at ``ANCHOR``).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}")
    size = SCALES[scale]
    store = SeededStore(seed, clock)
    rng = random.Random(seed)
    seed_editions.add_organizations(store)
    seed_people.add_staff(store, seed)
    windows = seed_editions.add_editions(store)
    seed_people.add_customers(store, rng, seed, size.users)
    rush = (windows[seed_editions.RUSH_EDITION], size.rush)
    seed_sales.add_orders(store, rng, windows, size.orders, rush=rush)
    seed_people.date_customers(store, rng)
    seed_refunds.add_refunds(store, rng, size.refunds)
    seed_files.add_files(store, seed)
    seed_files.add_imports(store, seed)
    seed_email.add_email_messages(store)
    seed_webhooks.add_webhooks(store)
    seed_marketing.add_marketing(store, seed)
    store.snapshot()
    return store
