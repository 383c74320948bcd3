"""Webhook records -> the contract's JSON (WebhookEndpoint, WebhookDelivery)."""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox.core.values import iso
from preo_nb.sandbox.webhooks.models import WebhookDelivery, WebhookEndpoint

Json = dict[str, Any]


def endpoint(record: WebhookEndpoint) -> Json:
    """Render a WebhookEndpoint; the secret is part of every read (README 4.6, docs)."""
    return {
        "id": record.id,
        "organization_id": record.organization_id,
        "name": record.name,
        "url": record.url,
        "edition_id": record.edition_id,
        "events": list(record.events),
        "created": iso(record.created),
        "modified": iso(record.modified),
        "is_active": record.is_active,
        "timeout_seconds": record.timeout_seconds,
        "secret": record.secret,
    }


def delivery(record: WebhookDelivery) -> Json:
    """Render a WebhookDelivery; there are no automatic retries, so ``next_retry_at`` is null."""
    return {
        "id": record.id,
        "endpoint_id": record.endpoint_id,
        "event": record.event,
        "payload": record.payload,
        "status": record.status,
        "attempts": record.attempts,
        "response_status_code": record.response_status_code,
        "response_body": record.response_body,
        "error_message": record.error_message,
        "next_retry_at": None,
        "delivered_at": iso(record.delivered_at),
        "created": iso(record.created),
        "modified": iso(record.modified),
    }
