"""Campaigns: CRUD, schedule, send-now, cancel and stats (README 4.3)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import partial
from operator import attrgetter
from typing import Any

from flask import Response

from preo_nb.sandbox.core.access import READ, WRITE, link_errors
from preo_nb.sandbox.core.errors import conflict, forbidden, invalid, raise_if, unknown_object
from preo_nb.sandbox.marketing import render as render_marketing
from preo_nb.sandbox.marketing import rules as campaign_rules
from preo_nb.sandbox.marketing.models import (
    CAMPAIGN_EDITABLE,
    CAMPAIGN_FINAL,
    CAMPAIGN_RUNNING,
    Campaign,
    Tables,
)
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, services, typed_store

store = typed_store(Tables)

group = Group("Campaigns")
Json = dict[str, Any]

ORDERING = {key: attrgetter(key) for key in ("created", "modified", "name", "scheduled_at", "total_recipients")}
UPDATABLE = ("name", "segment_id", "channel", "email_message_id", "sms_body")
EQUAL_FILTERS = ("channel", "edition_id", "status")


def _render(campaign: Campaign) -> Json:
    return render_marketing.campaign(store(), campaign)


def check_links(org_id: str, body: Json) -> None:
    """Refuse an edition, segment or email message that is not the organization's (400)."""
    tables = store().data
    links: dict[str, Mapping[str, Any]] = {
        "edition_id": tables.editions,
        "segment_id": tables.segments,
        "email_message_id": tables.email_messages,
    }
    raise_if(link_errors(org_id, body, links))


def _require(campaign: Campaign, allowed: tuple[str, ...], action: str) -> None:
    if campaign.status not in allowed:
        raise conflict(f"A {campaign.status} campaign cannot be {action}.", "invalid_state")


@group.view
def campaigns_list() -> Json:
    """List campaigns, newest first; reading a list never advances one."""
    values = listing.filters("campaigns_list")
    orgs = listing.scoped_orgs(caller(), values)
    found = listing.select(store().data.campaigns.values(), values, orgs, EQUAL_FILTERS)
    ordered = listing.ordered("campaigns_list", found, ORDERING)
    return listing.paginate(ordered, partial(render_marketing.campaign_summary, store()))


@group.view
def campaigns_create() -> tuple[Json, int]:
    """Create a draft campaign for a segment of the same organization."""
    body = read_body("campaigns_create")
    org_id = body["organization_id"]
    if caller().role_in(org_id) is None:
        raise unknown_object("organization_id", org_id)
    if not caller().can(org_id, WRITE):
        raise forbidden()
    check_links(org_id, body)
    sandbox = store()
    now = sandbox.now()
    campaign = Campaign(
        id=sandbox.new_id("cmp_"),
        organization_id=org_id,
        edition_id=body["edition_id"],
        segment_id=body["segment_id"],
        name=body["name"],
        channel=body["channel"],
        created=now,
        modified=now,
        email_message_id=body.get("email_message_id"),
    )
    sandbox.data.campaigns[campaign.id] = campaign
    return _render(campaign), 201


@group.view
def campaigns_retrieve(campaign_id: str) -> Json:
    """Return a campaign; a due or running one first moves one step."""
    campaign = caller().fetch(store().data.campaigns, campaign_id, READ)
    campaign_rules.CAMPAIGN.advance(store(), campaign, services().faults)
    return _render(campaign)


@group.view
def campaigns_delete(campaign_id: str) -> Response:
    """Delete a campaign that is not calculating or sending."""
    campaign = caller().fetch(store().data.campaigns, campaign_id, WRITE)
    if campaign.status in CAMPAIGN_RUNNING:
        raise conflict(f"A {campaign.status} campaign cannot be deleted.", "invalid_state")
    del store().data.campaigns[campaign.id]
    return Response(status=204)


@group.view
def campaigns_update(campaign_id: str) -> Json:
    """Change the given fields of a draft or scheduled campaign (the only way to set sms_body)."""
    campaign = caller().fetch(store().data.campaigns, campaign_id, WRITE)
    body = read_body("campaigns_update")
    changes = {key: body[key] for key in UPDATABLE if key in body}
    check_links(campaign.organization_id, changes)
    if campaign.status == "scheduled":
        # A scheduled campaign must stay sendable; nothing rolls back, so a copy is checked.
        campaign_rules.check_content(dataclasses.replace(campaign, **changes))
    _require(campaign, CAMPAIGN_EDITABLE, "changed")
    for key, value in changes.items():
        setattr(campaign, key, value)
    campaign.modified = store().now()
    return _render(campaign)


@group.view
def campaigns_cancel(campaign_id: str) -> Json:
    """Cancel a campaign that has not finished."""
    campaign = caller().fetch(store().data.campaigns, campaign_id, WRITE)
    read_body("campaigns_cancel")
    if campaign.status in CAMPAIGN_FINAL:
        raise conflict(f"A {campaign.status} campaign cannot be cancelled.", "invalid_state")
    campaign.status = "cancelled"
    campaign.modified = store().now()
    return _render(campaign)


@group.view
def campaigns_schedule(campaign_id: str) -> Json:
    """Set (or move) the send time of a draft or scheduled campaign."""
    campaign = caller().fetch(store().data.campaigns, campaign_id, WRITE)
    body = read_body("campaigns_schedule")
    when = campaign_rules.send_time(store(), campaign, body["scheduled_at"])
    _ready(campaign, "scheduled")
    campaign.status = "scheduled"
    campaign.scheduled_at = when
    campaign.modified = store().now()
    return _render(campaign)


@group.view
def campaigns_send_now(campaign_id: str) -> Json:
    """Start sending at once: the campaign becomes calculating."""
    campaign = caller().fetch(store().data.campaigns, campaign_id, WRITE)
    read_body("campaigns_send_now")
    _ready(campaign, "sent")
    campaign.status = "calculating"
    campaign.modified = store().now()
    return _render(campaign)


def _ready(campaign: Campaign, action: str) -> None:
    """Content first (400), then the state (409); the segment must still exist."""
    errors = campaign_rules.content_errors(campaign)
    if campaign.segment_id not in store().data.segments:
        errors["segment_id"] = ["The segment was deleted; choose another one."]
    if errors:
        raise invalid(errors)
    _require(campaign, CAMPAIGN_EDITABLE, action)


@group.view
def campaigns_stats(campaign_id: str) -> Json:
    """Return the counters and rates (engagement stays 0 in the sandbox)."""
    return render_marketing.campaign_stats(caller().fetch(store().data.campaigns, campaign_id, READ))
