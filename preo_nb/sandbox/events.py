"""Events the sandbox emits for webhooks (contract README 4.6).

Group modules call ``emit`` right after a change commits, while they hold the
store lock; the event is kept in ``store.data.emitted``. The webhooks group
turns emitted events into deliveries to the registered endpoints.
"""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox import render
from preo_nb.sandbox.store import Store


def emit(
    store: Store, event: str, *, organization_id: str, edition_id: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Record one event: ``event`` is a name such as ``refund_request.approved``.

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
    return body
