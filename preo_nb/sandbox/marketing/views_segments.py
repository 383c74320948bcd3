"""Segments: CRUD, the calculation workflow, CSV export and the CEL helpers (README 4.4)."""

from __future__ import annotations

import csv
import io
from operator import attrgetter
from typing import Any

from flask import Response

from preo_nb.sandbox.core.access import READ, WRITE, link_errors
from preo_nb.sandbox.core.errors import conflict, forbidden, raise_if, unknown_object
from preo_nb.sandbox.marketing import render as render_marketing
from preo_nb.sandbox.marketing.cel_checks import check, describe
from preo_nb.sandbox.marketing.models import SEGMENT_RUNNING, Segment, Tables
from preo_nb.sandbox.marketing.rules import CALCULATION, check_condition, check_length, in_use_by_campaign
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, services, typed_store

store = typed_store(Tables)

group = Group("Segments")
Json = dict[str, Any]

ORDERING = {key: attrgetter(key) for key in ("created", "modified", "name", "user_count", "last_calculated")}
DEFINITION = ("condition", "edition_id", "consent_id", "communication_type", "communication_channel")
UPDATABLE = ("name", "description", *DEFINITION)
CSV_HEADER = ("user_id", "email", "first_name", "last_name", "phone_number")
EQUAL_FILTERS = ("communication_channel", "communication_type", "edition_id", "status")


def check_links(org_id: str, body: Json) -> None:
    """Refuse an edition or consent that is not the organization's (400 on that field)."""
    tables = store().data
    raise_if(link_errors(org_id, body, {"edition_id": tables.editions, "consent_id": tables.consents}))


def _refuse_while_running(segment: Segment, action: str) -> None:
    if segment.status in SEGMENT_RUNNING:
        raise conflict(f"A {segment.status} segment cannot be {action}.", "invalid_state")


@group.view
def segments_list() -> Json:
    """List segments, newest first; reading a list never advances a calculation."""
    values = listing.filters("segments_list")
    orgs = listing.scoped_orgs(caller(), values)
    found = listing.select(store().data.segments.values(), values, orgs, EQUAL_FILTERS)
    ordered = listing.ordered("segments_list", found, ORDERING)
    return listing.paginate(ordered, render_marketing.segment)


@group.view
def segments_create() -> tuple[Json, int]:
    """Create a draft segment; the condition must validate."""
    body = read_body("segments_create")
    org_id = body["organization_id"]
    if caller().role_in(org_id) is None:
        raise unknown_object("organization_id", org_id)
    if not caller().can(org_id, WRITE):
        raise forbidden()
    check_links(org_id, body)
    check_condition(body["condition"])
    sandbox = store()
    now = sandbox.now()
    segment = Segment(
        id=sandbox.new_id("seg_"),
        organization_id=org_id,
        name=body["name"],
        condition=body["condition"],
        created=now,
        modified=now,
        edition_id=body.get("edition_id"),
        consent_id=body.get("consent_id"),
        description=body.get("description"),
        communication_type=body.get("communication_type", "marketing"),
        communication_channel=body.get("communication_channel", "any"),
    )
    sandbox.data.segments[segment.id] = segment
    return render_marketing.segment(segment), 201


@group.view
def segments_cel_context() -> Json:
    """Describe the CEL context: variables, functions, the edition's products, live values."""
    values = listing.filters("segments_cel_context")
    tables = store().data
    edition_id = values.get("edition_id")
    if edition_id is not None:
        edition = tables.editions.get(edition_id)
        if edition is None or caller().role_in(edition.organization_id) is None:
            raise unknown_object("edition_id", edition_id)
        caller().require(edition.organization_id, READ)
        mine = [p for p in tables.products.values() if p.edition_id == edition_id]
        products = [{"id": p.id, "name": p.name, "category_ids": []} for p in mine]
        return describe(products, [p.type for p in mine])
    org_id = values.get("organization_id")
    if org_id is not None and caller().role_in(org_id) is None:
        raise unknown_object("organization_id", org_id)
    orgs = listing.scoped_orgs(caller(), values)
    if not orgs:
        raise forbidden()
    editions = {e.id for e in tables.editions.values() if e.organization_id in orgs}
    return describe([], [p.type for p in tables.products.values() if p.edition_id in editions])


