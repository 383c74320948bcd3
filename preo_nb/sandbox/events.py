"""Events the sandbox emits for webhooks (contract README 4.6).

Group modules call ``emit`` right after a change commits, while they hold the
store lock. The event is kept in ``store.data.emitted`` and a ``pending``
delivery is queued for every endpoint that wants it; the deliveries are POSTed
right after the lock is released (see ``webhook_delivery``), never under it.

The simulator's events: ``refund_request.created|approved|rejected|processed|failed``,
``data_import.completed|failed``, ``order.created``, ``campaign.sent|failed``,
``segment.completed|failed``.
"""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox import render, webhook_delivery
from preo_nb.sandbox.store import Store


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
        "created": render.iso(store.now()),
        "organization_id": organization_id,
        "edition_id": edition_id,
        "data": data,
    }
    store.data.emitted.append(body)
    webhook_delivery.fan_out(store, body)
    return body
