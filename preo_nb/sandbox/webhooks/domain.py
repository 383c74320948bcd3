"""The webhooks domain as the sandbox registers it: endpoints, and deliveries of every emitted event."""

from __future__ import annotations

from preo_nb.sandbox.core.domain import Domain
from preo_nb.sandbox.webhooks import seed as seed_webhooks
from preo_nb.sandbox.webhooks.delivery import queue_deliveries
from preo_nb.sandbox.webhooks.models import Store, Tables


def seed(store: Store, seed: int, scale: str) -> None:
    """Add the seeded endpoints and their delivery history (the same at every seed and scale)."""
    seed_webhooks.add_webhooks(store)


DOMAIN = Domain(
    tables=Tables,
    seed=seed,
    views=("views",),
    listeners=(queue_deliveries,),
)
