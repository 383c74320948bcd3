"""Seeded email messages: content for the editions' own, Preo's platform set, templates.

The editions' messages are created by ``add_edition_messages`` while commerce
seeds editions (it calls it for each new edition: ``EDITION_SEEDERS``; no ids
besides the messages' own are drawn there, so every later seeded id stays the same).
``add_email_messages`` runs after commerce and files are seeded and draws the
block, platform and template ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from preo_nb.sandbox.commerce.models import Edition
from preo_nb.sandbox.commerce.seed_editions import EditionSpec
from preo_nb.sandbox.core.clock import ANCHOR
from preo_nb.sandbox.emails.models import ContentBlock, EmailMessage, Store

Text = dict[str, str]
SUBJECTS = {
    "receipt": "Your receipt for {{ edition.name }}",
    "receipt_online": "Your tickets for {{ edition.name }}",
    "reminder": "{{ edition.name }} starts soon",
    "refund_confirmation": "Your refund from {{ organization.name }}",
    "user_portal_access": "Your link to your tickets",
    "campaign": "News from {{ edition.name }}",
    "other": "A message from {{ organization.name }}",
}
_THANKS: Text = {
    "en": "Thank you for your order, {{ user.first_name }}!",
    "da": "Tak for din bestilling, {{ user.first_name }}!",
    "nl": "Bedankt voor je bestelling, {{ user.first_name }}!",
}
_ORDER: Text = {
    "en": "Order {{ order.order_number }}: {{ purchases }}. Total {{ order.amount }}.",
    "da": "Ordre {{ order.order_number }}: {{ purchases }}. I alt {{ order.amount }}.",
    "nl": "Bestelling {{ order.order_number }}: {{ purchases }}. Totaal {{ order.amount }}.",
}
BODIES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "receipt": [("heading", {"text": _THANKS, "level": 1}), ("text", {"text": _ORDER})],
    "receipt_online": [
        ("heading", {"text": _THANKS, "level": 1}),
        ("text", {"text": _ORDER}),
        (
            "button",
            {
                "label": {"en": "Show my tickets", "da": "Vis mine billetter", "nl": "Toon mijn tickets"},
                "url": "https://tickets.preo.dev/orders/{{ order.order_number }}",
            },
        ),
    ],
    "reminder": [
        (
            "heading",
            {
                "text": {
                    "en": "See you soon, {{ user.first_name }}",
                    "da": "Vi ses snart, {{ user.first_name }}",
                    "nl": "Tot snel, {{ user.first_name }}",
                },
                "level": 1,
            },
        ),
        (
            "text",
            {
                "text": {
                    "en": "{{ edition.name }} starts on {{ edition.start_date }}.",
                    "da": "{{ edition.name }} starter {{ edition.start_date }}.",
                    "nl": "{{ edition.name }} begint op {{ edition.start_date }}.",
                }
            },
        ),
        ("text", {"text": _ORDER}),
    ],
    "refund_confirmation": [
        (
            "heading",
            {
                "text": {
                    "en": "Your refund is on its way",
                    "da": "Din refusion er på vej",
                    "nl": "Je terugbetaling is onderweg",
                },
                "level": 1,
            },
        ),
        (
            "text",
            {
                "text": {
                    "en": "Hi {{ user.first_name }}, we refunded {{ refund.amount }} ({{ refund.reason }}).",
                    "da": "Hej {{ user.first_name }}, vi har refunderet {{ refund.amount }} ({{ refund.reason }}).",
                    "nl": "Hoi {{ user.first_name }}, we hebben {{ refund.amount }} terugbetaald "
                    "({{ refund.reason }}).",
                }
            },
        ),
    ],
    "user_portal_access": [
        (
            "text",
            {
                "text": {
                    "en": "Hi {{ user.first_name }}, here is your link.",
                    "da": "Hej {{ user.first_name }}, her er dit link.",
                    "nl": "Hoi {{ user.first_name }}, hier is je link.",
                }
            },
        ),
        (
            "button",
            {
                "label": {"en": "Open my tickets", "da": "Åbn mine billetter", "nl": "Open mijn tickets"},
                "url": "{{ portal_url }}",
            },
        ),
    ],
    "campaign": [
        ("image", {"url": "https://cdn.preo.dev/sandbox/banner.png", "alt": {"en": "Festival banner"}}),
        (
            "heading",
            {
                "text": {
                    "en": "News from {{ edition.name }}",
                    "da": "Nyt fra {{ edition.name }}",
                    "nl": "Nieuws van {{ edition.name }}",
                },
                "level": 1,
            },
        ),
        (
            "text",
            {
                "text": {
                    "en": "Hi {{ user.first_name }}, the line-up is complete.",
                    "da": "Hej {{ user.first_name }}, programmet er klar.",
                    "nl": "Hoi {{ user.first_name }}, de line-up is compleet.",
                }
            },
        ),
        ("divider", {}),
        (
            "text",
            {
                "text": {
                    "en": "Unsubscribe: {{ unsubscribe_url }}",
                    "da": "Afmeld: {{ unsubscribe_url }}",
                    "nl": "Afmelden: {{ unsubscribe_url }}",
                }
            },
        ),
    ],
    "other": [
        (
            "text",
            {
                "text": {
                    "en": "Hi {{ user.first_name }},",
                    "da": "Hej {{ user.first_name }},",
                    "nl": "Hoi {{ user.first_name }},",
                }
            },
        )
    ],
}
FOOTER: list[tuple[str, dict[str, Any]]] = [
    ("spacer", {"height": 24}),
    (
        "text",
        {"text": {"en": "{{ organization.name }}", "da": "{{ organization.name }}", "nl": "{{ organization.name }}"}},
    ),
]
PLATFORM_TITLES = {
    "receipt": "Preo receipt",
    "receipt_online": "Preo online receipt",
    "reminder": "Preo reminder",
    "refund_confirmation": "Preo refund confirmation",
    "user_portal_access": "Preo portal access",
    "campaign": "Preo newsletter",
    "other": "Preo blank message",
}
TEMPLATES = (
    ("Newsletter", "campaign"),
    ("Refund confirmation", "refund_confirmation"),
    ("Portal access", "user_portal_access"),
)
PLATFORM_CREATED = ANCHOR - timedelta(days=600)


def edition_message(
    message_id: str, org_id: str, title: str, kind: str, edition_id: str, created: datetime
) -> EmailMessage:
    """Return an edition's own message without blocks (they are added by ``add_email_messages``)."""
    return EmailMessage(
        id=message_id,
        organization_id=org_id,
        title=title,
        type=kind,
        scope="edition",
        created=created,
        modified=created,
        edition_id=edition_id,
        subject=SUBJECTS[kind],
    )


