"""All sandbox state, its lock, its clock and its id generator.

Every request runs its work while holding ``Store.lock``, so views can read and
change the tables without further locking. The whole state lives in one
``Tables`` object (records plus the id generator) so a snapshot is one pickle and
a reset is one unpickle: tests get back to the seeded state in milliseconds.
"""

from __future__ import annotations

import pickle
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from preo_nb.sandbox.commerce.models import (
    Customer,
    Edition,
    Event,
    Order,
    OrgObject,
    PickupPoint,
    Product,
    Purchase,
    RefundRequest,
    Transaction,
)
from preo_nb.sandbox.core.access import Organization, StaffMember
from preo_nb.sandbox.core.clock import ANCHOR, Clock
from preo_nb.sandbox.core.ids import new_id
from preo_nb.sandbox.emails.models import EmailMessage
from preo_nb.sandbox.files.models import DataImport, StoredFile
from preo_nb.sandbox.marketing.models import Campaign, Consent, Segment
from preo_nb.sandbox.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = ["ANCHOR", "Store", "Tables"]


@dataclass
class Tables:
    """Every record, keyed by id in insertion order, plus the id generator.

    ``issued`` remembers every id handed out, so none is ever given twice, not
    even after its object was deleted.
    """

    organizations: dict[str, Organization] = field(default_factory=dict)
    staff: dict[str, StaffMember] = field(default_factory=dict)
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
    email_messages: dict[str, EmailMessage] = field(default_factory=dict)
    webhooks: dict[str, WebhookEndpoint] = field(default_factory=dict)
    deliveries: dict[str, WebhookDelivery] = field(default_factory=dict)
    outbox: list[str] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    data_imports: dict[str, DataImport] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    consent_grants: dict[str, set[str]] = field(default_factory=dict)
    wallet_passes: set[str] = field(default_factory=set)
    segments: dict[str, Segment] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    emitted: list[dict[str, Any]] = field(default_factory=list)
    ids: random.Random = field(default_factory=lambda: random.Random(0))
    issued: set[str] = field(default_factory=set)
    role_staff: dict[str, str] = field(default_factory=dict)


class Store:
    """The sandbox state plus lock, clock, ids and tokens.

    Records live in ``data`` (one table per kind); the domains' rules read and
    change them. The helpers that find seeded objects for tests and notebooks
    are in ``preo_nb.sandbox.finders`` (``SeededStore``).
    """

    def __init__(self, seed: int = 1, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], datetime] = clock or Clock()
        self.data = Tables(ids=random.Random(f"ids-{seed}"))
        self.tokens: dict[str, str] = {}
        self._snapshot: bytes | None = None
        self.generation = 0
        self.results: dict[Any, Any] = {}

    # -- remembered list results ------------------------------------------

    def touch(self) -> None:
        """Forget remembered list results: the tables may have changed.

        Every request that may change state calls this (``web.Group``), and so
        does ``reset``; code that changes ``data`` directly outside a request
        should call it too.
        """
        self.generation += 1
        self.results.clear()

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return ``compute()``, kept under ``key`` until the next ``touch``.

        Lets a list read page after page without filtering and sorting the whole
        table for each page, as a database index would (a few results at most).
        """
        with self.lock:
            if key not in self.results:
                if len(self.results) >= 8:
                    self.results.pop(next(iter(self.results)))
                self.results[key] = compute()
            return self.results[key]

    # -- time and ids -------------------------------------------------------

    def now(self) -> datetime:
        """Return the store's current time (aware UTC, whole seconds)."""
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def new_id(self, prefix: str) -> str:
        """Return a fresh id: ``prefix`` plus 12 hex digits, reproducible per seed."""
        return new_id(self.data.ids, self.data.issued, prefix)

    # -- snapshot and reset -------------------------------------------------

    def snapshot(self) -> None:
        """Remember the current state as the one ``reset`` returns to."""
        with self.lock:
            self._snapshot = pickle.dumps(self.data, protocol=pickle.HIGHEST_PROTOCOL)

    def reset(self) -> None:
        """Return to the last snapshot (the freshly seeded state) and restart the clock."""
        with self.lock:
            if self._snapshot is None:
                raise RuntimeError("no snapshot taken")
            self.data = pickle.loads(self._snapshot)  # noqa: S301 - our own bytes, never input
            self.touch()
            reset_clock = getattr(self.clock, "reset", None)
            if callable(reset_clock):
                reset_clock()

    # -- callers ------------------------------------------------------------

    def staff_for_token(self, token: str) -> StaffMember | None:
        """Return the staff member a bearer token belongs to."""
        staff_id = self.tokens.get(token)
        return self.data.staff.get(staff_id) if staff_id else None

    # -- facts the rules need -----------------------------------------------

    def org_id(self, n: int = 1) -> str:
        """Return the id of the ``n``-th seeded organization (1-based)."""
        return list(self.data.organizations)[n - 1]

    def org_of_edition(self, edition_id: str) -> str:
        """Return the organization id owning an edition."""
        return self.data.editions[edition_id].organization_id
