"""Events the sandbox emits for webhooks (contract README 4.6).

Rules call ``emit`` right after a change commits, while the store lock is held.
The event is kept in ``store.data.emitted`` and handed to the store's listeners:
the webhooks domain's queues a ``pending`` delivery for every endpoint that
wants it (``preo_nb.sandbox.webhooks.delivery.queue_deliveries``) and sends them
once the lock is released, never under it.

The simulator's events: ``refund_request.created|approved|rejected|processed|failed``,
``data_import.completed|failed``, ``order.created``, ``campaign.sent|failed``,
``segment.completed|failed``.
"""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox.core.store import Store, Tables
from preo_nb.sandbox.core.values import iso


def emit(
    store: Store[Tables], event: str, *, organization_id: str, edition_id: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Record one event and tell the store's listeners: ``event`` is a name such as ``refund_request.approved``.

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
    for listener in store.listeners:
        listener(store, body)
    return body
