"""Deterministic seed data: organizations, their fee rules and merchant accounts, events and editions.

Each edition gets its catalog (``seed_sales.add_catalog``) and what other
domains add to a new edition (``EDITION_SEEDERS``: the emails domain its own
messages) as it is added, so the ids drawn here come in the same order on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from preo_nb.sandbox.commerce import seed_sales
from preo_nb.sandbox.commerce.models import Edition, Event, OrgObject, Store
from preo_nb.sandbox.core.access import Organization
from preo_nb.sandbox.core.clock import ANCHOR
from preo_nb.sandbox.core.store import AnyStore

RUSH_EDITION = 1
"""Index in ``EDITIONS`` of the edition that gets the rush orders (Nordlys Festival 2026)."""


@dataclass(frozen=True)
class EditionSpec:
    """One seeded edition and how it sells."""

    org: int
    event: str
    name: str
    code: str
    start: datetime
    end: datetime
    created: datetime
    timezone: str
    country: str
    languages: tuple[str, ...]
    price_factor: str
    share: float
    online_only: bool = False
    archived: bool = False
    refund_email: bool = True


EditionSeeder = Callable[[AnyStore, Edition, EditionSpec], None]
EDITION_SEEDERS: list[EditionSeeder] = []
"""What other domains add to each seeded edition as it is added (the emails domain: its messages).

They run in registration order, between the edition's links and its catalog, so
the ids they draw keep their place in the seeded sequence.
"""


def _at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


ORGANIZATIONS = ("Nordlys Festivals ApS", "Harbour Live B.V.")
EDITIONS = (
    EditionSpec(
        1,
        "Nordlys Festival",
        "2025",
        "NF25",
        _at(2025, 7, 2, 10),
        _at(2025, 7, 6, 22),
        _at(2025, 1, 10, 9),
        "Europe/Copenhagen",
        "+45",
        ("da", "en"),
        "0.9",
        0.40,
        archived=True,
    ),
    EditionSpec(
        1,
        "Nordlys Festival",
        "2026",
        "NF26",
        _at(2026, 8, 27, 10),
        _at(2026, 9, 6, 22),
        _at(2025, 11, 3, 9),
        "Europe/Copenhagen",
        "+45",
        ("da", "en"),
        "1.0",
        0.45,
    ),
    EditionSpec(
        2,
        "Harbour Jazz",
        "2026",
        "HJ26",
        _at(2026, 10, 15, 16),
        _at(2026, 10, 18, 23),
        _at(2026, 2, 16, 9),
        "Europe/Amsterdam",
        "+31",
        ("nl", "en"),
        "1.1",
        0.15,
        online_only=True,
        refund_email=False,
    ),
)


def add_organizations(store: Store) -> None:
    """Add the organizations, each with two fee rules and two merchant accounts."""
    for name in ORGANIZATIONS:
        org = Organization(store.new_id("org_"), name)
        store.data.organizations[org.id] = org
        short = name.split()[0]
        for fee in ("Standard fees 4%", "Reduced fees 2%"):
            _org_object(store, store.data.fee_rules, "fee_", org.id, fee)
        for gateway in ("Stripe", "Adyen"):
            _org_object(
                store,
                store.data.merchant_accounts,
                "mac_",
                org.id,
                f"{gateway} {short}",
            )


def _org_object(store: Store, table: dict[str, OrgObject], prefix: str, org_id: str, name: str) -> None:
    obj = OrgObject(store.new_id(prefix), org_id, name)
    table[obj.id] = obj


def add_editions(store: Store) -> list[seed_sales.SalesWindow]:
    """Add the seeded editions (and their events, catalogs and email messages); return how each sells."""
    return [_edition(store, spec) for spec in EDITIONS]


def _edition(store: Store, spec: EditionSpec) -> seed_sales.SalesWindow:
    edition = Edition(
        id=store.new_id("edt_"),
        organization_id=store.org_id(spec.org),
        event_id=_event(store, spec).id,
        name=spec.name,
        slug=f"{spec.event} {spec.name}".lower().replace(" ", "-"),
        created=spec.created,
        modified=spec.created,
        timezone=spec.timezone,
        start_date=spec.start,
        end_date=spec.end,
        default_country_code=spec.country,
        default_language=spec.languages[0],
        enabled_languages=list(spec.languages),
        is_archived=spec.archived,
    )
    store.data.editions[edition.id] = edition
    _link_edition(store, edition, spec)
    seed_sales.add_catalog(store, edition, spec.price_factor)
    return seed_sales.SalesWindow(
        edition=edition,
        code=spec.code,
        share=spec.share,
        online_only=spec.online_only,
        online_from=spec.start - timedelta(days=120),
        in_person_from=spec.start,
        until=min(spec.end, ANCHOR - timedelta(hours=1)),
    )


def _event(store: Store, spec: EditionSpec) -> Event:
    """Return the spec's event, adding it on first use."""
    for event in store.data.events.values():
        if event.name == spec.event:
            return event
    event = Event(store.new_id("evt_"), store.org_id(spec.org), spec.event)
    store.data.events[event.id] = event
    return event


def _link_edition(store: Store, edition: Edition, spec: EditionSpec) -> None:
    """Give the edition a fee rule and merchant account, then what other domains add to it."""
    org_id = edition.organization_id
    edition.fee_rule_id = _first_of(store.data.fee_rules, org_id)
    edition.merchant_account_id = _first_of(store.data.merchant_accounts, org_id)
    for seeder in EDITION_SEEDERS:
        seeder(store, edition, spec)


def _first_of(table: dict[str, OrgObject], org_id: str) -> str:
    return next(o.id for o in table.values() if o.organization_id == org_id)
