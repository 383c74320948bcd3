"""Segment membership, the segment calculation and the campaign workflow (README 4.3, 4.4).

``members`` is the one place that decides who is in a segment: the condition
over the organization's customers, then the channel filter, then (marketing
only) the consent. Segments use it when a calculation completes, campaigns
when they start sending, and the seeder for its completed examples.

The campaign workflow::

    create -> draft -schedule-> scheduled -(scheduled_at passed)-> calculating -> sending -> sent
    draft|scheduled -send-now-> calculating         calculating|sending -(error)-> failed

Each retrieve moves a queued segment calculation (``CALCULATION``) or a running
campaign (``CAMPAIGN``) one step. At calculating -> sending the segment is
calculated afresh; it fails the campaign when the condition errors, the segment
is gone, or the fault switch forces a failure of the campaign or of its segment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from preo_nb import contract
from preo_nb.cel import MAX_CONDITION_LENGTH, compile_condition, too_long
from preo_nb.sandbox.commerce.models import Customer
from preo_nb.sandbox.core import events
from preo_nb.sandbox.core.errors import field_error, invalid
from preo_nb.sandbox.core.jobs import Machine
from preo_nb.sandbox.marketing import render
from preo_nb.sandbox.marketing.cel_checks import check
from preo_nb.sandbox.marketing.cel_engine import ConditionError, Runner, Scope
from preo_nb.sandbox.marketing.models import CAMPAIGN_ACTIVE, CAMPAIGN_FINAL, Campaign, Segment, Store

CHANNELS = ("email", "sms", "pass_push")
FORCED = "The calculation was stopped by the sandbox's fault switch."
CONTENT = {"email": "email_message_id", "sms": "sms_body"}

# -- segments ----------------------------------------------------------------


def check_length(source: str) -> None:
    """Refuse a condition longer than ``preo_nb.cel.MAX_CONDITION_LENGTH`` before the engine sees it.

    Raises:
        ApiError: 400 on ``condition`` naming the limit.
    """
    if too_long(source):
        raise field_error("condition", f"Ensure this field has no more than {MAX_CONDITION_LENGTH} characters.")


def check_condition(source: str) -> None:
    """Refuse a condition that is too long or does not validate.

    Raises:
        ApiError: 400 on ``condition``, one message per error, with its position.
    """
    check_length(source)
    errors = check(source)
    if errors:
        raise invalid({"condition": [_located(e) for e in errors]})


def _located(error: dict[str, object]) -> str:
    if error["line"] is None:
        return str(error["message"])
    return f"{error['message']} (line {error['line']}, column {error['column']})"


def reachable(store: Store, customer: Customer, channel: str) -> bool:
    """Whether a customer can be reached on a channel (``any``: on one of them)."""
    if channel == "any":
        return any(reachable(store, customer, c) for c in CHANNELS)
    if channel == "email":
        return bool(customer.email)
    if channel == "sms":
        return bool(customer.phone_number)
    return customer.id in store.data.wallet_passes


def members(store: Store, segment: Segment, now: datetime) -> list[str]:
    """Return the ids of the customers in the segment now, in customer order.

    Raises:
        ConditionError: The condition failed (or gave no bool) for some customer.
    """
    try:
        program = compile_condition(segment.condition)
    except ValueError as exc:  # saved conditions were checked; kept for safety
        raise ConditionError(f"The condition does not parse: {exc}") from None
    runner = Runner(program, edition_id=segment.edition_id, now=now)
    scope = Scope(store, segment.organization_id, segment.edition_id)
    needs_consent = segment.communication_type == "marketing" and segment.consent_id is not None
    found = []
    for customer, subject in scope.subjects():
        if not runner.test(subject):
            continue
        if not reachable(store, customer, segment.communication_channel):
            continue
        if needs_consent and segment.consent_id not in subject.user["consents"]:
            continue
        found.append(customer.id)
    return found


def calculate(store: Store, segment: Segment) -> None:
    """Run the calculation now: completed with the members, or failed with the reason; emit the outcome."""
    now = store.now()
    segment.modified = now
    try:
        segment.members = members(store, segment, now)
    except ConditionError as exc:
        _segment_failed(store, segment, str(exc))
        return
    segment.status = "completed"
    segment.user_count = len(segment.members)
    segment.last_calculated = now
    segment.error_message = None
    _emit_segment(store, segment)


def _segment_failed(store: Store, segment: Segment, reason: str) -> None:
    segment.modified = store.now()
    segment.status = "failed"
    segment.error_message = reason
    _emit_segment(store, segment)


def _emit_segment(store: Store, segment: Segment) -> None:
    kind = "segment.completed" if segment.status == "completed" else "segment.failed"
    events.emit(
        store,
        kind,
        organization_id=segment.organization_id,
        edition_id=segment.edition_id,
        data=render.segment(segment),
    )


CALCULATION = Machine[Segment](
    kind="segment",
    states=contract.enum("SegmentStatus"),
    steps={"pending": "processing", "processing": calculate},
    fails_at="processing",
    fail=_segment_failed,
    failure=FORCED,
)
"""A queued calculation: pending -> processing -> completed | failed, one step per retrieve."""


def in_use_by_campaign(store: Store, segment_id: str) -> bool:
    """Whether a scheduled, calculating or sending campaign targets the segment."""
    return any(c.segment_id == segment_id and c.status in CAMPAIGN_ACTIVE for c in store.data.campaigns.values())


# -- campaigns ---------------------------------------------------------------


def campaign_using(store: Store, message_id: str) -> str | None:
    """Name the unfinished campaign that sends an email message, if any (it keeps the message in use)."""
    for campaign in store.data.campaigns.values():
        if campaign.email_message_id == message_id and campaign.status not in CAMPAIGN_FINAL:
            return f"campaign {campaign.id} ({campaign.status})"
    return None


def content_errors(campaign: Campaign) -> dict[str, list[str]]:
    """The channel content a campaign still lacks before it can go out."""
    field = CONTENT[campaign.channel]
    if getattr(campaign, field):
        return {}
    message = f"A campaign on the {campaign.channel} channel needs {field} before it can be scheduled or sent."
    return {field: [message]}


def check_content(campaign: Campaign) -> None:
    """Raises: ApiError 400 on the missing content field."""
    errors = content_errors(campaign)
    if errors:
        raise invalid(errors)


def send_time(store: Store, campaign: Campaign, value: str) -> datetime:
    """Read ``scheduled_at``: an offset is honoured, a naive time is in the edition's timezone.

    Raises:
        ApiError: 400 on ``scheduled_at`` when it is not in the future.
    """
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(store.data.editions[campaign.edition_id].timezone))
    when = parsed.astimezone(UTC).replace(microsecond=0)
    if when <= store.now():
        raise invalid({"scheduled_at": ["The send time must be in the future."]})
    return when


def _start_when_due(store: Store, campaign: Campaign) -> None:
    now = store.now()
    if campaign.scheduled_at and campaign.scheduled_at <= now:
        campaign.status = "calculating"
        campaign.modified = now


def _calculate(store: Store, campaign: Campaign) -> None:
    now = store.now()
    segment = store.data.segments.get(campaign.segment_id)
    try:
        if segment is None:
            raise ConditionError("The campaign's segment no longer exists.")
        found = members(store, segment, now)
    except ConditionError as exc:
        _campaign_failed(store, campaign, str(exc), now)
        return
    customers = store.data.customers
    campaign.status = "sending"
    campaign.user_count = len(found)
    campaign.total_recipients = sum(reachable(store, customers[c], campaign.channel) for c in found)
    campaign.started_at = now
    campaign.modified = now


def _campaign_failed(store: Store, campaign: Campaign, reason: str, now: datetime | None = None) -> None:
    campaign.status = "failed"
    campaign.error_message = f"The segment calculation failed: {reason}"
    _emit_campaign(store, campaign, "campaign.failed")
    campaign.modified = now or store.now()


def _finish(store: Store, campaign: Campaign) -> None:
    now = store.now()
    campaign.status = "sent"
    campaign.sent_count = campaign.total_recipients or 0
    campaign.failed_count = 0
    campaign.completed_at = now
    _emit_campaign(store, campaign, "campaign.sent")
    campaign.modified = now


def _emit_campaign(store: Store, campaign: Campaign, event: str) -> None:
    events.emit(
        store,
        event,
        organization_id=campaign.organization_id,
        edition_id=campaign.edition_id,
        data=render.campaign(store, campaign),
    )


def _campaign_switches(store: Store, campaign: Campaign) -> Iterable[tuple[str, str]]:
    """A campaign fails when it or its segment is forced to (a deleted segment fails it anyway)."""
    if campaign.segment_id not in store.data.segments:
        return []
    return [("campaign", campaign.id), ("segment", campaign.segment_id)]


CAMPAIGN = Machine[Campaign](
    kind="campaign",
    states=contract.enum("CampaignStatus"),
    steps={"scheduled": _start_when_due, "calculating": _calculate, "sending": _finish},
    fails_at="calculating",
    fail=_campaign_failed,
    failure=FORCED,
    forced_by=_campaign_switches,
)
"""A running campaign moves one step per retrieve (README 4.1, Background work)."""
