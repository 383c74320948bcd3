"""Segment membership and the calculation workflow (README 4.4).

``members`` is the one place that decides who is in a segment: the condition
over the organization's customers, then the channel filter, then (marketing
only) the consent. Segments use it when a calculation completes, campaigns
when they start sending, and the seeder for its completed examples.
"""

from __future__ import annotations

from datetime import datetime

import cel

from preo_nb.sandbox import events, render_marketing
from preo_nb.sandbox.cel_checks import check
from preo_nb.sandbox.cel_engine import ConditionError, Runner, Scope
from preo_nb.sandbox.errors import invalid
from preo_nb.sandbox.models import Customer
from preo_nb.sandbox.models_marketing import CAMPAIGN_ACTIVE, Segment
from preo_nb.sandbox.store import Store

CHANNELS = ("email", "sms", "pass_push")
FORCED = "The calculation was stopped by the sandbox's fault switch."


def check_condition(source: str) -> None:
    """Refuse a condition that does not validate.

    Raises:
        ApiError: 400 on ``condition``, one message per error, with its position.
    """
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
        program = cel.compile(segment.condition)
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


def advance(store: Store, segment: Segment, *, force_failure: bool) -> None:
    """Move a queued calculation one step: pending -> processing -> completed | failed."""
    if segment.status == "pending":
        segment.status = "processing"
        segment.modified = store.now()
    elif segment.status == "processing":
        calculate(store, segment, force_failure=force_failure)
        kind = "segment.completed" if segment.status == "completed" else "segment.failed"
        events.emit(
            store, kind, organization_id=segment.organization_id, edition_id=segment.edition_id,
            data=render_marketing.segment(segment),
        )


def calculate(store: Store, segment: Segment, *, force_failure: bool) -> None:
    """Run the calculation now: completed with the members, or failed with the reason."""
    now = store.now()
    segment.modified = now
    try:
        if force_failure:
            raise ConditionError(FORCED)
        segment.members = members(store, segment, now)
    except ConditionError as exc:
        segment.status = "failed"
        segment.error_message = str(exc)
        return
    segment.status = "completed"
    segment.user_count = len(segment.members)
    segment.last_calculated = now
    segment.error_message = None


def in_use_by_campaign(store: Store, segment_id: str) -> bool:
    """Whether a scheduled, calculating or sending campaign targets the segment."""
    return any(
        c.segment_id == segment_id and c.status in CAMPAIGN_ACTIVE for c in store.data.campaigns.values()
    )
