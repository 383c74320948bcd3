"""Seeded webhook endpoints, with a delivery history built from seeded refunds.

Every seeded endpoint is inactive and points at a reserved ``.example`` host:
nothing the tests or a rehearsal do sends traffic there unless someone
activates it. Runs after all other seeding, so it changes no earlier id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from preo_nb.sandbox.commerce import render
from preo_nb.sandbox.commerce.models import RefundRequest
from preo_nb.sandbox.core.values import iso
from preo_nb.sandbox.webhooks.delivery import new_secret
from preo_nb.sandbox.webhooks.models import Store, WebhookDelivery, WebhookEndpoint

LEDGER_EVENTS = ["refund_request.processed", "refund_request.failed"]
HISTORY = 6
"""How many finished refunds of organization 1 the ledger endpoint has deliveries for."""


def add_webhooks(store: Store) -> None:
    """Add a paused ledger endpoint with history (organization 1) and a paused catch-all (organization 2)."""
    first, second = store.org_id(1), store.org_id(2)
    finished = [
        r for r in store.data.refunds.values() if r.organization_id == first and r.status in ("processed", "failed")
    ]
    finished.sort(key=lambda r: (r.modified, r.id))
    recent = finished[-HISTORY:]
    created = (recent[0].modified if recent else store.now()) - timedelta(days=30)
    ledger = _endpoint(
        store, first, "Finance ledger (paused)", "https://ledger.nordlys.example/preo/webhooks", LEDGER_EVENTS, created
    )
    for n, refund in enumerate(recent):
        _delivery(store, ledger, refund, failed=n == len(recent) - 1)
    _endpoint(store, second, "CRM sync (paused)", "https://crm.harbour.example/hooks/preo", ["*"], created)


def _endpoint(store: Store, org_id: str, name: str, url: str, events: list[str], created: datetime) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        id=store.new_id("whk_"),
        organization_id=org_id,
        name=name,
        url=url,
        events=list(events),
        secret=new_secret(store),
        created=created,
        modified=created,
        is_active=False,
    )
    store.data.webhooks[endpoint.id] = endpoint
    return endpoint


def _delivery(store: Store, endpoint: WebhookEndpoint, refund: RefundRequest, *, failed: bool) -> None:
    """A delivery of the refund's final event: delivered, or refused by the receiver (why it was paused)."""
    when = refund.modified
    event = f"refund_request.{refund.status}"
    payload = {
        "id": store.new_id("whe_"),
        "event": event,
        "created": iso(when),
        "organization_id": refund.organization_id,
        "edition_id": refund.edition_id,
        "data": render.refund(store, refund, can_decide=True),
    }
    delivery = WebhookDelivery(
        id=store.new_id("whd_"),
        endpoint_id=endpoint.id,
        event=event,
        payload=payload,
        created=when,
        modified=when + timedelta(seconds=1),
        attempts=1,
    )
    if failed:
        delivery.status = "failed"
        delivery.response_status_code = 503
        delivery.response_body = "Service Unavailable"
    else:
        delivery.status = "success"
        delivery.response_status_code = 200
        delivery.response_body = "ok"
        delivery.delivered_at = when + timedelta(seconds=1)
    store.data.deliveries[delivery.id] = delivery
