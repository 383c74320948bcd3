"""Consents: definitions buyers can grant, e.g. a marketing opt-in."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from flask import Response

from preo_nb.sandbox.core.access import READ, WRITE, link_errors
from preo_nb.sandbox.core.errors import conflict, forbidden, raise_if, unknown_object
from preo_nb.sandbox.marketing import render as render_marketing
from preo_nb.sandbox.marketing.models import Consent, Tables
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, typed_store

store = typed_store(Tables)

group = Group("Consents")
Json = dict[str, Any]

ORDERING = {key: attrgetter(key) for key in ("created", "modified", "order", "title")}
UPDATABLE = ("edition_id", "title", "description", "order", "enabled")


def _check_edition(org_id: str, edition_id: str | None) -> None:
    raise_if(link_errors(org_id, {"edition_id": edition_id}, {"edition_id": store().data.editions}))


@group.view
def consents_list() -> Json:
    """List consents in display order; ``edition_id`` matches edition-scoped ones exactly."""
    values = listing.filters("consents_list")
    orgs = listing.scoped_orgs(caller(), values)
    found = [
        c
        for c in store().data.consents.values()
        if c.organization_id in orgs
        and all(getattr(c, k) == values[k] for k in ("edition_id", "enabled") if k in values)
    ]
    # README 3, Ordering: consents default to their display order.
    ordered = listing.ordered("consents_list", found, ORDERING, default="order")
    return listing.paginate(ordered, render_marketing.consent)


@group.view
def consents_create() -> tuple[Json, int]:
    """Create a consent; without ``order`` it goes after the organization's last one."""
    body = read_body("consents_create")
    org_id = body["organization_id"]
    if caller().role_in(org_id) is None:
        raise unknown_object("organization_id", org_id)
    if not caller().can(org_id, WRITE):
        raise forbidden()
    _check_edition(org_id, body.get("edition_id"))
    sandbox = store()
    taken = [c.order for c in sandbox.data.consents.values() if c.organization_id == org_id]
    now = sandbox.now()
    consent = Consent(
        id=sandbox.new_id("cns_"),
        organization_id=org_id,
        title=body["title"],
        order=body.get("order", max(taken, default=0) + 1),
        created=now,
        modified=now,
        edition_id=body.get("edition_id"),
        description=body.get("description"),
        enabled=body.get("enabled", True),
    )
    sandbox.data.consents[consent.id] = consent
    return render_marketing.consent(consent), 201


@group.view
def consents_retrieve(consent_id: str) -> Json:
    """Return one consent."""
    return render_marketing.consent(caller().fetch(store().data.consents, consent_id, READ))


@group.view
def consents_delete(consent_id: str) -> Response:
    """Delete a consent no segment refers to; the customers' grants of it go too."""
    consent = caller().fetch(store().data.consents, consent_id, WRITE)
    sandbox = store()
    if any(s.consent_id == consent.id for s in sandbox.data.segments.values()):
        raise conflict("A segment refers to this consent.", "in_use")
    del sandbox.data.consents[consent.id]
    for granted in sandbox.data.consent_grants.values():
        granted.discard(consent.id)
    return Response(status=204)


@group.view
def consents_update(consent_id: str) -> Json:
    """Change the given fields; the organization cannot change."""
    consent = caller().fetch(store().data.consents, consent_id, WRITE)
    body = read_body("consents_update")
    changes = {key: body[key] for key in UPDATABLE if key in body}
    if "edition_id" in changes:
        _check_edition(consent.organization_id, changes["edition_id"])
    for key, value in changes.items():
        setattr(consent, key, value)
    consent.modified = store().now()
    return render_marketing.consent(consent)
