"""The records of the email messages group: messages and their content blocks.

Like every domain's ``models``, records hold Python values; ``render`` turns
them into the contract's JSON. ``EmailMessage`` keeps the ``kind``/``name`` names the
edition rules used before this group existed (they link editions to messages),
as read-only aliases of ``type``/``title``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from preo_nb.sandbox.commerce import models as commerce
from preo_nb.sandbox.core import store as core

SCOPES = ("platform", "template", "edition")
RECEIPT_TYPES = ("receipt", "receipt_online", "reminder")


@dataclass
class ContentBlock:
    """One block of a message; text values in ``content`` map a language to a string."""

    id: str
    block_type: str
    position: int
    content: dict[str, Any] = field(default_factory=dict)


@dataclass
class EmailMessage:
    """An email message: a Preo platform message, an organization template or an edition's own.

    ``organization_id`` is None for platform messages, ``edition_id`` is set only
    for edition-scope messages.
    """

    id: str
    organization_id: str | None
    title: str
    type: str
    scope: str
    created: datetime
    modified: datetime
    edition_id: str | None = None
    subject: str | None = None
    template: str = "modern"
    content_blocks: list[ContentBlock] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The message type (the name edition rules use)."""
        return self.type

    @property
    def name(self) -> str:
        """The message title (the label edition field choices show)."""
        return self.title

    @property
    def languages(self) -> list[str]:
        """The languages any block has text in, in first-seen order."""
        found: dict[str, None] = {}
        for block in self.content_blocks:
            for value in block.content.values():
                if isinstance(value, dict):
                    found.update(dict.fromkeys(k for k in value if isinstance(k, str)))
        return list(found)


@dataclass
class Tables(commerce.Tables):
    """The emails tables on top of commerce's (edition messages link to editions)."""

    email_messages: dict[str, EmailMessage] = field(default_factory=dict)


Store: TypeAlias = core.Store[Tables]
"""The store as the emails domain sees it."""
