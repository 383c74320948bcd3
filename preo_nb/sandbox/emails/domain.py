"""The emails domain as the sandbox registers it, and what it adds to commerce's editions.

An edition links its receipt and refund confirmation messages, and each seeded
edition gets its own messages as it is added: commerce declares those hooks and
this module fills them, so commerce never imports emails.
"""

from __future__ import annotations

from preo_nb.sandbox.commerce import rules_editions, seed_editions
from preo_nb.sandbox.core.domain import Domain
from preo_nb.sandbox.core.store import AnyStore
from preo_nb.sandbox.emails import seed as seed_emails
from preo_nb.sandbox.emails.models import EmailMessage, Store, Tables

RECEIPT_KINDS = ("receipt", "receipt_online")
"""The message types an edition's ``transaction_receipt_email_id`` may name."""


def _messages(store: AnyStore, kinds: tuple[str, ...]) -> list[EmailMessage]:
    return [m for m in store.data.email_messages.values() if m.kind in kinds]


def seed(store: Store, seed: int, scale: str) -> None:
    """Give the editions' messages content; add the platform messages and organization templates."""
    seed_emails.add_email_messages(store)


rules_editions.LINKS["transaction_receipt_email_id"] = lambda store: _messages(store, RECEIPT_KINDS)
rules_editions.LINKS["refund_confirmation_email_id"] = lambda store: _messages(store, ("refund_confirmation",))
seed_editions.EDITION_SEEDERS.append(seed_emails.add_edition_messages)

DOMAIN = Domain(tables=Tables, seed=seed, views=("views",))