def add_edition_messages(store: Store, edition: Edition, spec: EditionSpec) -> None:
    """Give a newly seeded edition its own messages and link its receipt and refund confirmation."""
    kinds = ["receipt_online", "receipt", "reminder"]
    if spec.refund_email:
        kinds.append("refund_confirmation")
    for kind in kinds:
        title = f"{kind.replace('_', ' ').capitalize()} - {spec.event} {spec.name}"
        message = edition_message(
            store.new_id("eml_"), edition.organization_id, title, kind, edition.id, edition.created
        )
        store.data.email_messages[message.id] = message
        if kind == "receipt_online":
            edition.transaction_receipt_email_id = message.id
        if kind == "refund_confirmation":
            edition.refund_confirmation_email_id = message.id


def add_email_messages(store: Store) -> None:
    """Give the editions' messages content; add Preo's platform messages and organization templates."""
    for message in list(store.data.email_messages.values()):
        edition = store.data.editions[message.edition_id or ""]
        message.content_blocks = blocks(store, message.type, edition.enabled_languages)
    for kind, title in PLATFORM_TITLES.items():
        _add(store, None, title, kind, "platform", PLATFORM_CREATED)
    for org in store.data.organizations.values():
        created = min(e.created for e in store.data.editions.values() if e.organization_id == org.id)
        for title, kind in TEMPLATES:
            _add(store, org.id, title, kind, "template", created - timedelta(days=7))


def _add(store: Store, org_id: str | None, title: str, kind: str, scope: str, created: datetime) -> None:
    message = EmailMessage(
        id=store.new_id("eml_"),
        organization_id=org_id,
        title=title,
        type=kind,
        scope=scope,
        created=created,
        modified=created,
        subject=SUBJECTS[kind],
    )
    message.content_blocks = blocks(store, kind)
    store.data.email_messages[message.id] = message


def blocks(store: Store, kind: str, languages: Sequence[str] | None = None) -> list[ContentBlock]:
    """Return fresh blocks (new ids) with the seeded content of a message type.

    Args:
        languages: Keep only texts in these languages (English stays as the fallback);
            default every seeded language.
    """
    specs = BODIES[kind] + FOOTER
    return [
        ContentBlock(store.new_id("blk_"), block_type, position, _copy(content, languages))
        for position, (block_type, content) in enumerate(specs)
    ]


def _copy(content: dict[str, Any], languages: Sequence[str] | None) -> dict[str, Any]:
    keep = None if languages is None else {*languages, "en"}
    return {
        k: {lang: text for lang, text in v.items() if keep is None or lang in keep} if isinstance(v, dict) else v
        for k, v in content.items()
    }
