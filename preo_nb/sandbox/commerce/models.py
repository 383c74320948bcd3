"""The records of the commerce groups: events, editions, products, customers, orders, refunds.

Records hold Python values (``Decimal`` money, aware ``datetime``); ``render.py``
turns them into the JSON shapes of the contract. Keeping the two apart lets the
seeder and the rules work on exact money without caring about wire formats.
Organizations and staff members are in ``core.access`` (every group needs them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

from preo_nb.sandbox.core import store as core
from preo_nb.sandbox.core.values import ZERO

PRODUCT_TYPES = ("ticket", "food", "drink", "deposit", "rental")


@dataclass
class Event:
    """A recurring event; editions are its occurrences."""

    id: str
    organization_id: str
    name: str


@dataclass
class Edition:
    """One edition of an event, with its configuration."""

    id: str
    organization_id: str
    event_id: str | None
    name: str
    slug: str
    created: datetime
    modified: datetime
    timezone: str = "Europe/Copenhagen"
    start_date: datetime | None = None
    end_date: datetime | None = None
    default_country_code: str = "+45"
    default_language: str = "en"
    enabled_languages: list[str] = field(default_factory=lambda: ["en"])
    tax_type: str = "vat"
    fee_rule_id: str | None = None
    merchant_account_id: str | None = None
    meta_image_id: str | None = None
    transaction_receipt_email_id: str | None = None
    refund_confirmation_email_id: str | None = None
    is_draft: bool = False
    is_archived: bool = False


@dataclass
class Product:
    """Something an edition sells; ``type`` is one of PRODUCT_TYPES."""

    id: str
    edition_id: str
    type: str
    name: str
    price: Decimal
    deposit: Decimal
    image: str | None = None
    is_draft: bool = False


@dataclass
class PickupPoint:
    """A place at the venue where goods are handed out and refunds paid."""

    id: str
    edition_id: str
    name: str
    is_draft: bool = False


@dataclass
class Customer:
    """An end user who buys (the API's ``User``)."""

    id: str
    email: str | None
    first_name: str
    last_name: str
    phone_number: str | None
    locale: str | None
    created: datetime
    modified: datetime

    @property
    def full_name(self) -> str:
        """First and last name joined."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Transaction:
    """The payment of one order."""

    id: str
    order_id: str
    type: str
    status: str
    service: str
    amount: Decimal
    service_fee: Decimal
    handling_fee: Decimal
    created: datetime
    refunded_amount: Decimal = ZERO
    currency: str = "eur"

    @property
    def available_refund_amount(self) -> Decimal:
        """What can still be refunded."""
        return self.amount - self.refunded_amount


@dataclass
class Order:
    """An order; its purchases are listed in ``purchase_ids``."""

    id: str
    order_number: str
    status: str
    type: str
    amount: Decimal
    edition_id: str
    organization_id: str
    customer_id: str
    transaction_id: str | None
    created: datetime
    modified: datetime
    purchase_ids: list[str] = field(default_factory=list)
    currency: str = "eur"


@dataclass
class Purchase:
    """One item of an order."""

    id: str
    order_id: str
    edition_id: str
    product_id: str
    customer_id: str
    transaction_id: str | None
    vendor_code: str
    status: str
    price: Decimal
    deposit: Decimal
    fee: Decimal
    created: datetime
    modified: datetime
    variant: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    refunded_amount: Decimal = ZERO
    currency: str = "eur"

    @property
    def total(self) -> Decimal:
        """Price, deposit and fee together."""
        return self.price + self.deposit + self.fee

    @property
    def remaining(self) -> Decimal:
        """What has not been refunded of this purchase yet."""
        return self.total - self.refunded_amount


@dataclass
class RefundRequest:
    """A refund request and where it is in its workflow (README 4.2)."""

    id: str
    organization_id: str
    edition_id: str
    purchase_id: str
    transaction_id: str
    scope: str
    reason: str
    status: str
    amount: Decimal
    staff_id: str
    created: datetime
    modified: datetime
    comment: str | None = ""
    pickup_point_id: str | None = None
    service_response: dict[str, Any] = field(default_factory=dict)
    refund_date: datetime | None = None


@dataclass
class OrgObject:
    """A named object of an organization that editions link to.

    Fee rules and merchant accounts only need an id, a name and an owner
    here (email messages have their own record: ``emails.models``).
    """

    id: str
    organization_id: str
    name: str
    kind: str = ""
    edition_id: str | None = None


@dataclass
class Tables(core.Tables):
    """The commerce tables: events, editions and their catalogs, customers, sales, refund requests."""

    events: dict[str, Event] = field(default_factory=dict)
    editions: dict[str, Edition] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    pickup_points: dict[str, PickupPoint] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    purchases: dict[str, Purchase] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    refunds: dict[str, RefundRequest] = field(default_factory=dict)
    fee_rules: dict[str, OrgObject] = field(default_factory=dict)
    merchant_accounts: dict[str, OrgObject] = field(default_factory=dict)


Store: TypeAlias = core.Store[Tables]
"""The store as commerce sees it (its tables and the shared ones)."""


def org_of_edition(store: Store, edition_id: str) -> str:
    """Return the organization id owning an edition."""
    return store.data.editions[edition_id].organization_id
