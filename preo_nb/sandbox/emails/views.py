"""Email messages: list, create, read, change, delete, adopt, duplicate, preview, variables."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from preo_nb.sandbox.core.access import WRITE
from preo_nb.sandbox.core.errors import conflict, field_error, forbidden, get_or_404, unknown_object
from preo_nb.sandbox.emails import preview as email_preview
from preo_nb.sandbox.emails import render as render_email
from preo_nb.sandbox.emails import rules
from preo_nb.sandbox.emails.models import EmailMessage, Tables
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, typed_store

store = typed_store(Tables)

group = Group("Email Messages")
Json = dict[str, Any]
ORDERING = {key: attrgetter(key) for key in ("created", "modified", "title")}
UPDATABLE = ("title", "subject", "type", "template")


def _get(message_id: str) -> EmailMessage:
    message = get_or_404(store().data.email_messages, message_id)
    rules.require_read(caller(), message)
    return message


def _detail(message: EmailMessage) -> Json:
    return render_email.message_detail(message)


@group.view
def email_messages_list() -> Json:
    """List the messages of the caller's organizations plus Preo's platform messages."""
    values = listing.filters("email_messages_list")
    orgs = listing.scoped_orgs(caller(), values)
    with_platform = "organization_id" not in values
    plain = {k: v for k, v in values.items() if k in ("edition_id", "scope", "type")}
    found = [
        m
        for m in store().data.email_messages.values()
        if (m.organization_id in orgs or (m.organization_id is None and with_platform))
        and all(getattr(m, k) == v for k, v in plain.items())
    ]
    ordered = listing.ordered("email_messages_list", found, ORDERING)
    return listing.paginate(ordered, render_email.message)


@group.view
def email_messages_create() -> tuple[Json, int]:
    """Create an empty template or edition message (blocks are managed elsewhere)."""
    body = read_body("email_messages_create")
    org_id = body["organization_id"]
    if caller().role_in(org_id) is None:
        raise unknown_object("organization_id", org_id)
    if not caller().can(org_id, WRITE):
        raise forbidden()
    rules.check_title(body)
    scope, edition_id = rules.scope_of_new(store(), caller(), org_id, body)
    now = store().now()
    message = EmailMessage(
        id=store().new_id("eml_"),
        organization_id=org_id,
        title=body["title"],
        type=body["type"],
        scope=scope,
        created=now,
        modified=now,
        edition_id=edition_id,
        template=body.get("template", "modern"),
    )
    store().data.email_messages[message.id] = message
    return render_email.message(message), 201


@group.view
def email_messages_retrieve(message_id: str) -> Json:
    """Return one message with its content blocks."""
    return _detail(_get(message_id))


@group.view
def email_messages_update(message_id: str) -> Json:
    """Change title, subject, type or layout (not of platform messages)."""
    message = _get(message_id)
    rules.require_write(caller(), message)
    body = read_body("email_messages_update")
    rules.check_title(body)
    for key in UPDATABLE:
        if key in body:
            setattr(message, key, body[key])
    message.modified = store().now()
    return _detail(message)


@group.view
def email_messages_delete(message_id: str) -> tuple[str, int]:
    """Delete a template or edition message nothing uses any more."""
    message = _get(message_id)
    rules.require_write(caller(), message)
    user = rules.user_of(store(), message.id)
    if user is not None:
        raise conflict(f"This email message is still used by {user}.", "in_use")
    del store().data.email_messages[message.id]
    return "", 204


@group.view
def email_messages_adopt(message_id: str) -> tuple[Json, int]:
    """Copy a template or platform message, blocks included, into an edition of its own."""
    source = _get(message_id)
    body = read_body("email_messages_adopt")
    if source.scope == "edition":
        raise conflict("This message already belongs to an edition; duplicate it instead.", "invalid_state")
    edition = rules.body_edition(store(), caller(), body["edition_id"], source.organization_id)
    caller().require(edition.organization_id, WRITE)
    copied = rules.copy_message(
        store(), source, scope="edition", organization_id=edition.organization_id, edition_id=edition.id
    )
    return _detail(copied), 201


@group.view
def email_messages_duplicate(message_id: str) -> tuple[Json, int]:
    """Copy a template or edition message in its own scope, titled "<title> (copy)"."""
    source = _get(message_id)
    rules.require_write(caller(), source)
    body = read_body("email_messages_duplicate")
    rules.check_title(body)
    changes: Json = {"title": body.get("title") or f"{source.title} (copy)"}
    target = body.get("edition_id")
    if target is not None:
        if source.scope != "edition":
            raise field_error("edition_id", "Only edition messages can be moved to an edition; use adopt.")
        changes["edition_id"] = rules.body_edition(store(), caller(), target, source.organization_id).id
    return _detail(rules.copy_message(store(), source, **changes)), 201


@group.view
def email_messages_preview(message_id: str) -> Json:
    """Render subject and HTML with sample data, or the given context; sends nothing."""
    message = _get(message_id)
    rules.require_preview(caller(), message)
    body = read_body("email_messages_preview")
    return email_preview.preview(store(), message, body.get("language"), body.get("context") or {})


@group.view
def email_messages_template_variables(message_id: str) -> Json:
    """Return the variables a message of this type may use."""
    return email_preview.template_variables(store(), _get(message_id))
