"""Consent, segment and campaign records -> the JSON shapes of the contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from preo_nb.sandbox.core.values import iso
from preo_nb.sandbox.marketing.models import Campaign, Consent, Segment, Store

Json = dict[str, Any]


def consent(record: Consent) -> Json:
    """Render a Consent."""
    return {
        "id": record.id,
        "organization_id": record.organization_id,
        "edition_id": record.edition_id,
        "title": record.title,
        "description": record.description,
        "order": record.order,
        "enabled": record.enabled,
        "created": iso(record.created),
        "modified": iso(record.modified),
    }


def segment(record: Segment) -> Json:
    """Render a Segment."""
    return {
        "id": record.id,
        "organization_id": record.organization_id,
        "edition_id": record.edition_id,
        "consent_id": record.consent_id,
        "name": record.name,
        "description": record.description,
        "communication_type": record.communication_type,
        "communication_channel": record.communication_channel,
        "condition": record.condition,
        "status": record.status,
        "user_count": record.user_count,
        "last_calculated": iso(record.last_calculated),
        "error_message": record.error_message,
        "created": iso(record.created),
        "modified": iso(record.modified),
    }


def local_iso(value: datetime | None, timezone: str) -> str | None:
    """Render a datetime with the UTC offset it has in ``timezone`` (README 3, scheduled_at)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


def campaign_summary(store: Store, record: Campaign) -> Json:
    """Render a CampaignSummary (list rows)."""
    timezone = store.data.editions[record.edition_id].timezone
    return {
        "id": record.id,
        "name": record.name,
        "organization_id": record.organization_id,
        "edition_id": record.edition_id,
        "channel": record.channel,
        "created": iso(record.created),
        "modified": iso(record.modified),
        "status": record.status,
        "scheduled_at": local_iso(record.scheduled_at, timezone),
        "total_recipients": record.total_recipients,
        "sent_count": record.sent_count,
        "failed_count": record.failed_count,
    }


def campaign(store: Store, record: Campaign) -> Json:
    """Render a Campaign: the summary plus content, progress and the segment."""
    return campaign_summary(store, record) | {
        "email_message_id": record.email_message_id,
        "sms_body": record.sms_body,
        "user_count": record.user_count,
        "error_message": record.error_message,
        "started_at": iso(record.started_at),
        "completed_at": iso(record.completed_at),
        "segment_id": record.segment_id,
    }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def campaign_stats(record: Campaign) -> Json:
    """Render CampaignStats: engagement stays 0 in the sandbox (README 4.3)."""
    sent, delivered = record.sent_count, record.sent_count
    opened = clicked = bounced = unsubscribed = 0
    return {
        "total_recipients": record.total_recipients or 0,
        "sent": sent,
        "failed": record.failed_count,
        "delivered": delivered,
        "opened": opened,
        "clicked": clicked,
        "bounced": bounced,
        "unsubscribed": unsubscribed,
        "delivery_rate": _rate(delivered, sent),
        "open_rate": _rate(opened, delivered),
        "click_rate": _rate(clicked, delivered),
        "unsubscribe_rate": _rate(unsubscribed, delivered),
    }
