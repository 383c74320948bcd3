"""Events the sandbox emits for webhooks (contract README 4.6).

Rules call ``emit`` right after a change commits, while the store lock is held.
The event is kept in ``store.data.emitted`` and a ``pending`` delivery is queued
in ``store.data.outbox`` for every endpoint that wants it. Sending is the
webhooks package's job: its senders POST the queued deliveries once the lock is
released (``preo_nb.sandbox.webhooks.delivery``), never under it.

The simulator's events: ``refund_request.created|approved|rejected|processed|failed``,
``data_import.completed|failed``, ``order.created``, ``campaign.sent|failed``,
``segment.completed|failed``.
"""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox.core.store import Store
from preo_nb.sandbox.core.values import iso
from preo_nb.sandbox.webhooks.models import WebhookDelivery


def emit(
    store: Store, event: str, *, organization_id: str, edition_id: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Record one event and queue its deliveries: ``event`` is a name such as ``refund_request.approved``.

    Args:
        data: The object as the API returns it (already rendered).

    Returns:
        The ``WebhookEvent`` body: ``{id, event, created, organization_id, edition_id, data}``.
    """
    body = {
        "id": store.new_id("whe_"),
        "event": event,
        "created": iso(store.now()),
        "organization_id": organization_id,
        "edition_id": edition_id,
        "data": data,
    }
    store.data.emitted.append(body)
    queue_deliveries(store, body)
    return body


def queue_deliveries(store: Store, event: dict[str, Any]) -> list[WebhookDelivery]:
    """Add a ``pending`` delivery of an emitted event for every endpoint that wants it."""
    made = []
    now = store.now()
    for endpoint in store.data.webhooks.values():
        if endpoint.wants(event):
            delivery = WebhookDelivery(store.new_id("whd_"), endpoint.id, event["event"], event, now, now)
            store.data.deliveries[delivery.id] = delivery
            store.data.outbox.append(delivery.id)
            made.append(delivery)
    return made
