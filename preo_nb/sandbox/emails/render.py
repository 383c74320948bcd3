"""Email message records -> the contract's JSON (EmailMessage, EmailMessageDetail)."""

from __future__ import annotations

import copy
from typing import Any

from preo_nb.sandbox.core.values import iso
from preo_nb.sandbox.emails.models import ContentBlock, EmailMessage

Json = dict[str, Any]


def message(record: EmailMessage) -> Json:
    """Render an EmailMessage (the list row and the create reply)."""
    return {
        "id": record.id,
        "title": record.title,
        "subject": record.subject,
        "type": record.type,
        "created": iso(record.created),
        "modified": iso(record.modified),
        "scope": record.scope,
        "template": record.template,
        "organization_id": record.organization_id,
        "edition_id": record.edition_id,
    }


def message_detail(record: EmailMessage) -> Json:
    """Render an EmailMessageDetail: the message with its blocks in position order."""
    ordered = sorted(record.content_blocks, key=lambda b: b.position)
    return message(record) | {"content_blocks": [block(b) for b in ordered]}


def block(record: ContentBlock) -> Json:
    """Render an EmailContentBlock; the content is copied so callers cannot change the record."""
    return {
        "id": record.id,
        "block_type": record.block_type,
        "position": record.position,
        "content": copy.deepcopy(record.content),
    }
