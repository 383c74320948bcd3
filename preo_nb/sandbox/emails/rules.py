"""Email message rules: who may touch which scope, copies, and what keeps a message in use.

Kept apart from the views so they read as the workflow (README 4.1 Roles,
4.7 adopt/duplicate/update/delete).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from preo_nb.sandbox.commerce.models import Edition
from preo_nb.sandbox.core.access import READ, WRITE, Caller
from preo_nb.sandbox.core.errors import conflict, field_error, forbidden, unknown_object
from preo_nb.sandbox.core.store import AnyStore
from preo_nb.sandbox.emails.models import ContentBlock, EmailMessage, Store

EDITION_LINKS = {
    "transaction_receipt_email_id": "receipt",
    "refund_confirmation_email_id": "refund confirmation",
}
USERS: list[Callable[[AnyStore, str], str | None]] = []
"""Other domains' users of a message: each says what uses it (None: nothing of theirs).

The marketing domain adds its unfinished campaigns when it registers.
"""


def require_read(caller: Caller, message: EmailMessage) -> None:
    """Platform messages are readable by everyone; others need staff in their organization."""
    if message.organization_id is not None:
        caller.require(message.organization_id, READ)


def require_write(caller: Caller, message: EmailMessage) -> None:
    """Refuse changes to platform messages (409 read_only) and below manager (403).

    Raises:
        ApiError: 404 outside the caller's organizations, 409 or 403 as above.
    """
    require_read(caller, message)
    if message.organization_id is None:
        raise conflict("Platform email messages are read-only; adopt one to change it.", "read_only")
    caller.require(message.organization_id, WRITE)


def require_preview(caller: Caller, message: EmailMessage) -> None:
    """Previews need staff: in the message's organization, or anywhere for platform messages."""
    require_read(caller, message)
    if message.organization_id is None and not caller.orgs(READ):
        raise forbidden()


def body_edition(store: Store, caller: Caller, edition_id: str, org_id: str | None = None) -> Edition:
    """Return the edition a body names: one the caller belongs to (and of ``org_id`` if given).

    Raises:
        ApiError: 400 on ``edition_id`` otherwise (other organizations' ids are not revealed).
    """
    edition = store.data.editions.get(edition_id)
    if edition is None or caller.role_in(edition.organization_id) is None:
        raise unknown_object("edition_id", edition_id)
    if org_id is not None and edition.organization_id != org_id:
        raise field_error("edition_id", "The edition must belong to the message's organization.")
    return edition


def scope_of_new(store: Store, caller: Caller, org_id: str, body: dict[str, Any]) -> tuple[str, str | None]:
    """Return the scope and edition of a message to create (scope defaults from ``edition_id``).

    Raises:
        ApiError: 400 on ``edition_id`` when it is missing for, or given with, the
            scope, or names no edition of the organization.
    """
    edition_id = body.get("edition_id")
    scope = body.get("scope") or ("edition" if edition_id else "template")
    if scope == "edition" and not edition_id:
        raise field_error("edition_id", "This field is required when scope is edition.")
    if scope == "template" and edition_id:
        raise field_error("edition_id", "A template belongs to no edition; leave edition_id out.")
    if edition_id:
        body_edition(store, caller, edition_id, org_id)
    return scope, edition_id


def copy_message(store: Store, source: EmailMessage, **changes: Any) -> EmailMessage:
    """Store a copy of a message, blocks included (new ids), with ``changes`` applied."""
    now = store.now()
    made = copy.copy(source)
    made.id = store.new_id("eml_")
    made.content_blocks = [
        ContentBlock(store.new_id("blk_"), b.block_type, b.position, copy.deepcopy(b.content))
        for b in source.content_blocks
    ]
    made.created = made.modified = now
    for name, value in changes.items():
        setattr(made, name, value)
    store.data.email_messages[made.id] = made
    return made


def user_of(store: Store, message_id: str) -> str | None:
    """Say what still uses a message: an edition link or an unfinished campaign (None if nothing)."""
    for edition in store.data.editions.values():
        for field, label in EDITION_LINKS.items():
            if getattr(edition, field) == message_id:
                return f"edition {edition.id} (its {label} email)"
    return next((found for user in USERS if (found := user(store, message_id)) is not None), None)


def check_title(body: dict[str, Any]) -> None:
    """Refuse a blank title (400 on title)."""
    if "title" in body and not str(body["title"]).strip():
        raise field_error("title", "This field may not be blank.")
