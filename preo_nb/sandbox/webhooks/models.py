"""The records of the webhooks group: endpoints and their deliveries (README 4.6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from preo_nb.sandbox.core import store as core
from preo_nb.sandbox.emails import models as emails

DEFAULT_TIMEOUT = 30
RESPONSE_BODY_LIMIT = 1024
"""How much of a receiver's reply a delivery keeps (README 4.6: first 1 KiB)."""


@dataclass
class WebhookEndpoint:
    """A URL of an organization that receives the events it subscribed to."""

    id: str
    organization_id: str
    name: str
    url: str
    events: list[str]
    secret: str | None
    created: datetime
    modified: datetime
    edition_id: str | None = None
    is_active: bool = True
    timeout_seconds: int = DEFAULT_TIMEOUT

    def wants(self, event: dict[str, Any]) -> bool:
        """Whether this endpoint receives an emitted ``WebhookEvent`` body (README 4.6)."""
        return (
            self.is_active
            and event["organization_id"] == self.organization_id
            and self.edition_id in (None, event.get("edition_id"))
            and ("*" in self.events or event["event"] in self.events)
        )


@dataclass
class WebhookDelivery:
    """One event sent to one endpoint: ``pending`` until an attempt ends it."""

    id: str
    endpoint_id: str
    event: str
    payload: dict[str, Any]
    created: datetime
    modified: datetime
    status: str = "pending"
    attempts: int = 0
    response_status_code: int | None = None
    response_body: str | None = None
    error_message: str | None = None
    delivered_at: datetime | None = None


@dataclass
class Tables(emails.Tables):
    """The webhooks tables on top of emails' and commerce's: endpoints, deliveries and the outbox to send."""

    webhooks: dict[str, WebhookEndpoint] = field(default_factory=dict)
    deliveries: dict[str, WebhookDelivery] = field(default_factory=dict)
    outbox: list[str] = field(default_factory=list)


Store: TypeAlias = core.Store[Tables]
"""The store as the webhooks domain sees it."""
