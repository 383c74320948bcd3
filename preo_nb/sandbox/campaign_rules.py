"""The campaign workflow (README 4.3): content checks, send times and the retrieve steps.

```
create -> draft -schedule-> scheduled -(scheduled_at passed)-> calculating -> sending -> sent
draft|scheduled -send-now-> calculating         calculating|sending -(error)-> failed
```
Each retrieve moves a running campaign one step. At calculating -> sending the
segment is calculated afresh (``segment_rules.members``); it fails the campaign
when the condition errors, the segment is gone, or the fault switch forces a
failure of the campaign or of its segment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from preo_nb.sandbox import events, render_marketing
from preo_nb.sandbox.cel_engine import ConditionError
from preo_nb.sandbox.errors import invalid
from preo_nb.sandbox.faults import Faults
from preo_nb.sandbox.models_marketing import Campaign
from preo_nb.sandbox.segment_rules import FORCED, members, reachable
from preo_nb.sandbox.store import Store

CONTENT = {"email": "email_message_id", "sms": "sms_body"}


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


def advance(store: Store, campaign: Campaign, faults: Faults) -> None:
    """Move a campaign one step (README 4.1, Background work)."""
    now = store.now()
    if campaign.status == "scheduled" and campaign.scheduled_at and campaign.scheduled_at <= now:
        campaign.status = "calculating"
    elif campaign.status == "calculating":
        _calculate(store, campaign, faults, now)
    elif campaign.status == "sending":
        campaign.status = "sent"
        campaign.sent_count = campaign.total_recipients or 0
        campaign.failed_count = 0
        campaign.completed_at = now
        _emit(store, campaign, "campaign.sent")
    else:
        return
    campaign.modified = now


def _calculate(store: Store, campaign: Campaign, faults: Faults, now: datetime) -> None:
    segment = store.data.segments.get(campaign.segment_id)
    try:
        if segment is None:
            raise ConditionError("The campaign's segment no longer exists.")
        if faults.job_fails("campaign", campaign.id) or faults.job_fails("segment", segment.id):
            raise ConditionError(FORCED)
        found = members(store, segment, now)
    except ConditionError as exc:
        campaign.status = "failed"
        campaign.error_message = f"The segment calculation failed: {exc}"
        _emit(store, campaign, "campaign.failed")
        return
    customers = store.data.customers
    campaign.status = "sending"
    campaign.user_count = len(found)
    campaign.total_recipients = sum(reachable(store, customers[c], campaign.channel) for c in found)
    campaign.started_at = now


def _emit(store: Store, campaign: Campaign, event: str) -> None:
    events.emit(
        store, event, organization_id=campaign.organization_id, edition_id=campaign.edition_id,
        data=render_marketing.campaign(store, campaign),
    )