@group.view
def segments_validate_cel() -> Json:
    """Check a condition without saving anything: always 200 with the errors found."""
    if not caller().orgs(READ):
        raise forbidden()
    body = read_body("segments_validate_cel")
    edition_id = body.get("edition_id")
    if edition_id is not None:
        edition = store().data.editions.get(edition_id)
        if edition is None or not caller().can(edition.organization_id, READ):
            raise unknown_object("edition_id", edition_id)
    check_length(body["condition"])
    errors = check(body["condition"])
    return {"valid": not errors, "error": errors[0]["message"] if errors else None, "errors": errors}


@group.view
def segments_retrieve(segment_id: str) -> Json:
    """Return a segment; a queued calculation first moves one step."""
    segment = caller().fetch(store().data.segments, segment_id, READ)
    CALCULATION.advance(store(), segment, services().faults)
    return render_marketing.segment(segment)


@group.view
def segments_delete(segment_id: str) -> Response:
    """Delete a segment that is not calculating and no active campaign targets."""
    segment = caller().fetch(store().data.segments, segment_id, WRITE)
    _refuse_while_running(segment, "deleted")
    if in_use_by_campaign(store(), segment.id):
        raise conflict("A scheduled or running campaign targets this segment.", "in_use")
    del store().data.segments[segment.id]
    return Response(status=204)


@group.view
def segments_update(segment_id: str) -> Json:
    """Change the given fields; changing the definition sends the segment back to draft."""
    segment = caller().fetch(store().data.segments, segment_id, WRITE)
    body = read_body("segments_update")
    changes = {key: body[key] for key in UPDATABLE if key in body}
    check_links(segment.organization_id, changes)
    if "condition" in changes:
        check_condition(changes["condition"])
    _refuse_while_running(segment, "changed")
    redefined = any(getattr(segment, key) != changes[key] for key in DEFINITION if key in changes)
    for key, value in changes.items():
        setattr(segment, key, value)
    if redefined:
        segment.status = "draft"
        segment.error_message = None
    segment.modified = store().now()
    return render_marketing.segment(segment)


@group.view
def segments_export_csv(segment_id: str) -> Response:
    """Download the members of the last completed calculation as CSV."""
    segment = caller().fetch(store().data.segments, segment_id, READ)
    if segment.status != "completed":
        raise conflict(f"Only a completed segment can be exported; this one is {segment.status}.", "invalid_state")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    customers = store().data.customers
    for customer in (customers[c] for c in segment.members if c in customers):
        writer.writerow(
            [customer.id, customer.email or "", customer.first_name, customer.last_name, customer.phone_number or ""]
        )
    reply = Response(out.getvalue(), mimetype="text/csv")
    reply.headers["Content-Disposition"] = f'attachment; filename="segment-{segment.id}.csv"'
    return reply


@group.view
def segments_recalculate(segment_id: str) -> Json:
    """Queue a calculation: the segment becomes pending."""
    segment = caller().fetch(store().data.segments, segment_id, WRITE)
    read_body("segments_recalculate")
    _refuse_while_running(segment, "recalculated")
    segment.status = "pending"
    segment.error_message = None
    segment.modified = store().now()
    return render_marketing.segment(segment)


@group.view
def segments_reset_to_draft(segment_id: str) -> Json:
    """Unstick a pending or processing segment: back to draft."""
    segment = caller().fetch(store().data.segments, segment_id, WRITE)
    read_body("segments_reset_to_draft")
    if segment.status not in SEGMENT_RUNNING:
        raise conflict(
            f"Only a pending or processing segment can be reset; this one is {segment.status}.", "invalid_state"
        )
    segment.status = "draft"
    segment.modified = store().now()
    return render_marketing.segment(segment)
