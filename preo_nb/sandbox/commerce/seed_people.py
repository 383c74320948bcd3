"""Deterministic seed data: the staff token holders and the customers.

Names come from Faker instances seeded with ``seed_instance``; every other
choice from the caller's ``random.Random``; sign-up times from the orders.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from faker import Faker

from preo_nb.sandbox.commerce.models import Customer, Store
from preo_nb.sandbox.core.access import StaffMember
from preo_nb.sandbox.core.clock import ANCHOR

STAFF_ROLES = {
    "admin": ("admin", "admin"),
    "manager": ("manager", "staff"),
    "staff": ("staff", None),
    "guest": ("guest", None),
}
"""Role of each token holder in organization 1 and 2 (None: no membership)."""

LOCALES = (  # (locale, Faker locale, phone prefix, digits, weight)
    ("da", "da_DK", "+45", 8, 35),
    ("en", "en_GB", "+44", 10, 25),
    ("nl", "nl_NL", "+31", 9, 20),
    ("se", "sv_SE", "+46", 9, 10),
    ("pl", "pl_PL", "+48", 9, 5),
    (None, "en_GB", "+44", 10, 5),
)
AVATARS = "https://media.sandbox.preo.dev/avatars"
DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
_ASCII = str.maketrans({"æ": "ae", "ø": "o", "ł": "l", "ß": "ss", "đ": "d"})


def _faker(locale: str, seed: int) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


def add_staff(store: Store, seed: int) -> None:
    """Add the four token holders, one per role (see STAFF_ROLES)."""
    fake = _faker("en_GB", seed)
    orgs = [org.id for org in store.data.organizations.values()]
    for role, (first_role, second_role) in STAFF_ROLES.items():
        roles = {org: r for org, r in zip(orgs, (first_role, second_role), strict=True) if r}
        first, last = fake.first_name(), fake.last_name()
        phone = f"+45{20_000_000 + len(store.data.staff)}" if role != "guest" else None
        avatar = f"{AVATARS}/{role}.png" if role == "admin" else None
        member = StaffMember(
            id=store.new_id("usr_"),
            email=f"{_ascii(first)}.{_ascii(last)}@staff.example.com",
            first_name=first,
            last_name=last,
            phone_number=phone,
            roles=roles,
            avatar=avatar,
        )
        store.data.staff[member.id] = member
        store.data.role_staff[role] = member.id


def add_customers(store: Store, rng: random.Random, seed: int, count: int) -> None:
    """Add ``count`` customers with locale-matched names, e-mails and phones."""
    fakers = {spec[1]: _faker(spec[1], seed) for spec in LOCALES}
    weights = [spec[4] for spec in LOCALES]
    emails: set[str] = set()
    for _ in range(count):
        locale, faker_locale, prefix, digits, _weight = rng.choices(LOCALES, weights)[0]
        fake = fakers[faker_locale]
        first, last = fake.first_name(), fake.last_name()
        email = _email(rng, first, last, emails) if rng.random() > 0.02 else None
        has_phone = email is None or rng.random() > 0.1
        phone = f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}" if has_phone else None
        customer = Customer(store.new_id("usr_"), email, first, last, phone, locale, ANCHOR, ANCHOR)
        store.data.customers[customer.id] = customer


def _email(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    local = f"{_ascii(first)}.{_ascii(last)}"
    email = f"{local}@{rng.choice(DOMAINS)}"
    while email in taken:
        email = f"{local}{rng.randrange(1, 1000)}@{rng.choice(DOMAINS)}"
    taken.add(email)
    return email


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.lower().translate(_ASCII))
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum()) or "user"


def date_customers(store: Store, rng: random.Random) -> None:
    """Sign each customer up a little before its first order."""
    first_order: dict[str, datetime] = {}
    for order in store.data.orders.values():
        known = first_order.get(order.customer_id)
        if known is None or order.created < known:
            first_order[order.customer_id] = order.created
    for customer in store.data.customers.values():
        before = first_order.get(customer.id, ANCHOR)
        customer.created = before - timedelta(seconds=rng.randrange(3600, 60 * 86400))
        customer.modified = customer.created
