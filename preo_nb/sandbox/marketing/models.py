"""The records of the marketing groups: consents, segments and campaigns.

Like every domain's ``models``, records hold Python values (aware ``datetime``)
and ``render`` turns them into the contract's JSON. Who granted which
consent and who holds an active wallet pass are kept in their own tables
(``Tables.consent_grants``, ``Tables.wallet_passes``), so the seeded customer
records stay exactly as the other groups made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from preo_nb.sandbox.core import store as core
from preo_nb.sandbox.emails import models as emails

SEGMENT_RUNNING = ("pending", "processing")
"""Segment states in which a calculation is queued or running (README 4.4)."""

CAMPAIGN_RUNNING = ("calculating", "sending")
CAMPAIGN_FINAL = ("sent", "failed", "cancelled")
CAMPAIGN_EDITABLE = ("draft", "scheduled")
CAMPAIGN_ACTIVE = ("scheduled", "calculating", "sending")
"""Campaign states that keep their segment in use (README 4.4, DELETE)."""


@dataclass
class Consent:
    """A consent definition buyers can grant, e.g. a marketing opt-in."""

    id: str
    organization_id: str
    title: str
    order: int
    created: datetime
    modified: datetime
    edition_id: str | None = None
    description: str | None = None
    enabled: bool = True


@dataclass
class Segment:
    """A customer segment: a CEL condition plus channel and consent filters.

    ``members`` holds the customer ids of the last completed calculation, in
    customer order; export-csv reads them.
    """

    id: str
    organization_id: str
    name: str
    condition: str
    created: datetime
    modified: datetime
    edition_id: str | None = None
    consent_id: str | None = None
    description: str | None = None
    communication_type: str = "marketing"
    communication_channel: str = "any"
    status: str = "draft"
    user_count: int | None = None
    last_calculated: datetime | None = None
    error_message: str | None = None
    members: list[str] = field(default_factory=list)


@dataclass
class Campaign:
    """A campaign sending one message to a segment over one channel (README 4.3)."""

    id: str
    organization_id: str
    edition_id: str
    segment_id: str
    name: str
    channel: str
    created: datetime
    modified: datetime
    status: str = "draft"
    email_message_id: str | None = None
    sms_body: str | None = None
    scheduled_at: datetime | None = None
    user_count: int | None = None
    total_recipients: int | None = None
    sent_count: int = 0
    failed_count: int = 0
    error_message: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class Tables(emails.Tables):
    """The marketing tables on top of emails' and commerce's (campaigns send email messages to customers)."""

    consents: dict[str, Consent] = field(default_factory=dict)
    consent_grants: dict[str, set[str]] = field(default_factory=dict)
    wallet_passes: set[str] = field(default_factory=set)
    segments: dict[str, Segment] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)


Store: TypeAlias = core.Store[Tables]
"""The store as the marketing domain sees it."""
