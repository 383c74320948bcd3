"""Deterministic seed data of the marketing groups: consents, grants, passes, segments, campaigns.

Runs after every other seeder and draws its ids from the store after theirs,
so the seeded objects of the other groups keep their ids. Its choices come
from its own ``random.Random(f"marketing-{seed}")``; times are counted from
``ANCHOR``. Customers are not changed: the consents they granted and the
wallet passes they hold live in ``consent_grants`` and ``wallet_passes``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from preo_nb.sandbox.core.clock import ANCHOR
from preo_nb.sandbox.marketing.models import Campaign, Consent, Segment, Store
from preo_nb.sandbox.marketing.rules import members, reachable

ORG_CONSENTS = (  # (title, description, enabled, share of the buyers who granted it)
    ("E-mail newsletter and offers", "News, offers and early-bird sales by e-mail.", True, 0.55),
    ("Offers by SMS", "Offers and reminders by text message.", True, 0.30),
    ("Offers from our partners", "Partners may send you their offers.", False, 0.10),
)
PHOTO_SHARE = 0.40
PASS_SHARE = 0.70
SEGMENTS = (  # (org, edition number or None, name, condition, type, channel, consent order or None, calculated)
    (1, 2, "Drink lovers 2026", 'has_product_type("drink") && total_spent() > 50.0', "marketing", "any", None, True),
    (1, None, "Newsletter subscribers", "size(orders) > 0", "marketing", "email", 1, True),
    (
        1,
        2,
        "Ticket holders without a rental",
        'has_product_type("ticket") && !has_product_type("rental")',
        "transactional",
        "sms",
        None,
        False,
    ),
    (2, 1, "Harbour Jazz ticket buyers", 'has_product_type("ticket")', "transactional", "sms", None, False),
)


def add_marketing(store: Store, seed: int) -> None:
    """Add consents and grants per organization, wallet passes, segments and campaigns."""
    rng = random.Random(f"marketing-{seed}")
    for org_id in store.data.organizations:
        _add_consents(store, rng, org_id)
    _add_passes(store, rng)
    segments = [_add_segment(store, *spec) for spec in SEGMENTS]
    _add_campaigns(store, segments)


def _editions(store: Store, org_id: str) -> list[str]:
    return [e.id for e in store.data.editions.values() if e.organization_id == org_id]


def _add_consents(store: Store, rng: random.Random, org_id: str) -> None:
    made = ANCHOR - timedelta(days=400)
    tables = store.data
    general = []
    for order, (title, text, enabled, share) in enumerate(ORG_CONSENTS, start=1):
        consent = Consent(store.new_id("cns_"), org_id, title, order, made, made, None, text, enabled)
        tables.consents[consent.id] = consent
        general.append((consent, share))
    for edition_id in _editions(store, org_id):
        edition = tables.editions[edition_id]
        event = tables.events.get(edition.event_id or "")
        title = f"Photos and video at {event.name if event else ''} {edition.name}".replace("  ", " ")
        order = len([c for c in tables.consents.values() if c.organization_id == org_id]) + 1
        consent = Consent(
            store.new_id("cns_"),
            org_id,
            title,
            order,
            edition.created,
            edition.created,
            edition_id,
            "You may appear in photos and videos taken at the festival.",
        )
        tables.consents[consent.id] = consent
        buyers = {o.customer_id for o in tables.orders.values() if o.edition_id == edition_id}
        general.append((consent, PHOTO_SHARE if buyers else 0.0))
    _grant(store, rng, org_id, general)


def _grant(store: Store, rng: random.Random, org_id: str, consents: list[tuple[Consent, float]]) -> None:
    tables = store.data
    bought_in: dict[str, set[str]] = {}
    for order in tables.orders.values():
        if order.organization_id == org_id:
            bought_in.setdefault(order.customer_id, set()).add(order.edition_id)
    for customer in tables.customers.values():
        if customer.id not in bought_in:
            continue
        for consent, share in consents:
            roll = rng.random()
            applies = consent.edition_id is None or consent.edition_id in bought_in[customer.id]
            if applies and roll < share:
                tables.consent_grants.setdefault(customer.id, set()).add(consent.id)


def _add_passes(store: Store, rng: random.Random) -> None:
    """Customers with a paid ticket mostly added their ticket to a wallet: an active pass."""
    tables = store.data
    ticket_holders = {
        p.customer_id
        for p in tables.purchases.values()
        if p.status in ("paid", "partially_refunded") and tables.products[p.product_id].type == "ticket"
    }
    for customer_id in tables.customers:
        if rng.random() < PASS_SHARE and customer_id in ticket_holders:
            tables.wallet_passes.add(customer_id)


def _add_segment(
    store: Store,
    org: int,
    edition: int | None,
    name: str,
    condition: str,
    kind: str,
    channel: str,
    consent_order: int | None,
    calculated: bool,
) -> Segment:
    org_id = store.org_id(org)
    made = ANCHOR - timedelta(days=10)
    consent = next(
        (c.id for c in store.data.consents.values() if c.organization_id == org_id and c.order == consent_order),
        None,
    )
    segment = Segment(
        store.new_id("seg_"),
        org_id,
        name,
        condition,
        made,
        made,
        edition_id=_editions(store, org_id)[edition - 1] if edition else None,
        consent_id=consent,
        communication_type=kind,
        communication_channel=channel,
    )
    if calculated:
        done = ANCHOR - timedelta(days=3)
        segment.members = members(store, segment, done)
        segment.status, segment.user_count, segment.last_calculated = "completed", len(segment.members), done
        segment.modified = done
    store.data.segments[segment.id] = segment
    return segment


def _add_campaigns(store: Store, segments: list[Segment]) -> None:
    """Organization 1: a sent e-mail campaign, a draft SMS and a scheduled e-mail."""
    drinks, newsletter = segments[0], segments[1]
    edition_id = drinks.edition_id or ""
    message = next(
        (
            m.id
            for m in store.data.email_messages.values()
            if m.organization_id == drinks.organization_id and m.edition_id in (None, edition_id)
        ),
        None,
    )
    made = ANCHOR - timedelta(days=3)
    sent = _campaign(store, newsletter, edition_id, "Thank you for coming", "email", made)
    sent.email_message_id = message
    found = members(store, newsletter, made)
    customers = store.data.customers
    sent.user_count = len(found)
    sent.total_recipients = sum(reachable(store, customers[c], "email") for c in found)
    sent.sent_count, sent.status = sent.total_recipients, "sent"
    sent.started_at, sent.completed_at = made + timedelta(minutes=1), made + timedelta(minutes=2)
    sent.modified = sent.completed_at
    draft = _campaign(store, drinks, edition_id, "Last orders at the bar", "sms", ANCHOR - timedelta(days=1))
    draft.sms_body = "Last orders at the Main bar in 30 minutes!"
    later = _campaign(store, newsletter, edition_id, "Early birds 2027", "email", ANCHOR - timedelta(days=1))
    later.email_message_id, later.status = message, "scheduled"
    later.scheduled_at = datetime(2026, 11, 1, 10, tzinfo=ZoneInfo("Europe/Copenhagen")).astimezone(UTC)


def _campaign(store: Store, segment: Segment, edition_id: str, name: str, channel: str, made: datetime) -> Campaign:
    campaign = Campaign(
        store.new_id("cmp_"),
        segment.organization_id,
        edition_id,
        segment.id,
        name,
        channel,
        made,
        made,
    )
    store.data.campaigns[campaign.id] = campaign
    return campaign
