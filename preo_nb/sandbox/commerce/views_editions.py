"""Editions: list, create, read, update, duplicate, field choices and healthcheck."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from operator import attrgetter
from typing import Any

from preo_nb.sandbox.commerce import render
from preo_nb.sandbox.commerce import rules_editions as rules
from preo_nb.sandbox.commerce.models import Edition, Event, Tables
from preo_nb.sandbox.core.access import READ, WRITE
from preo_nb.sandbox.core.errors import forbidden, raise_if, unknown_object
from preo_nb.sandbox.core.values import parse_datetime
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, typed_store

store = typed_store(Tables)

group = Group("Editions")

ORDERING = {key: attrgetter(key) for key in ("created", "modified", "start_date", "end_date", "name")}
UPDATABLE = (
    "name",
    "slug",
    "start_date",
    "end_date",
    "timezone",
    "default_country_code",
    "default_language",
    "enabled_languages",
    "tax_type",
    "fee_rule_id",
    "merchant_account_id",
    "meta_image_id",
    "transaction_receipt_email_id",
    "refund_confirmation_email_id",
    "is_draft",
    "is_archived",
)
Json = dict[str, Any]


def _render(edition: Edition) -> Json:
    return render.edition(store(), edition)


@group.view
def editions_list() -> Json:
    """List the editions of the caller's organizations, filtered and ordered."""
    values = listing.filters("editions_list")
    orgs = listing.scoped_orgs(caller(), values)
    now = store().now()
    found = [e for e in store().data.editions.values() if e.organization_id in orgs and _matches(e, values, now)]
    return listing.paginate(listing.ordered("editions_list", found, ORDERING), _render)


def _matches(edition: Edition, values: Json, now: datetime) -> bool:
    for flag in ("is_archived", "is_draft"):
        if flag in values and getattr(edition, flag) != values[flag]:
            return False
    return "status" not in values or render.edition_status(edition, now) == values["status"]


@group.view
def editions_create() -> tuple[Json, int]:
    """Create a draft edition in an organization where the caller is admin or manager."""
    body = read_body("editions_create")
    org_id = body["organization_id"]
    if caller().role_in(org_id) is None:
        raise unknown_object("organization_id", org_id)
    if not caller().can(org_id, WRITE):
        raise forbidden()
    return _render(_new_edition(org_id, body)), 201


def _new_edition(org_id: str, body: Json) -> Edition:
    sandbox = store()
    start = parse_datetime(body.get("start_date"))
    end = parse_datetime(body.get("end_date"))
    event = _event(org_id, body.get("event_id"))
    raise_if(rules.check_timezone(body) | rules.check_dates(start, end))
    language = body.get("default_language", "en")
    title = f"{event.name} {body['name']}" if event else body["name"]
    now = sandbox.now()
    edition = Edition(
        id=sandbox.new_id("edt_"),
        organization_id=org_id,
        event_id=event.id if event else None,
        name=body["name"],
        slug=rules.unique_slug(sandbox, rules.slugify(title)),
        created=now,
        modified=now,
        timezone=body.get("timezone", "Europe/Copenhagen"),
        start_date=start,
        end_date=end,
        default_country_code=body.get("default_country_code", "+45"),
        default_language=language,
        enabled_languages=list(body.get("enabled_languages") or [language]),
        tax_type=body.get("tax_type", "vat"),
        is_draft=True,
    )
    sandbox.data.editions[edition.id] = edition
    return edition


def _event(org_id: str, event_id: str | None) -> Event | None:
    """Return the parent event named in a body (400 unless it is the organization's)."""
    if event_id is None:
        return None
    event = store().data.events.get(event_id)
    if event is None or event.organization_id != org_id:
        raise unknown_object("event_id", event_id)
    return event


@group.view
def editions_retrieve(edition_id: str) -> Json:
    """Return one edition."""
    return _render(caller().fetch(store().data.editions, edition_id, READ))


@group.view
def editions_update(edition_id: str) -> Json:
    """Change the given fields of an edition (admin or manager)."""
    edition = caller().fetch(store().data.editions, edition_id, WRITE)
    body = read_body("editions_update")
    changes = {key: body[key] for key in UPDATABLE if key in body}
    for key in ("start_date", "end_date"):
        if key in changes:
            changes[key] = parse_datetime(changes[key])
    sandbox = store()
    start = changes.get("start_date", edition.start_date)
    end = changes.get("end_date", edition.end_date)
    errors = rules.check_timezone(changes) | rules.check_dates(start, end)
    errors |= rules.check_links(sandbox, edition.organization_id, changes)
    raise_if(errors)
    if "slug" in changes:
        rules.check_slug(sandbox, edition, changes["slug"])
    for key, value in changes.items():
        setattr(edition, key, value)
    edition.modified = sandbox.now()
    return _render(edition)


@group.view
def editions_duplicate(edition_id: str) -> tuple[Json, int]:
    """Copy an edition's configuration into a new draft without dates (README 4.7)."""
    source = caller().fetch(store().data.editions, edition_id, WRITE)
    body = read_body("editions_duplicate")
    start, end = (
        parse_datetime(body.get("start_date")),
        parse_datetime(body.get("end_date")),
    )
    raise_if(rules.check_dates(start, end))
    sandbox = store()
    now = sandbox.now()
    copy = dataclasses.replace(
        source,
        id=sandbox.new_id("edt_"),
        name=body.get("name") or f"{source.name} (copy)",
        slug=rules.unique_slug(sandbox, f"{source.slug}-copy"),
        start_date=start,
        end_date=end,
        enabled_languages=list(source.enabled_languages),
        is_draft=True,
        is_archived=False,
        created=now,
        modified=now,
    )
    sandbox.data.editions[copy.id] = copy
    return _render(copy), 201


@group.view
def editions_field_choices(edition_id: str) -> Json:
    """Return the allowed values of the edition's form fields."""
    return rules.field_choices(store(), caller().fetch(store().data.editions, edition_id, READ))


@group.view
def editions_healthcheck(edition_id: str) -> Json:
    """Run the edition's configuration checks; changes nothing."""
    return rules.healthcheck(caller().fetch(store().data.editions, edition_id, READ), store().now())
